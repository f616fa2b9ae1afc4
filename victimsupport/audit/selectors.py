"""Reading the audit log as people read it: filtered, with case references, names and local
times instead of ids, codes and UTC.

The core knows no app's model: the case a row belongs to is found through the case-file
registry (each app names its models and the lookup from each to its case), and the case
model is the one those lookups end at. A page costs the same queries whatever its number of
rows and its mix of records: one for the rows and one (a UNION) to find their cases.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import CharField, F, IntegerField, Q, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from victimsupport import casefile
from victimsupport.audit.models import AuditEntry, ChainHead
from victimsupport.audit.services import AccessKind

# The case's pseudonymous reference (VS-2026-00042): plaintext by design, fine in a log.
REFERENCE_FIELD = "reference"

CHANGE_KINDS = {
    "created": (AuditEntry.Action.CREATE, gettext_lazy("Created")),
    "changed": (AuditEntry.Action.UPDATE, gettext_lazy("Changed")),
    "deleted": (AuditEntry.Action.DELETE, gettext_lazy("Deleted")),
}
KIND_CHOICES: list[tuple[str, Any]] = [
    *((key, label) for key, (_action, label) in CHANGE_KINDS.items()),
    *AccessKind.choices,
]


def case_model() -> type[models.Model] | None:
    """The model every registered case lookup ends at."""
    for model, path in casefile.case_models():
        target: Any = model
        for part in path.split("__"):
            target = target._meta.get_field(part).related_model
        return target
    return None


def entries_about(case: Any) -> Q:
    """The entries about ``case`` and about the rows the case-file registry says are its own,
    as one condition: each model's rows are a subquery rather than a list fetched first."""
    query = Q(content_type=ContentType.objects.get_for_model(type(case)), object_pk=str(case.pk))
    for model, path in casefile.case_models():
        own = model._default_manager.filter(**{path: case})
        if isinstance(model._meta.pk, models.UUIDField):
            # SQLite keeps a UUID as bare hex, so a cast would not match the log's text form:
            # these few rows are fetched first (one query for the model).
            rows: Any = [str(pk) for pk in own.values_list("pk", flat=True)]
        else:
            rows = own.annotate(pk_text=Cast("pk", output_field=CharField())).values("pk_text")
        query |= Q(content_type=ContentType.objects.get_for_model(model), object_pk__in=rows)
    return query


def kind_condition(kind: str) -> Q:
    if kind in CHANGE_KINDS:
        return Q(action=CHANGE_KINDS[kind][0])
    return Q(action=AuditEntry.Action.ACCESS, additional_data__access=kind)


def filtered(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    person: Any = None,
    kind: str = "",
    case: Any = None,
) -> models.QuerySet[AuditEntry]:
    """The log narrowed by the filters given, newest first. Days are the organisation's."""
    entries = AuditEntry.objects.select_related("content_type", "actor").order_by("-seq")
    zone = timezone.get_current_timezone()
    if date_from:
        start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=zone)
        entries = entries.filter(timestamp__gte=start)
    if date_to:
        end = datetime.datetime.combine(
            date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
        )
        entries = entries.filter(timestamp__lt=end)
    if person is not None:
        entries = entries.filter(actor=person)
    if kind:
        entries = entries.filter(kind_condition(kind))
    if case is not None:
        entries = entries.filter(entries_about(case))
    return entries


# Past this many, a filtered log says "more than": an exact count of a million entries would
# read every one of them, on every page.
COUNT_CAP = 10_000


def entry_count(entries: models.QuerySet[AuditEntry], *, filtered: bool) -> tuple[int, bool]:
    """(how many entries, whether that is only a floor). The whole log is counted by its
    chain head: the entries are numbered 1, 2, 3... under the chain lock and never removed
    (``verify_audit`` proves it), so the head's number is the count, read from one row. A
    filtered log is counted up to ``COUNT_CAP``, through the filters' indexes."""
    if not filtered:
        head = ChainHead.objects.filter(pk=1).values_list("seq", flat=True).first()
        return head or 0, False
    found = entries.order_by()[: COUNT_CAP + 1].count()
    return min(found, COUNT_CAP), found > COUNT_CAP


def _case_paths() -> dict[int, str]:
    """Content type id -> lookup from that model's rows to the case's reference."""
    paths = {}
    target = case_model()
    if target is not None:
        paths[ContentType.objects.get_for_model(target).pk] = REFERENCE_FIELD
    for model, path in casefile.case_models():
        paths[ContentType.objects.get_for_model(model).pk] = f"{path}__{REFERENCE_FIELD}"
    return paths


def case_references(entries: Iterable[AuditEntry]) -> dict[int, str]:
    """Entry id -> the reference of the case its row belongs to, in one query however many
    entries and kinds of record there are (a UNION of one part per kind of record). Rows
    since deleted have none."""
    entries = list(entries)
    paths = _case_paths()
    wanted: dict[int, dict[str, Any]] = defaultdict(dict)
    for entry in entries:
        if entry.content_type_id not in paths:
            continue
        model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
        if model is None:
            continue
        try:
            wanted[entry.content_type_id][entry.object_pk] = model._meta.pk.to_python(
                entry.object_pk
            )
        except ValidationError:
            continue  # not this model's id: names no row
    parts = []
    for content_type_id, keys in wanted.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        parts.append(
            model._default_manager.filter(pk__in=set(keys.values()))  # type: ignore[union-attr]
            .order_by()
            .annotate(
                vs_type=Value(content_type_id, output_field=IntegerField()),
                vs_pk=Cast("pk", output_field=CharField()),
                vs_reference=F(paths[content_type_id]),
            )
            .values_list("vs_type", "vs_pk", "vs_reference")
        )
    if not parts:
        return {}
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    found_rows: dict[tuple[int, str], str] = {}
    for content_type_id, pk_text, reference in query:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        # SQLite casts a UUID to bare hex: the model's own parsing gives one form for both.
        key = str(model._meta.pk.to_python(pk_text))  # type: ignore[union-attr]
        found_rows[(content_type_id, key)] = reference
    found: dict[int, str] = {}
    for entry in entries:
        key = wanted.get(entry.content_type_id, {}).get(entry.object_pk)
        if key is not None and (entry.content_type_id, str(key)) in found_rows:
            found[entry.pk] = found_rows[(entry.content_type_id, str(key))]
    return found


def actor_name(entry: AuditEntry) -> str:
    if entry.actor is None:
        return _("The system")
    return entry.actor.get_full_name() or entry.actor.get_username()


def action_label(entry: AuditEntry) -> str:
    kind = (entry.additional_data or {}).get("access")
    if entry.action == AuditEntry.Action.ACCESS:
        return str(AccessKind(kind).label) if kind in AccessKind.values else _("Opened")
    for action, label in CHANGE_KINDS.values():
        if entry.action == action:
            return str(label)
    return ""


def record_label(entry: AuditEntry) -> str:
    """What kind of record it was ("Victim", "Note"): never its text form, which may hold
    an id ("victim of case 7f3a...")."""
    refusal = entry.refusal
    if refusal is not None:
        if refusal["status"] == 403:
            what = _("May see, may not change")
        else:
            what = _("Not found or not theirs")
        count = refusal["count"] or 0
        text = ngettext(
            "%(what)s: %(route)s, %(count)s refusal this hour",
            "%(what)s: %(route)s, %(count)s refusals this hour",
            count,
        )
        return text % {
            "what": what,
            "route": refusal["route"],
            "count": refusal["count"],
        }
    model = entry.content_type.model_class()
    if model is None:  # a model since removed: its code is all there is
        return entry.content_type.model
    return capfirst(str(model._meta.verbose_name))


def changed_fields(entry: AuditEntry) -> list[str]:
    """The labels of the fields a change touched: names only, never values."""
    if entry.action != AuditEntry.Action.UPDATE or not entry.changes:
        return []
    model = entry.content_type.model_class()
    labels = []
    for name in entry.changes_dict or {}:
        try:
            labels.append(capfirst(str(model._meta.get_field(name).verbose_name)))  # type: ignore[union-attr]
        except (FieldDoesNotExist, AttributeError):
            labels.append(name)
    return labels


def local_time(moment: datetime.datetime) -> str:
    """ "3 Mar 2026 14:05:09 CET": the organisation's time, with its zone."""
    return date_format(timezone.localtime(moment), "j M Y H:i:s T")


@dataclass(frozen=True)
class Row:
    entry: AuditEntry
    when: str
    who: str
    what: str
    record: str
    case: str
    fields: list[str] = field(default_factory=list)


def rows(entries: Iterable[AuditEntry]) -> list[Row]:
    entries = list(entries)
    references = case_references(entries)
    return [
        Row(
            entry=entry,
            when=local_time(entry.timestamp),
            who=actor_name(entry),
            what=action_label(entry),
            record=record_label(entry),
            case=references.get(entry.pk, ""),
            fields=changed_fields(entry),
        )
        for entry in entries
    ]
