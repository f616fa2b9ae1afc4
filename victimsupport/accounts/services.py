from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction


@transaction.atomic
def user_set_preferred_language(*, user: Any, language: str) -> Any:
    """Keep ``user``'s preferred language ("" follows the browser). The change is audited
    with the user's other changes (victimsupport.accounts.apps)."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValueError(f"Unsupported language: {language!r}")
    user.preferred_language = language
    user.full_clean(validate_unique=False, validate_constraints=False)
    user.save(update_fields=["preferred_language"])
    return user
