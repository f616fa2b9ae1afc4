"""Writes for risk: instruments, assessments, reassessment triggers."""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import global_settings, settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.levels import ASSESSED_VALUES
from cases.models import Case
from risk import engine
from risk.models import (
    Assessment,
    FinalisedAssessmentLocked,
    Instrument,
    InstrumentVersion,
    ReassessmentTrigger,
    SafetyAction,
    SafetyPlan,
    TrainingRecord,
)
from victimsupport import limits
from victimsupport.access import MaySeeNotChange
from victimsupport.concurrency import EditConflict, claim
from victimsupport.files import clean_upload
from victimsupport.stored_files import Refusal

OVERRIDE_MIN_REASON = 20
SLUG_RE = re.compile(r"[-a-zA-Z0-9_]+")


# A finalised assessment is never changed: reassess instead. One exception for the service
# check and the model's own guard.
AssessmentLocked = FinalisedAssessmentLocked


def instrument_languages() -> list[str]:
    """The languages a published instrument must be complete in: those the service offers
    (settings.LANGUAGES), as base codes ('fr' serves fr-be and fr-ch).

    Django's own default for LANGUAGES lists every language Django knows: it is not a choice
    of the project's, and then only LANGUAGE_CODE's language is required.
    """
    if settings.LANGUAGES is global_settings.LANGUAGES:
        codes = [settings.LANGUAGE_CODE]
    else:
        codes = [code for code, _name in settings.LANGUAGES]
    return list(dict.fromkeys(engine.base_language(code) for code in codes))


@transaction.atomic
def instrument_load(definition: Any, *, publish: bool = True) -> tuple[InstrumentVersion, bool]:
    """Validate and store ``definition`` as the next version of its instrument.

    A version to publish must have every text in every language of ``instrument_languages``;
    a draft may lack some while it is being translated. Returns (version, created). Loading
    the same definition again changes nothing.
    """
    engine.validate(definition, languages=instrument_languages() if publish else ())
    key, name = definition.get("key"), definition.get("name")
    problems = []
    if not key or not name:
        problems.append("'key' and 'name' are required")
    if key and not (isinstance(key, str) and len(key) <= 50 and SLUG_RE.fullmatch(key)):
        problems.append("'key' must be letters, digits, '-' or '_', at most 50 characters")
    # The name is kept on the instrument in English (administrators' lists); each version
    # gives it in every language.
    english_name = engine.text_in(name, engine.FALLBACK_LANGUAGE)
    if name and not (isinstance(english_name, str) and 0 < len(english_name) <= 200):
        problems.append("'name' must be text of at most 200 characters")
    description = engine.text_in(definition.get("description", ""), engine.FALLBACK_LANGUAGE)
    try:
        json.dumps(definition)
    except (TypeError, ValueError):
        # YAML can hold dates and other values JSON cannot store.
        problems.append("every value must be text, a number, true/false, a list or a mapping")
    if problems:
        raise engine.InstrumentError(problems)
    instrument, _created = Instrument.objects.select_for_update().get_or_create(
        key=key, defaults={"name": english_name, "description": description}
    )
    latest = instrument.versions.order_by("-version").first()
    if latest is not None and latest.definition == definition:
        if publish and latest.status == InstrumentVersion.Status.DRAFT:
            # Loaded as a draft before, now loaded to publish: publish that draft.
            return instrument_publish(latest), True
        return latest, False
    number = (instrument.versions.aggregate(n=Max("version"))["n"] or 0) + 1
    now = timezone.now()
    version = InstrumentVersion.objects.create(
        instrument=instrument,
        version=number,
        definition=definition,
        status=InstrumentVersion.Status.PUBLISHED if publish else InstrumentVersion.Status.DRAFT,
        published_at=now if publish else None,
    )
    if instrument.name != english_name:
        instrument.name = english_name
        instrument.save(update_fields=["name"])
    return version, True


def instrument_publish(version: InstrumentVersion) -> InstrumentVersion:
    if version.status != InstrumentVersion.Status.PUBLISHED:
        engine.validate(version.definition, languages=instrument_languages())
        version.status = InstrumentVersion.Status.PUBLISHED
        version.published_at = timezone.now()
        version.save(update_fields=["status", "published_at"])
    return version


def current_versions() -> list[InstrumentVersion]:
    """The newest published version of each instrument, the organisation's default first."""
    published = (
        InstrumentVersion.objects.filter(status=InstrumentVersion.Status.PUBLISHED)
        .select_related("instrument")
        .order_by("instrument__name", "-version")
    )
    seen: set[int] = set()
    result = []
    for version in published:
        if version.instrument_id not in seen:
            seen.add(version.instrument_id)
            result.append(version)
    # The organisation's default comes first.
    result.sort(key=lambda v: v.instrument.key != settings.RISK_DEFAULT_INSTRUMENT)
    return result


def has_current_training(user: Any) -> bool:
    today = timezone.localdate()
    return TrainingRecord.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today),
        user=user,
        completed_on__lte=today,
    ).exists()


@transaction.atomic
def assessment_start(*, case: Case, actor: Any, version: InstrumentVersion) -> Assessment:
    if version.status != InstrumentVersion.Status.PUBLISHED:
        raise ValidationError(_("Only a published instrument can be used."))
    return Assessment.objects.create(case=case, instrument_version=version, assessor=actor)


def _claimed(assessment: Assessment, version: int) -> Assessment:
    """The draft, claimed from ``version`` (see victimsupport.concurrency). A draft finalised
    meanwhile is refused as locked, not as a conflict: saving again would not help."""
    try:
        fresh = claim(Assessment, pk=assessment.pk, version=version)
    except EditConflict as conflict:
        if conflict.current is not None and conflict.current.is_final:
            raise AssessmentLocked(
                _("This assessment is finalised and cannot be changed.")
            ) from None
        raise
    if fresh.is_final:
        raise AssessmentLocked(_("This assessment is finalised and cannot be changed."))
    return fresh


@transaction.atomic
def assessment_save(
    *,
    assessment: Assessment,
    actor: Any,
    version: int,
    answers: dict[str, Any],
    rationale: str | None = None,
    override_reason: str | None = None,
) -> Assessment:
    """Keep a draft's answers, and the rationale and override reason typed so far, over the
    draft as read at ``version`` (EditConflict if a colleague saved it since)."""
    limits.check_text_lengths(answers, limit=limits.DETAILS)
    fresh = _claimed(assessment, version)
    fresh.answers = answers
    fields = ["answers", "updated_at"]
    if rationale is not None:
        fresh.rationale = rationale.strip()
        fields.append("rationale")
    if override_reason is not None:
        fresh.override_reason = override_reason.strip()
        fields.append("override_reason")
    limits.validate_text(fresh, fields)
    fresh.updated_at = timezone.now()
    fresh.save(update_fields=fields)
    return fresh


@transaction.atomic
def assessment_finalise(
    *,
    assessment: Assessment,
    actor: Any,
    version: int,
    answers: dict[str, Any],
    rationale: str = "",
    override_level: str = "",
    override_reason: str = "",
) -> Assessment:
    """Score, fix the level (or the assessor's override, with its reason) and the review
    date, and update the case. Finalised assessments are never changed afterwards. The
    answers finalised are those of the draft as read at ``version``: a colleague's later save
    is never finalised over unseen (EditConflict)."""
    fresh = _claimed(assessment, version)
    trained = has_current_training(actor)
    if not trained and settings.RISK_TRAINING_GATE == "block":
        # They may see and edit the draft; finalising is what they may not do yet.
        raise MaySeeNotChange(
            _(
                "Only staff with current training on risk assessment can finalise. Save the "
                "draft and ask a trained colleague to finalise it."
            )
        )
    limits.check_text_lengths(answers, limit=limits.DETAILS)
    definition = fresh.instrument_version.definition
    result = engine.score(definition, answers)
    if result.missing:
        labels = {
            q["key"]: q["text"] for q in engine.questions(fresh.instrument_version.localised())
        }
        raise ValidationError(
            _(
                "Answer every question before finalising ('Don't know' is an answer). "
                "Missing: %(questions)s"
            )
            % {"questions": "; ".join(labels[k] for k in result.missing)}
        )
    level = result.level
    override_reason = override_reason.strip()
    if override_level and override_level != result.level:
        if override_level not in ASSESSED_VALUES:
            raise ValidationError({"override_level": _("Choose a level.")})
        if len(override_reason) < OVERRIDE_MIN_REASON:
            raise ValidationError(
                {
                    "override_reason": _(
                        "Changing the level needs a written reason of at least %(n)d "
                        "characters (professional judgement)."
                    )
                    % {"n": OVERRIDE_MIN_REASON}
                }
            )
        level = override_level
    else:
        override_reason = ""
    now = timezone.now()
    days = definition.get("review_days", {}).get(level) or settings.RISK_REVIEW_DAYS[level]
    fresh.answers = answers
    fresh.score = result.score
    fresh.computed_level = result.level
    fresh.level = level
    fresh.red_flags = result.red_flags
    fresh.rationale = rationale.strip()
    fresh.override_reason = override_reason
    fresh.finalised_without_training = not trained
    fresh.status = Assessment.Status.FINAL
    fresh.finalised_by = actor
    fresh.finalised_at = now
    fresh.updated_at = now
    fresh.review_due = timezone.localdate() + datetime.timedelta(days=days)
    limits.validate_text(fresh, ["rationale", "override_reason"])
    fresh.save()
    case = Case.objects.select_for_update().get(pk=fresh.case_id)
    case.risk_level = level
    case.review_due = fresh.review_due
    case.assessment_needed = False
    case.save(update_fields=["risk_level", "review_due", "assessment_needed"])
    return fresh


@transaction.atomic
def trigger_record(
    *, case: Case, actor: Any, kind: str, occurred_on: datetime.date, note: str = ""
) -> ReassessmentTrigger:
    """Record an event and bring the next review forward to today."""
    trigger = ReassessmentTrigger(
        case=case, kind=kind, occurred_on=occurred_on, note=note.strip(), recorded_by=actor
    )
    trigger.full_clean()
    trigger.save()
    fresh = Case.objects.select_for_update().get(pk=case.pk)
    today = timezone.localdate()
    if fresh.review_due is None or fresh.review_due > today:
        fresh.review_due = today
        fresh.save(update_fields=["review_due"])
    return trigger


# --- Safety plans ------------------------------------------------------------------------


def safety_plan_required(case: Case) -> bool:
    return (
        case.risk_level == Case.RiskLevel.HIGH and not SafetyPlan.objects.filter(case=case).exists()
    )


@transaction.atomic
def safety_plan_save(*, case: Case, actor: Any, version: int, summary: str) -> SafetyPlan:
    """Create the plan (``version`` 0: the page showed none) or save its summary over the
    plan as read at ``version``. Either way a colleague's save in between is never
    overwritten: EditConflict."""
    limits.validate_text(SafetyPlan(case=case, summary=summary.strip()), ["summary"])
    if version == 0:
        # The plan is one per case (a unique column), so of two creations one gets the row.
        plan, created = SafetyPlan.objects.get_or_create(
            case=case, defaults={"created_by": actor, "summary": summary.strip()}
        )
        if not created:
            raise EditConflict(current=plan)
        return plan
    current = SafetyPlan.objects.filter(case=case).first()
    if current is None:
        raise EditConflict(current=None)
    plan = claim(SafetyPlan, pk=current.pk, version=version)
    plan.summary = summary.strip()
    plan.updated_at = timezone.now()
    plan.save(update_fields=["summary", "updated_at"])
    return plan


@transaction.atomic
def safety_action_add(*, case: Case, actor: Any, **fields: Any) -> SafetyAction:
    """Add an action, creating the plan with it (both or neither)."""
    if (
        fields.get("kind") == SafetyAction.Kind.POLICE
        and not (fields.get("victim_wishes") or "").strip()
    ):
        raise ValidationError(
            {"victim_wishes": _("Record what the person wants before any contact with the police.")}
        )
    if not fields.get("owner") and not (fields.get("owner_other") or "").strip():
        raise ValidationError(
            {"owner": _("Say who will do it: a member of staff or someone else.")}
        )
    plan, _created = SafetyPlan.objects.get_or_create(case=case, defaults={"created_by": actor})
    action = SafetyAction(plan=plan, **fields)
    action.full_clean()
    action.save()
    SafetyPlan.objects.filter(pk=plan.pk).update(updated_at=timezone.now())
    return action


@transaction.atomic
def safety_action_update(
    *, action: SafetyAction, actor: Any, version: int, status: str, outcome: str = ""
) -> SafetyAction:
    """Set the status (and outcome) of the action as read at ``version``: EditConflict if a
    colleague updated it since, so their outcome is not replaced unseen."""
    if status not in SafetyAction.Status.values:
        raise ValidationError({"status": _("Choose a status.")})
    action = claim(SafetyAction, pk=action.pk, version=version)
    action.status = status
    if outcome.strip():
        action.outcome = outcome.strip()
        limits.validate_text(action, ["outcome"])
    action.completed_at = timezone.now() if status == SafetyAction.Status.DONE else None
    action.save(update_fields=["status", "outcome", "completed_at"])
    return action


# --- Training on risk assessment ------------------------------------------------------------

EXPIRY_WARNING_DAYS = 60


@dataclass(frozen=True)
class TrainingStatus:
    user: Any
    latest: TrainingRecord | None
    state: str  # current, expiring, expired, none

    @property
    def label(self) -> str:
        return {
            "current": _("Current"),
            "expiring": _("Expires within %(days)d days") % {"days": EXPIRY_WARNING_DAYS},
            "expired": _("Expired"),
            "none": _("No training recorded"),
        }[self.state]


def training_compliance(users: Any) -> list[TrainingStatus]:
    """Each user's most recent training and whether it is current, in two queries."""
    today = timezone.localdate()
    users = list(users)
    latest: dict[int, TrainingRecord] = {}
    for record in (
        TrainingRecord.objects.filter(user__in=users)
        .defer("certificate")
        .order_by("user_id", "-completed_on")
    ):
        # The same rule as the finalising gate: any current record counts, so prefer one.
        held = latest.get(record.user_id)
        if held is None or (record.is_current and not held.is_current):
            latest[record.user_id] = record
    result = []
    for user in users:
        record = latest.get(user.pk)
        if record is None:
            state = "none"
        elif record.expires_on is not None and record.expires_on < today:
            state = "expired"
        elif (
            record.expires_on is not None
            and (record.expires_on - today).days <= EXPIRY_WARNING_DAYS
        ):
            state = "expiring"
        else:
            state = "current"
        result.append(TrainingStatus(user=user, latest=record, state=state))
    return result


@transaction.atomic
def training_record_add(
    *,
    actor: Any,
    user: Any,
    course: str,
    completed_on: datetime.date,
    provider: str,
    expires_on: datetime.date | None = None,
    certificate: tuple[str, str, bytes] | None = None,
) -> TrainingRecord:
    if expires_on is not None and expires_on < completed_on:
        raise ValidationError({"expires_on": _("The expiry date is before the course date.")})
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": _("The course date is in the future.")})
    record = TrainingRecord(
        user=user,
        course=course.strip(),
        completed_on=completed_on,
        provider=provider.strip(),
        expires_on=expires_on,
        recorded_by=actor,
    )
    if certificate is not None:
        name, content_type, data = certificate
        record.certificate_name = name[: limits.FILE_NAME]
        record.certificate = clean_upload(name=name, content_type=content_type, data=data)
        record.certificate_type = content_type
    record.full_clean(exclude=["certificate"])
    record.save()
    return record


@transaction.atomic
def training_certificate_quarantine(*, record: TrainingRecord, reason: Refusal) -> TrainingRecord:
    """Set aside a stored certificate the current checks refuse (``recheck_files``): the record
    stays (it still counts as training), the file is no longer served. The save is logged."""
    record = TrainingRecord.objects.select_for_update().get(pk=record.pk)
    if record.certificate_quarantined_at is None:
        record.certificate_quarantined_at = timezone.now()
        record.certificate_quarantine_reason = reason
        record.save(update_fields=["certificate_quarantined_at", "certificate_quarantine_reason"])
    return record


@transaction.atomic
def training_certificate_reencode(*, record: TrainingRecord, data: bytes) -> TrainingRecord:
    """Replace a stored image certificate by its re-encoded pixels (``recheck_files``)."""
    record = TrainingRecord.objects.select_for_update().get(pk=record.pk)
    record.certificate = data
    record.save(update_fields=["certificate"])
    return record


SHIPPED_INSTRUMENTS = ("default.json", "checklist_24.json")
SHIPPED_FOLDER = Path(__file__).resolve().parent / "instruments"


def shipped_definition(name: str) -> dict[str, Any]:
    return json.loads((SHIPPED_FOLDER / name).read_text(encoding="utf-8"))


def ensure_shipped_instruments() -> None:
    """Install the shipped instruments that are missing (a migration does this on a new
    database; this covers databases emptied since, such as test databases)."""
    for name in SHIPPED_INSTRUMENTS:
        definition = shipped_definition(name)
        if not Instrument.objects.filter(key=definition["key"]).exists():
            instrument_load(definition)
