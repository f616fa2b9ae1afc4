"""Retention and erasure (GDPR arts. 5(1)(e) and 17): the schedule, what is due, legal holds,
the erasure of a case, and an erasure asked for by the person.

What ``retention_due`` does with each kind of record:

- closed cases past their period are *recorded* as due (an ``Erasure`` waiting for the DPO's
  approval): a case file is never erased without a person deciding, and a legal hold stops it;
- unfinished intake drafts and PDF exports or copies past their period are *purged* at once:
  they are technical, short-lived working copies (an abandoned intake nobody can finish, a
  rendering of a file that stays in the file itself), nobody decides anything about them, and
  keeping them longer only keeps a second copy of personal data;
- closed requests from people and closed breaches past their period are *listed*: they are
  the DPO's accountability records (art. 5(2)), whose end a person decides.

Erasure removes every row of the case through the ORM, so that each deletion writes a change
entry of the sealed audit log (which never holds values: encrypted and blind-index fields are
redacted), and the log stays verifiable. On SQLite the connection deletes securely (freed
pages are zeroed), so no ciphertext or blind-index digest lingers in the file; on PostgreSQL
dead rows are reclaimed by (auto)vacuum, which backups and the database's own files follow.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, DuplicateMatch, IntakeDraft
from dataprotection import clock
from dataprotection.models import (
    AccessRequest,
    Breach,
    BreachNotice,
    CopyJob,
    Delivery,
    Erasure,
    ErasureStatus,
    LegalHold,
    RecordKind,
    Redaction,
    RefusalGround,
    RequestCase,
    RequestKind,
    RequestStatus,
    RetentionRule,
    Withholding,
)
from referrals.models import ProtectedPackage, Referral
from victimsupport import casefile, country, limits, pdfjobs
from victimsupport.access import Role, has_role
from victimsupport.audit.models import ChainHead
from victimsupport.concurrency import EditConflict, claim
from victimsupport.crypto.fields import blind_index_fields, encrypted_fields

# The category each model's rows are counted under on the deletion certificate.
CATEGORY_OF = {
    "cases.Case": "case",
    "cases.Victim": casefile.Category.IDENTITY,
    "cases.ContactPreference": casefile.Category.SAFETY,
    "cases.ThirdParty": casefile.Category.THIRD_PARTIES,
    "cases.NeedsRecord": casefile.Category.NEEDS,
    "cases.Consent": casefile.Category.CONSENTS,
    "referrals.SharingConsent": casefile.Category.CONSENTS,
    "cases.NoticeAcknowledgement": casefile.Category.CONSENTS,
    "cases.Document": casefile.Category.DOCUMENTS,
    "cases.Note": casefile.Category.NOTES,
    "cases.ContactLog": casefile.Category.NOTES,
    "cases.StatusChange": casefile.Category.INTERNAL,
    "cases.RiskScreen": casefile.Category.RISK,
    "risk.Assessment": casefile.Category.RISK,
    "risk.ReassessmentTrigger": casefile.Category.RISK,
    "risk.SafetyPlan": casefile.Category.SAFETY,
    "risk.SafetyAction": casefile.Category.SAFETY,
    "referrals.Referral": "referrals",
    "referrals.ProtectedPackage": "referrals",
    "cases.ExportJob": "exports",
    "dataprotection.CopyJob": "exports",
    "cases.IntakeDraft": "intake",
}


# On the certificate: the requests about the case left with no personal datum.
ANONYMISED = "requests_anonymised"


def _require_dpo(actor: Any) -> None:
    if not has_role(actor, Role.DATA_PROTECTION_OFFICER):
        raise ValidationError(_("Only the data-protection officer may do this."))


# --- The schedule -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleRow:
    kind: str
    label: Any
    days: int
    default_days: int
    rule: RetentionRule | None

    @property
    def is_default(self) -> bool:
        return self.rule is None

    @property
    def version(self) -> int:
        return self.rule.version if self.rule else 0

    @property
    def years(self) -> int | None:
        """Whole years, counted by the calendar (see ``period_end``), or None."""
        return whole_years(self.days)

    @property
    def default_years(self) -> int | None:
        return whole_years(self.default_days)


def retention_days(kind: str, rules: dict[str, RetentionRule] | None = None) -> int:
    """The period in force for ``kind``: the DPO's rule, else the country profile's default."""
    rule = RetentionRule.objects.filter(kind=kind).first() if rules is None else rules.get(kind)
    if rule is not None:
        return rule.days
    return country.current().retention_days[kind]


def retention_schedule() -> list[ScheduleRow]:
    """Every kind of record with its period (the profile's default where no rule exists)."""
    rules = {r.kind: r for r in RetentionRule.objects.all()}
    defaults = country.current().retention_days
    return [
        ScheduleRow(
            kind=kind,
            label=label,
            days=retention_days(kind, rules),
            default_days=defaults[kind],
            rule=rules.get(kind),
        )
        for kind, label in RecordKind.choices
    ]


@transaction.atomic
def retention_rule_set(*, actor: Any, kind: str, days: int, version: int) -> RetentionRule:
    """Set how long ``kind`` is kept. ``version`` is the rule's as read (0: no rule yet)."""
    _require_dpo(actor)
    if kind not in RecordKind.values:
        raise ValidationError({"kind": _("Choose a kind of record from the schedule.")})
    if days < 1 or days > 365 * 100:
        raise ValidationError({"days": _("Give a period between 1 day and 100 years.")})
    existing = RetentionRule.objects.filter(kind=kind).first()
    if existing is None:
        if version != 0:
            raise EditConflict(current=None)
        rule = RetentionRule(kind=kind)
    else:
        rule = claim(RetentionRule, pk=existing.pk, version=version)
    rule.days = days
    rule.updated_by = actor
    rule.updated_at = timezone.now()
    rule.save()
    return rule


# --- What is due --------------------------------------------------------------------------


@dataclass
class DueReport:
    """What one run found: counts only, never a name."""

    cases_due: int = 0
    erasures_recorded: int = 0
    on_hold: int = 0
    # Due, but an open request or referral needs the file: approval waits for it.
    blocked: int = 0
    purged: dict[str, int] = field(default_factory=dict)
    listed: dict[str, list[str]] = field(default_factory=dict)


def whole_years(days: int) -> int | None:
    """The years a period of ``days`` stands for, when it is whole years (a multiple of 365
    days: "6 years" is stored as 2190), else None."""
    return days // 365 if days and days % 365 == 0 else None


def period_end(start: datetime.date, days: int) -> datetime.date:
    """The day a period of ``days`` begun on ``start`` is over: whole years by the calendar
    (the anniversary, whatever the leap days between), any other period in days."""
    years = whole_years(days)
    if years is not None:
        return clock.add_months(start, 12 * years)
    return start + datetime.timedelta(days=days)


def period_start(today: datetime.date, days: int) -> datetime.date:
    """The latest day a period of ``days`` may have begun to be over by ``today``."""
    years = whole_years(days)
    if years is not None:
        return clock.add_months(today, -12 * years)
    return today - datetime.timedelta(days=days)


def _cut_off(kind: str, today: datetime.date, rules: dict[str, RetentionRule]) -> datetime.datetime:
    """The moment before which a record of ``kind`` has been kept its period by ``today``: a
    record of a day is due on the day its period ends (for whole years, its anniversary)."""
    last_day = period_start(today, retention_days(kind, rules))
    start = datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(start)


def active_holds() -> models.QuerySet[LegalHold]:
    return LegalHold.objects.filter(lifted_at__isnull=True)


def closed_cases_due(today: datetime.date, rules: dict[str, RetentionRule] | None = None) -> Any:
    """Closed cases kept their period by ``today``, holds included (the caller excludes them)."""
    rules = rules if rules is not None else {r.kind: r for r in RetentionRule.objects.all()}
    return Case.objects.filter(
        status=Case.Status.CLOSED,
        closed_at__isnull=False,
        closed_at__lt=_cut_off(RecordKind.CLOSED_CASE, today, rules),
    )


def technical_due(today: datetime.date, rules: dict[str, RetentionRule]) -> dict[str, Any]:
    """The technical records past their period, by model label: purged without a decision."""
    drafts_before = _cut_off(RecordKind.INTAKE_DRAFT, today, rules)
    exports_before = _cut_off(RecordKind.EXPORT, today, rules)
    found: dict[str, Any] = {
        # An unfinished draft nobody finished; a draft that became a case goes with the case.
        "cases.IntakeDraft": IntakeDraft.objects.filter(
            finished_at__isnull=True, updated_at__lt=drafts_before, case__isnull=True
        ),
        "referrals.ProtectedPackage": ProtectedPackage.objects.filter(
            created_at__lt=exports_before
        ).defer("pdf"),
    }
    for model in pdfjobs.job_models():
        found[model._meta.label] = model._default_manager.filter(
            created_at__lt=exports_before
        ).defer("pdf")
    return found


def _records_past(today: datetime.date, rules: dict[str, RetentionRule] | None) -> dict:
    """The DPO's closed records kept past their period, holds included: {kind: queryset}."""
    rules = rules if rules is not None else {r.kind: r for r in RetentionRule.objects.all()}
    closed = [RequestStatus.DELIVERED, RequestStatus.ERASED, RequestStatus.REFUSED]
    closed.append(RequestStatus.WITHDRAWN)
    return {
        RecordKind.ACCESS_REQUEST: AccessRequest.objects.filter(
            status__in=closed,
            closed_at__isnull=False,
            closed_at__lt=_cut_off(RecordKind.ACCESS_REQUEST, today, rules),
        ),
        RecordKind.BREACH: Breach.objects.filter(
            closed_at__isnull=False, closed_at__lt=_cut_off(RecordKind.BREACH, today, rules)
        ),
    }


def _held_filters() -> dict[str, Q]:
    """Per kind, the records about a case under an active legal hold: a request naming it, a
    breach whose notice told its person. The hold keeps them with the file."""
    held = active_holds().values("case_id")
    requests = RequestCase.objects.filter(case_id__in=held).values("request_id")
    breaches = BreachNotice.objects.filter(case_id__in=held).values("breach_id")
    return {RecordKind.ACCESS_REQUEST: Q(pk__in=requests), RecordKind.BREACH: Q(pk__in=breaches)}


def records_due(today: datetime.date, rules: dict[str, RetentionRule] | None = None) -> dict:
    """The DPO's records past their period, listed for a decision: {kind: queryset}. A record
    about a case under an active legal hold is not due (see ``records_held``)."""
    held = _held_filters()
    return {
        kind: queryset.exclude(held[kind]).order_by("closed_at").only("pk", "reference")
        for kind, queryset in _records_past(today, rules).items()
    }


def records_held(today: datetime.date, rules: dict[str, RetentionRule] | None = None) -> dict:
    """The DPO's records past their period kept because a legal hold is on a case they
    concern: {kind: queryset}."""
    held = _held_filters()
    return {
        kind: queryset.filter(held[kind]).order_by("closed_at").only("pk", "reference")
        for kind, queryset in _records_past(today, rules).items()
    }


def records_review(today: datetime.date) -> dict[str, tuple[list, list]]:
    """For the page, in one query per kind: {kind: (the records due, the records kept by a
    legal hold)}, each list oldest first."""
    held = _held_filters()
    found: dict[str, tuple[list, list]] = {}
    for kind, queryset in _records_past(today, None).items():
        rows = list(
            queryset.annotate(
                on_hold=models.Case(
                    models.When(held[kind], then=True),
                    default=False,
                    output_field=models.BooleanField(),
                )
            )
            .order_by("closed_at")
            .only("pk", "reference")
        )
        found[kind] = ([r for r in rows if not r.on_hold], [r for r in rows if r.on_hold])
    return found


def _valid_pks(model: type[models.Model], ids: Any) -> list[Any]:
    """The ids of ``ids`` that can be primary keys of ``model`` (others are dropped)."""
    found = []
    for value in ids or []:
        try:
            found.append(model._meta.pk.to_python(value))
        except ValidationError:
            continue
    return found


@transaction.atomic
def records_delete_due(
    *, actor: Any, kind: str, ids: Any, today: datetime.date | None = None
) -> int:
    """Delete the DPO's closed records of ``kind`` (requests from people, or breaches) kept
    past their period, once the DPO has reviewed the list: only those of ``ids`` (the list the
    DPO reviewed) still due now, so that a record due since, or held since, stays. Each row
    goes through the ORM, so each deletion (and that of its redactions, copies, delivery and
    notices) is an audited change entry without values. An erasure certificate that named a
    request keeps its reference and loses the link. Returns how many records were deleted."""
    _require_dpo(actor)
    if kind not in (RecordKind.ACCESS_REQUEST, RecordKind.BREACH):
        raise ValidationError(_("Only closed requests and breaches are deleted from here."))
    due = records_due(today or timezone.localdate())[kind]
    reviewed = _valid_pks(due.model, ids)
    rows = list(
        due.model._default_manager.filter(pk__in=due.values("pk"))
        .filter(pk__in=reviewed)
        .select_for_update()
    )
    for row in rows:
        row.delete()
    return len(rows)


def retention_due(*, today: datetime.date | None = None, dry_run: bool = False) -> DueReport:
    """Find what the schedule says is due on ``today``.

    Closed cases past their period and under no active legal hold are recorded as
    ``Erasure(status=DUE, basis=SCHEDULE)``, once (a case already due is left as it is);
    technical records are purged; the DPO's own records are listed. ``dry_run`` writes
    nothing and reports what a run would do.
    """
    today = today or timezone.localdate()
    rules = {r.kind: r for r in RetentionRule.objects.all()}
    report = DueReport()
    period = retention_days(RecordKind.CLOSED_CASE, rules)
    held = set(active_holds().values_list("case_id", flat=True))
    already = set(
        Erasure.objects.filter(status=ErasureStatus.DUE, case__isnull=False).values_list(
            "case_id", flat=True
        )
    )
    due_cases = list(closed_cases_due(today, rules).only("pk", "reference", "closed_at"))
    # (A case on hold is counted as such; any other obstacle is a request or a referral.)
    needed = {pk for pk, why in obstacles_by_case(c.pk for c in due_cases).items() if why}
    with transaction.atomic():
        for case in due_cases:
            if case.pk in held:
                report.on_hold += 1
                continue
            report.cases_due += 1
            if case.pk in needed:
                report.blocked += 1
            if case.pk in already:
                continue
            if not dry_run:
                Erasure.objects.create(
                    case=case,
                    case_reference=case.reference,
                    basis=Erasure.Basis.SCHEDULE,
                    status=ErasureStatus.DUE,
                    due_since=period_end(timezone.localdate(case.closed_at), period),
                )
            report.erasures_recorded += 1
        for label, queryset in technical_due(today, rules).items():
            if dry_run:
                report.purged[label] = queryset.count()
            else:
                count, _per_model = queryset.delete()
                report.purged[label] = count
    for kind, queryset in records_due(today, rules).items():
        report.listed[kind] = [r.reference for r in queryset]
    return report


# --- Legal holds ----------------------------------------------------------------------------


def case_by_reference(reference: str) -> Case:
    """The case with exactly this reference (the DPO cannot open case files to choose one)."""
    reference = (reference or "").strip().upper()
    case = Case.objects.filter(reference=reference).only("pk", "reference").first()
    if case is None:
        raise ValidationError(
            {"reference": _("No case has this reference: check it and type it in full.")}
        )
    return case


@transaction.atomic
def legal_hold_place(*, actor: Any, case: Case, reason: str, review_on: datetime.date) -> LegalHold:
    _require_dpo(actor)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the file must be kept.")})
    if len(reason) > limits.REASON:
        raise ValidationError({"reason": _("The reason is too long.")})
    if review_on <= timezone.localdate():
        raise ValidationError({"review_on": _("Choose a review date after today.")})
    hold = LegalHold.objects.create(case=case, reason=reason, review_on=review_on, placed_by=actor)
    # A case already due waits: its erasure stays due, and approval is refused while held.
    return hold


@transaction.atomic
def legal_hold_lift(*, actor: Any, hold: LegalHold, note: str = "") -> LegalHold:
    """Lift a hold. The note is added to the reason (the hold keeps why it ended)."""
    _require_dpo(actor)
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.lifted_at is not None:
        raise ValidationError(_("This hold was already lifted."))
    if len(note or "") > limits.REASON // 2:
        raise ValidationError({"note": _("The note is too long.")})
    hold.lifted_at = timezone.now()
    hold.lifted_by = actor
    if note.strip():
        hold.reason = f"{hold.reason}\n\n{_('Lifted:')} {note.strip()}"[: limits.REASON]
    hold.save()
    return hold


# --- Erasure ------------------------------------------------------------------------------


def obstacles_by_case(case_ids: Any) -> dict[Any, list[tuple[Any, str]]]:
    """Why each of ``case_ids`` may not be erased now (three queries for any number): for
    each case, (the open request it is about, or None; the reason in plain words)."""
    case_ids = list(case_ids)
    found: dict[Any, list[tuple[Any, str]]] = {pk: [] for pk in case_ids}
    if not case_ids:
        return found
    for case_id in active_holds().filter(case_id__in=case_ids).values_list("case_id", flat=True):
        found[case_id].append(
            (None, _("A legal hold is on this file: lift it first if it no longer applies."))
        )
    links = (
        RequestCase.objects.filter(
            case_id__in=case_ids, request__status__in=RequestStatus.open_values()
        )
        .order_by("request__reference")
        .values_list("case_id", "request_id", "request__reference", "request__kind")
    )
    for case_id, request_id, reference, kind in links:
        if kind == RequestKind.ERASURE:
            reason = _("The erasure request %(reference)s is still open: decide it instead.")
        else:
            reason = _("The access request %(reference)s still needs this file: answer it first.")
        found[case_id].append((request_id, reason % {"reference": reference}))
    referrals = (
        Referral.objects.filter(case_id__in=case_ids)
        .open()
        .values("case_id")
        .annotate(n=models.Count("pk"))
        .order_by()
    )
    for row in referrals:
        found[row["case_id"]].append(
            (
                None,
                _(
                    "A referral to a partner is still open (%(count)d): it must be completed or "
                    "revoked first."
                )
                % {"count": row["n"]},
            )
        )
    return found


def erasure_obstacles(case: Case, *, request: AccessRequest | None = None) -> list[str]:
    """Why ``case`` may not be erased now, in plain words (nothing: it may). ``request``: the
    erasure request being decided, which does not stand in its own way."""
    mine = request.pk if request is not None else None
    return [
        reason
        for request_id, reason in obstacles_by_case([case.pk])[case.pk]
        if request_id is None or request_id != mine
    ]


def due_with_obstacles(erasures: list[Erasure]) -> list[Erasure]:
    """``erasures`` (due ones) each given ``obstacles``: what stands in the way of approving
    it, so that no list shows a case as waiting for approval without saying why it cannot be
    approved yet (three queries)."""
    found = obstacles_by_case({e.case_id for e in erasures if e.case_id is not None})
    for erasure in erasures:
        erasure.obstacles = [
            reason
            for request_id, reason in found.get(erasure.case_id, [])
            if request_id is None or request_id != erasure.request_id
        ]
    return erasures


def _delete(queryset: models.QuerySet, counts: Counter) -> None:
    """Delete through the ORM's collector (each row an audited change entry) and count."""
    _total, per_model = queryset.delete()
    for label, n in per_model.items():
        if n:
            counts[label] += n


def _keys_of(case: Case) -> set[str]:
    """The item keys a copy gives the items of ``case`` (``copy.section_key``/``timeline_key``)."""
    from dataprotection import copy

    projection = casefile.build(case)
    keys = {copy.section_key(section, case) for section in projection.sections}
    keys |= {copy.timeline_key(entry) for entry in projection.timeline}
    return keys


def _blank_request(request: AccessRequest) -> None:
    """Every encrypted field and blind index of ``request`` emptied: what remains is its
    reference, kind, status, dates, grounds and the staff who handled it."""
    for enc in encrypted_fields(AccessRequest):
        setattr(request, enc.name, None if enc.null else "")
    request.authority_document_type = ""
    request.item_keys = []
    request.documents_confirmed = []
    request.approved_digest = ""
    request.submitted_digest = ""
    request.approved_files = []  # ids and fingerprints of the erased case's documents
    request.save()  # the blind indexes follow their (now empty) source: None
    for index in blind_index_fields(AccessRequest):
        if getattr(request, index.attname) is not None:
            setattr(request, index.attname, None)
            request.save(update_fields=[index.name])


def _erase_requests(case: Case, counts: Counter) -> None:
    """The requests about ``case``: a request about this case alone (or about cases all
    erased) is anonymised; a request that still concerns other cases keeps only what is of
    those cases (the redactions, withholdings and item keys of their items as they are now:
    whatever else it holds may be of this case, an item deleted since included), loses its
    reviewer's note, and its copy (which holds this case) is cleared."""
    request_ids = list(RequestCase.objects.filter(case=case).values_list("request_id", flat=True))
    if not request_ids:
        return
    remaining: dict[int, list[int]] = {}
    for request_id, case_id in (
        RequestCase.objects.filter(request_id__in=request_ids)
        .exclude(case=case)
        .values_list("request_id", "case_id")
    ):
        remaining.setdefault(request_id, []).append(case_id)
    keys_of_case: dict[int, set[str]] = {}
    for request in AccessRequest.objects.filter(pk__in=request_ids).order_by("pk"):
        mine = RequestCase.objects.filter(request=request, case=case)
        if request.pk not in remaining:
            _delete(CopyJob.objects.filter(request=request).defer("pdf"), counts)
            _delete(Redaction.objects.filter(request=request), counts)
            _delete(Withholding.objects.filter(request=request), counts)
            _delete(Delivery.objects.filter(request=request).defer("pdf"), counts)
            _delete(mine, counts)
            _blank_request(request)
            counts[ANONYMISED] += 1
            continue
        # Still about other cases: only what is of them is kept.
        kept: set[str] = set()
        for other in Case.objects.filter(pk__in=remaining[request.pk]).order_by("pk"):
            if other.pk not in keys_of_case:
                keys_of_case[other.pk] = _keys_of(other)
            kept |= keys_of_case[other.pk]
        _delete(Redaction.objects.filter(request=request).exclude(item_key__in=kept), counts)
        _delete(Withholding.objects.filter(request=request).exclude(item_key__in=kept), counts)
        # The copy was made of every case of the request: it goes, and is made again.
        _delete(CopyJob.objects.filter(request=request).defer("pdf"), counts)
        for delivery in Delivery.objects.filter(request=request, pdf__isnull=False):
            delivery.pdf = None
            delivery.save(update_fields=["pdf"])
            counts["dataprotection.Delivery"] += 1
        _delete(mine, counts)
        request.item_keys = [k for k in request.item_keys or [] if k in kept]
        request.documents_confirmed = [k for k in request.documents_confirmed or [] if k in kept]
        # The reviewer's note may tell of what the erased case held.
        request.review_note = ""
        request.approved_html = None
        request.approved_digest = ""
        request.submitted_digest = ""
        request.approved_files = []
        if request.status in (RequestStatus.IN_REVIEW, RequestStatus.APPROVED):
            request.status = RequestStatus.PREPARING
        if request.is_open:
            request.draft_made_at = None
        request.save()
        counts["dataprotection.AccessRequest"] += 1


def _erase_rows(case: Case, counts: Counter) -> None:
    _erase_requests(case, counts)
    # Referrals first: a referral PROTECTs the consent it went under.
    _delete(ProtectedPackage.objects.filter(referral__case=case).defer("pdf"), counts)
    _delete(Referral.objects.filter(case=case), counts)
    # A possible duplicate points at the case from either side.
    _delete(DuplicateMatch.objects.filter(new_case=case), counts)
    for model, path in casefile.case_models():
        if model is Erasure:
            continue  # kept, without the case: the certificate
        _delete(model._default_manager.filter(**{path: case}), counts)


def _chain_head() -> str:
    head = ChainHead.objects.filter(pk=1).first()
    return f"{head.seq}:{head.seal}" if head else ""


@transaction.atomic
def case_erase(*, actor: Any, erasure: Erasure) -> Erasure:
    """Erase the case of ``erasure`` (the DPO approves): every row of it, in one transaction.

    Refused, with what stands in the way, under an active legal hold, while another request
    or an open referral needs the file. The ``Erasure`` keeps the case's reference, counts of
    what was erased per kind of record, the dates, the approver and the audit chain's head just
    after the erasure's own entries.
    """
    _require_dpo(actor)
    erasure = Erasure.objects.select_for_update().get(pk=erasure.pk)
    if erasure.status != ErasureStatus.DUE or erasure.case_id is None:
        raise ValidationError(_("This erasure is not waiting for approval."))
    case = Case.objects.select_for_update().get(pk=erasure.case_id)
    if erasure.basis == Erasure.Basis.SCHEDULE and case.status != Case.Status.CLOSED:
        raise ValidationError(_("The case was reopened since it was found due: it is kept."))
    obstacles = erasure_obstacles(case, request=erasure.request)
    if obstacles:
        raise ValidationError(obstacles)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")

    counts: Counter = Counter()
    _erase_rows(case, counts)
    # Other erasures of the case (kept ones, an earlier refusal) lose the case too, and the
    # reason written then (it may tell of the person); their grounds stay.
    for other in Erasure.objects.filter(case=case).exclude(pk=erasure.pk):
        other.case = None
        other.kept_reason = ""
        other.save(update_fields=["case", "kept_reason"])
    draft = case.intake_draft
    erasure.case = None
    erasure.save(update_fields=["case"])
    _delete(Case.objects.filter(pk=case.pk), counts)
    if draft is not None:
        _delete(IntakeDraft.objects.filter(pk=draft.pk), counts)

    erasure.counts = dict(sorted(counts.items()))
    erasure.status = ErasureStatus.ERASED
    erasure.approved_by = actor
    erasure.erased_at = timezone.now()
    erasure.save()
    # The head as it stands after every entry of the erasure (the save above included); the
    # head is derived, so it is written without an entry of its own.
    Erasure.objects.filter(pk=erasure.pk).update(chain_head=_chain_head())
    erasure.refresh_from_db()
    return erasure


def _check_grounds(grounds: list[str], reason: str) -> list[str]:
    grounds = list(dict.fromkeys(grounds or []))
    if not grounds or set(grounds) - set(RefusalGround.values):
        raise ValidationError({"grounds": _("Choose at least one legal reason to keep the file.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Explain the decision in a few words.")})
    if len(reason) > limits.REASON:
        raise ValidationError({"reason": _("The reason is too long.")})
    return grounds


@transaction.atomic
def erasure_keep(*, actor: Any, erasure: Erasure, grounds: list[str], reason: str) -> Erasure:
    """Refuse an erasure, recording the legal reasons to keep the file."""
    _require_dpo(actor)
    grounds = _check_grounds(grounds, reason)
    erasure = Erasure.objects.select_for_update().get(pk=erasure.pk)
    if erasure.status != ErasureStatus.DUE:
        raise ValidationError(_("This erasure is not waiting for a decision."))
    erasure.status = ErasureStatus.KEPT
    erasure.kept_grounds = grounds
    erasure.kept_reason = reason.strip()
    erasure.approved_by = actor
    erasure.save()
    return erasure


@transaction.atomic
def erasure_request_decide(
    *,
    actor: Any,
    request: AccessRequest,
    approve: bool,
    grounds: list[str] | None = None,
    reason: str = "",
) -> list[Erasure]:
    """Decide a person's erasure request: erase each of its cases, or refuse with grounds.

    Either way the request is closed (ERASED or REFUSED). The identity must have been checked
    first. Returns the erasures made (erased, or kept with the grounds).
    """
    _require_dpo(actor)
    request = AccessRequest.objects.select_for_update().get(pk=request.pk)
    if request.kind != RequestKind.ERASURE:
        raise ValidationError(_("This request is not a request for erasure."))
    if not request.is_open:
        raise ValidationError(_("This request is already closed."))
    if not request.identity_checked:
        raise ValidationError(_("Check the person's identity before deciding."))
    if request.blocked_by_feared_match:
        raise ValidationError(
            _("The person asking matches someone the file records as feared: decide that first.")
        )
    if not approve:
        grounds = _check_grounds(grounds or [], reason)
    cases = list(
        Case.objects.filter(
            pk__in=RequestCase.objects.filter(request=request).values("case_id")
        ).only("pk", "reference")
    )
    if not cases:
        raise ValidationError(_("The request names no case."))
    today = timezone.localdate()
    made = []
    for case in cases:
        # A due erasure of the schedule becomes this one: one due erasure per case.
        Erasure.objects.filter(case=case, status=ErasureStatus.DUE).delete()
        erasure = Erasure.objects.create(
            case=case,
            case_reference=case.reference,
            basis=Erasure.Basis.REQUEST,
            request=request,
            request_reference=request.reference,
            due_since=request.received_on or today,
        )
        if approve:
            made.append(case_erase(actor=actor, erasure=erasure))
        else:
            made.append(erasure_keep(actor=actor, erasure=erasure, grounds=grounds, reason=reason))
    # Read again: erasing its last case anonymised the request (a save of the copy read
    # before would write the person's name back).
    request = AccessRequest.objects.get(pk=request.pk)
    request.status = RequestStatus.ERASED if approve else RequestStatus.REFUSED
    request.closed_at = timezone.now()
    request.closed_by = actor
    changed = ["status", "closed_at", "closed_by"]
    if not approve:
        request.refusal_grounds = grounds
        request.refusal_reason = reason.strip()
        changed += ["refusal_grounds", "refusal_reason"]
    request.save(update_fields=changed)
    return made


# --- For the pages --------------------------------------------------------------------------


def counted_categories(erasure: Erasure) -> list[dict[str, Any]]:
    """The certificate's table: each kind of record erased, its category and its count."""
    labels = dict(casefile.Category.choices) | {
        "case": _("The case record"),
        "referrals": _("Referrals"),
        "exports": _("Exports and copies"),
        "intake": _("Intake"),
        "requests": _("Requests from people"),
    }
    rows = []
    for label, count in (erasure.counts or {}).items():
        if label == ANONYMISED:
            kind = _("Requests from people, anonymised (reference, dates and grounds kept)")
            rows.append({"kind": kind, "category": labels["requests"], "count": count})
            continue
        try:
            name = apps.get_model(label)._meta.verbose_name_plural
        except LookupError:
            name = label
        category = CATEGORY_OF.get(label, "requests" if label.startswith("dataprotection.") else "")
        rows.append({"kind": name, "category": labels.get(category, _("Other")), "count": count})
    rows.sort(key=lambda r: (str(r["category"]), str(r["kind"])))
    return rows
