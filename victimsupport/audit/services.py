"""Writing audit entries that the model signals cannot: reads, exports and downloads."""

from __future__ import annotations

import datetime
import re
from typing import Any

from auditlog.registry import auditlog
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from victimsupport.audit.models import AuditEntry, RefusalCount
from victimsupport.crypto.fields import EncryptedBinaryField, encrypted_fields

_SAFE_DETAIL = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")


def safe_detail(value: str) -> bool:
    """Whether ``value`` looks like an id or an enum value (never free text or a path)."""
    return bool(_SAFE_DETAIL.match(value))


class AccessKind(models.TextChoices):
    VIEW = "view", _("Viewed")
    EXPORT = "export", _("Exported")
    EXPORT_REFUSED = "export_refused", _("Export refused")
    DOWNLOAD = "download", _("Downloaded")
    BREAK_GLASS = "break_glass", _("Emergency access")
    # A search whose answer may reveal data (the intake's duplicate check): who, when, never
    # the values looked for.
    LOOKUP = "lookup", _("Looked up")
    REFUSED = "refused", _("Refused access")


# The answers that refuse access to an object: 404 "not yours or not there", 403 "may see,
# may not change".
REFUSAL_STATUSES = frozenset({403, 404})


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


def _is_milestone(count: int) -> bool:
    """1, 10, 100, 1000...: the counts at which a refusal is sealed into the log."""
    while count >= 10 and count % 10 == 0:
        count //= 10
    return count == 1


def record_refusal(
    *, actor: Any, route: str, status: int, at: datetime.datetime | None = None
) -> RefusalCount:
    """Count one refused request by ``actor`` on the route named ``route`` (``cases:detail``).

    The log stays bounded by people x routes x hours whatever the number of requests: the
    counter takes every refusal, the sealed log the hour's first and each tenfold.
    """
    if status not in REFUSAL_STATUSES:
        raise ValueError(f"{status} is not a refusal")
    if not safe_detail(route):
        raise ValueError("the route must be a URL name, not a path")
    now = at or timezone.now()
    key = {
        "user": actor,
        "route": route,
        "status": status,
        "window_start": now.replace(minute=0, second=0, microsecond=0),
    }
    rows = RefusalCount.objects.filter(**key)
    bump = {"count": F("count") + 1, "last_at": Greatest("last_at", now)}
    with transaction.atomic():
        # Increment in the database, never read-modify-write: two refused requests at once
        # must count two. The UPDATE holds the row until commit, so the count read back
        # below is this request's own, and each milestone is sealed exactly once.
        if not rows.update(**bump):
            try:
                with transaction.atomic():
                    RefusalCount.objects.create(**key, count=1, last_at=now)
            except IntegrityError:  # another request opened the window first
                rows.update(**bump)
        counter = rows.get()
        if _is_milestone(counter.count):
            record_access(
                actor=actor,
                obj=counter,
                kind=AccessKind.REFUSED,
                detail={"route": route, "status": status, "count": counter.count},
            )
    return counter
