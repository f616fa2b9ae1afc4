"""Writing audit entries that the model signals cannot: reads, exports and downloads."""

from __future__ import annotations

import re
from typing import Any

from auditlog.registry import auditlog
from django.db import models

from victimsupport.audit.models import AuditEntry
from victimsupport.crypto.fields import EncryptedBinaryField, encrypted_fields

_SAFE_DETAIL = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")


class AccessKind(models.TextChoices):
    VIEW = "view", "Viewed"
    EXPORT = "export", "Exported"
    DOWNLOAD = "download", "Downloaded"
    BREAK_GLASS = "break_glass", "Emergency access"
    # A search whose answer may reveal data (the intake's duplicate check): who, when, never
    # the values looked for.
    LOOKUP = "lookup", "Looked up"


def register(model: type[models.Model], **options: Any) -> None:
    """Register a model with django-auditlog, masking every encrypted field by type.

    Use this, never ``auditlog.register`` directly: the mask list is computed here from the
    field types, so a field added to the model later is masked without anyone remembering.
    """
    secret = encrypted_fields(model)
    options["mask_fields"] = sorted(set(options.get("mask_fields", [])) | {f.name for f in secret})
    # File contents are left out of the diff altogether: auditlog compares values as text,
    # and a megabyte blob is no use in a log. Models that hold files keep a plain size field,
    # whose change is logged.
    options["exclude_fields"] = sorted(
        set(options.get("exclude_fields", []))
        | {f.name for f in secret if isinstance(f, EncryptedBinaryField)}
    )
    options["mask_callable"] = "victimsupport.audit.redaction.redact"
    auditlog.register(model, **options)


def record_access(
    *, actor: Any, obj: models.Model, kind: AccessKind, detail: dict[str, Any] | None = None
) -> AuditEntry:
    """One access entry. ``detail`` holds ids and enum values only: no free text."""
    detail = dict(detail or {})
    for key, value in detail.items():
        if not isinstance(value, (bool, int)) and not (
            isinstance(value, str) and _SAFE_DETAIL.match(value)
        ):
            raise ValueError(f"audit detail {key!r} must be an id or enum value, not free text")
    entry = AuditEntry.objects.log_create(
        obj,
        force_log=True,
        action=AuditEntry.Action.ACCESS,
        actor=actor,
        actor_email=getattr(actor, "email", None),
        additional_data={"access": str(kind), **detail},
    )
    if entry is None:  # force_log always writes; this guards a library change
        raise RuntimeError("the access entry was not written")
    return entry
