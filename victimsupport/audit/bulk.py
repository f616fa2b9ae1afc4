"""Audit entries for rows written in bulk, where model signals do not fire.

``bulk_create`` skips the save signals django-auditlog listens to, so code that writes many
rows at once (the demo seeder) must log them itself. The entries are the same as the
signals would write: one "create" per row, every encrypted value masked, sealed into the
chain by ``seal_many``.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable
from typing import Any

from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.encoding import smart_str

from victimsupport.audit.chain import seal_many, secret_field_names
from victimsupport.audit.models import AuditEntry
from victimsupport.audit.redaction import redact
from victimsupport.audit.services import safe_detail


def _logged_fields(model: type[models.Model]) -> list[tuple[models.Field, bool]]:
    """(field, masked) for each field a create entry of ``model`` lists."""
    if not auditlog.contains(model):
        raise ValueError(f"{model._meta.label} is not registered with the audit log")
    options = auditlog.get_model_fields(model)
    exclude = set(options.get("exclude_fields") or ())
    secret = secret_field_names(model) | set(options.get("mask_fields") or ())
    return [
        (field, field.name in secret)
        for field in model._meta.concrete_fields
        if field.name not in exclude
    ]


def creation_changes(obj: models.Model, fields: list[tuple[models.Field, bool]]) -> dict:
    changes: dict[str, list[str]] = {}
    for field, masked in fields:
        value = getattr(obj, field.attname)
        if value is None:
            continue
        # As auditlog's own diff: a masked field has both sides masked ("None" -> "[empty]").
        changes[field.name] = (
            [redact(None), redact(value)] if masked else ["None", smart_str(value)]
        )
    return changes


@functools.cache
def _entry_fields() -> tuple[tuple[str, ...], tuple[Any, ...]]:
    fields = AuditEntry._meta.concrete_fields
    # Every default but the timestamp's is a constant ('' or None); the timestamp is given.
    return tuple(f.attname for f in fields), tuple(
        None if f.attname == "timestamp" else f.get_default() for f in fields
    )


def _entry(**values: Any) -> AuditEntry:
    """An unsaved entry, built as Django builds a row it read (positional values, no
    descriptors): several times faster than keyword construction, the same object."""
    names, defaults = _entry_fields()
    row = [values.pop(n, d) for n, d in zip(names, defaults, strict=True)]
    if values:
        raise TypeError(f"audit entries have no field {sorted(values)}")
    return AuditEntry(*row)


def log_created(
    objs: Iterable[models.Model],
    *,
    actor: Any = None,
    at: Callable[[models.Model], datetime.datetime] | None = None,
) -> list[AuditEntry]:
    """Unsaved "create" entries for ``objs`` (saved rows with primary keys)."""
    entries = []
    cache: dict[type, tuple[int, list[tuple[models.Field, bool]]]] = {}
    now = timezone.now()
    for obj in objs:
        model = type(obj)
        if model not in cache:
            cache[model] = (ContentType.objects.get_for_model(model).pk, _logged_fields(model))
        content_type_id, fields = cache[model]
        pk = obj.pk
        if pk is None:
            raise ValueError("log_created needs saved rows")
        entries.append(
            _entry(
                content_type_id=content_type_id,
                object_pk=str(pk),
                object_id=pk if isinstance(pk, int) else None,
                action=AuditEntry.Action.CREATE,
                changes=creation_changes(obj, fields),
                actor_id=getattr(actor, "pk", None),
                actor_email=getattr(actor, "email", None),
                timestamp=at(obj) if at else now,
            )
        )
    return entries


def access_entry(
    obj: models.Model,
    *,
    actor: Any,
    kind: str,
    at: datetime.datetime,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """An unsaved access entry, as ``record_access`` writes one (``detail``: ids and enum
    values only, checked as ``record_access`` checks them)."""
    for key, value in (detail or {}).items():
        if not isinstance(value, (bool, int)) and not (
            isinstance(value, str) and safe_detail(value)
        ):
            raise ValueError(f"audit detail {key!r} must be an id or enum value, not free text")
    return _entry(
        content_type_id=ContentType.objects.get_for_model(type(obj)).pk,
        object_pk=str(obj.pk),
        object_id=obj.pk if isinstance(obj.pk, int) else None,
        action=AuditEntry.Action.ACCESS,
        actor_id=getattr(actor, "pk", None),
        actor_email=getattr(actor, "email", None),
        additional_data={"access": str(kind), **(detail or {})},
        timestamp=at,
    )


def seal(entries: list[AuditEntry]) -> int:
    """Seal ``entries`` in order into the chain (one lock, batched inserts)."""
    # Entries of one batch are sealed in time order, as they would have been written.
    entries.sort(key=lambda e: e.timestamp)
    return seal_many(entries)
