"""The case history as people read it: names, labels and local times, never ids or codes.

Everything here is worked out from the entry and its model's fields alone, so a page of 50
entries costs no query per row: a foreign key's new value would need its row to be named, so
it is left out ("changed") rather than shown as an id.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import ForeignObjectRel
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from victimsupport.audit.models import AuditEntry
from victimsupport.audit.redaction import EMPTY, REDACTED
from victimsupport.audit.selectors import entries_about
from victimsupport.audit.services import AccessKind

ACTIONS = {
    AuditEntry.Action.CREATE: _("Created"),
    AuditEntry.Action.UPDATE: _("Changed"),
    AuditEntry.Action.DELETE: _("Deleted"),
    AuditEntry.Action.ACCESS: _("Opened"),
}


@dataclass(frozen=True)
class Change:
    label: str
    text: str


def entries_of(case: Any) -> models.QuerySet[AuditEntry]:
    """Every entry about ``case`` and the rows the case-file registry says are its own, newest
    first, in one query (the audit log's case filter is the same condition)."""
    return (
        AuditEntry.objects.filter(entries_about(case))
        .select_related("actor", "content_type")
        .order_by("-seq")
    )


def actor_name(entry: AuditEntry) -> str:
    if entry.actor is None:
        return str(_("the system"))
    return entry.actor.get_full_name() or entry.actor.username


def action_label(entry: AuditEntry) -> str:
    kind = (entry.additional_data or {}).get("access")
    if entry.action == AuditEntry.Action.ACCESS and kind in AccessKind.values:
        return str(AccessKind(kind).label)
    return str(ACTIONS.get(entry.action, ""))


def record_label(entry: AuditEntry) -> str:
    model = entry.content_type.model_class()
    if model is None:  # a model since removed: its code is all there is
        return entry.content_type.model
    return capfirst(str(model._meta.verbose_name))


def changes(entry: AuditEntry) -> list[Change]:
    """Each changed field under its label. Hidden values read "changed (hidden)"; related
    rows and the row's own id are left out (naming them would cost a query a row)."""
    model = entry.content_type.model_class()
    if model is None or entry.action == AuditEntry.Action.ACCESS:
        return []
    created = entry.action == AuditEntry.Action.CREATE
    found = []
    for name, values in (entry.changes_dict or {}).items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if isinstance(field, ForeignObjectRel) or getattr(field, "primary_key", False):
            continue  # a reverse relation or the row's own id: nothing a reader can use
        if not isinstance(values, (list, tuple)) or len(values) != 2:
            text = str(_("changed"))  # a many-to-many change names no values worth showing
        elif created and _blank(values[1]):
            continue  # a new row's empty fields say nothing
        elif REDACTED in values or EMPTY in values:
            text = str(_("changed (hidden)"))
        elif field.is_relation:
            if created:
                continue
            text = str(_("changed"))
        elif created:
            text = _value(field, values[1])
        else:
            text = f"{_value(field, values[0])} → {_value(field, values[1])}"
        found.append(Change(label=capfirst(str(field.verbose_name)), text=text))
    return found


def _blank(value: Any) -> bool:
    return value in (None, "None", "", EMPTY, "[]", "{}")


def _value(field: Any, value: Any) -> str:
    if _blank(value):
        return "—"
    if field.choices:
        labels = {str(key): label for key, label in field.flatchoices}
        return str(labels.get(str(value), value))
    if isinstance(field, models.BooleanField):
        return str(_("yes") if value in (True, "True") else _("no"))
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(str(value))
        if moment is not None:
            if timezone.is_naive(moment):  # the log keeps times in UTC
                moment = timezone.make_aware(moment, datetime.UTC)
            return date_format(timezone.localtime(moment), "j M Y H:i T")
    elif isinstance(field, models.DateField):
        day = parse_date(str(value))
        if day is not None:
            return date_format(day, "j M Y")
    elif isinstance(field, models.JSONField):
        try:
            items = json.loads(value)
        except (TypeError, ValueError):
            items = None
        if isinstance(items, list):
            # A list of enum values (a consent's data categories) reads as their labels.
            labels = dict(getattr(field.model, "ITEM_CHOICES", {}).get(field.name, ()))
            return ", ".join(str(labels.get(item, item)) for item in items)
    return str(value)
