"""What the audit log stores instead of an encrypted value."""

from __future__ import annotations

from typing import Any

REDACTED = "[encrypted]"
EMPTY = "[empty]"


def redact(value: Any) -> str:
    """Mask callable for django-auditlog: says that a value changed, never what it was.

    Whether the value was empty is kept, because "the address was removed" is something a
    supervisor needs to see and tells nothing about the person.
    """
    if value is None or value in ("", "None"):
        return EMPTY
    return REDACTED
