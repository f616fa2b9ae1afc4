"""The intake: a server-side, encrypted draft filled step by step, then turned into a case.

Order matters for safety and the law: safe contact first, then the confidentiality notice,
and only after the victim has acknowledged it any personal data. The server enforces the
order; the pages only follow it.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from cases.duplicates import duplicates_record_hidden
from cases.models import (
    Case,
    ConfidentialityNotice,
    Consent,
    ContactMethod,
    ContactPreference,
    IntakeDraft,
    NeedsRecord,
    NoticeAcknowledgement,
    RiskScreen,
    StatusChange,
    ThirdParty,
    Victim,
    kept_address,
)
from cases.services import case_create
from victimsupport.access import CASE_ROLES, get_for_user, roles_of
from victimsupport.limits import validate_text

Step = IntakeDraft.Step
STEPS: list[str] = list(Step.values)
# Steps that take personal data: refused until the notice is acknowledged.
PERSONAL_STEPS = {Step.PERSON, Step.SCREENING, Step.NEEDS, Step.CONSENT, Step.REVIEW}
REQUIRED_FOR_FINISH = [
    Step.SAFETY,
    Step.NOTICE,
    Step.PERSON,
    Step.SCREENING,
    Step.NEEDS,
    Step.CONSENT,
]


def draft_lifetime() -> timedelta:
    return timedelta(hours=settings.INTAKE_DRAFT_HOURS)


def current_notice() -> ConfidentialityNotice | None:
    return ConfidentialityNotice.objects.filter(published_at__lte=timezone.now()).first()


def draft_start(*, owner: Any, team: Any) -> IntakeDraft:
    if not roles_of(owner) & CASE_ROLES:
        raise PermissionDenied(_("Only caseworkers and supervisors take intakes."))
    if not owner.teams.filter(pk=team.pk).exists():
        raise PermissionDenied(_("You can only start an intake for one of your teams."))
    now = timezone.now()
    return IntakeDraft.objects.create(
        owner=owner, team=team, created_at=now, updated_at=now, expires_at=now + draft_lifetime()
    )


def open_drafts_for(user: Any):
    return IntakeDraft.objects.filter(
        owner=user, finished_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("team")


def _may_continue(user: Any, draft: IntakeDraft) -> bool:
    """Still a caseworker or supervisor, and still in the team the case will belong to."""
    return bool(roles_of(user) & CASE_ROLES) and user.teams.filter(pk=draft.team_id).exists()


def get_draft_for_user(user: Any, pk: Any, *, lock: bool = False) -> IntakeDraft:
    """The user's own unfinished, unexpired draft, or 404 (drafts are never shared, and a
    caseworker who has left the team cannot carry on with it)."""
    drafts = IntakeDraft.objects.select_related("team")
    if lock:
        drafts = drafts.select_for_update(of=("self",))
    return get_for_user(user, drafts, pk)


def first_open_step(draft: IntakeDraft) -> str:
    done = set((draft.data or {}).keys())
    return next((s for s in STEPS if s not in done and s != Step.REVIEW), Step.REVIEW)


def step_allowed(draft: IntakeDraft, step: str) -> str | None:
    """None if ``step`` may be shown now, else the step to go to instead."""
    if step in PERSONAL_STEPS and draft.notice_acknowledged_at is None:
        return Step.NOTICE
    return None


def next_step(step: str) -> str:
    return STEPS[min(STEPS.index(step) + 1, len(STEPS) - 1)]


def previous_step(step: str) -> str | None:
    index = STEPS.index(step)
    return STEPS[index - 1] if index else None


def victim_values(*, person: dict[str, Any], safety: dict[str, Any]) -> dict[str, Any]:
    """The Victim's field values from the intake's person and safety answers: the one mapping,
    used by the intake and by the seeders (which must not restate it)."""
    values: dict[str, Any] = {
        name: (safety if name in Victim.SAFETY_DETAILS else person).get(name, "")
        for name in Victim.DETAILS
    }
    values["date_of_birth"] = values["date_of_birth"] or None
    values["interpreter_needed"] = bool(values["interpreter_needed"])
    values["address_withheld"] = bool(values["address_withheld"])
    values["address"] = kept_address(values["address"], withheld=values["address_withheld"])
    return values


@transaction.atomic
def draft_save_step(*, draft: IntakeDraft, step: str, answers: dict[str, Any]) -> IntakeDraft:
    """Keep one step's cleaned answers (JSON-safe values only).

    The draft is read again under a lock: another tab may have finished it (its answers must
    not come back) or saved another step (which must not be lost).
    """
    fresh = get_draft_for_user(draft.owner, draft.pk, lock=True)
    if step_allowed(fresh, step):
        raise PermissionDenied(_("The confidentiality notice must be acknowledged first."))
    if step == Step.PERSON:
        # The draft never keeps a withheld address, whoever saves the step.
        answers = {
            **answers,
            "address": kept_address(
                answers.get("address", ""), withheld=bool(answers.get("address_withheld"))
            ),
        }
    fresh.data = {**(fresh.data or {}), step: answers}
    fresh.step = first_open_step(fresh)
    fresh.updated_at = timezone.now()
    fresh.expires_at = fresh.updated_at + draft_lifetime()
    fresh.save(update_fields=["data", "step", "updated_at", "expires_at"])
    return fresh


@transaction.atomic
def draft_acknowledge_notice(
    *, draft: IntakeDraft, notice: ConfidentialityNotice, method: str
) -> IntakeDraft:
    """Record the acknowledgement once. Going back to the notice page later must not move its
    time past the personal details taken after it."""
    fresh = get_draft_for_user(draft.owner, draft.pk, lock=True)
    if fresh.notice_acknowledged_at is None:
        fresh.notice = notice
        fresh.notice_acknowledged_at = timezone.now()
        fresh.save(update_fields=["notice", "notice_acknowledged_at"])
        return draft_save_step(draft=fresh, step=Step.NOTICE, answers={"method": method})
    return fresh


def _missing_steps(draft: IntakeDraft) -> list[str]:
    data = draft.data or {}
    missing = [s for s in REQUIRED_FOR_FINISH if s not in data]
    if draft.notice_acknowledged_at is None and Step.NOTICE not in missing:
        missing.insert(0, Step.NOTICE)
    return missing


@transaction.atomic
def intake_finish(*, draft_id: Any, actor: Any) -> Case:
    """Create the case from a complete draft. A second submit returns the same case."""
    draft = IntakeDraft.objects.select_for_update().filter(pk=draft_id, owner=actor).first()
    if draft is None or not _may_continue(actor, draft):
        raise Http404("No intake found.")
    existing = Case.objects.filter(intake_draft=draft).first()
    if existing is not None:
        return existing
    if draft.finished_at is not None or draft.expires_at <= timezone.now():
        raise Http404("No intake found.")
    missing = _missing_steps(draft)
    if missing:
        raise ValidationError(
            _("Some steps are not complete yet: %(steps)s.")
            % {"steps": ", ".join(str(Step(s).label) for s in missing)},
            code=missing[0],
        )
    data = draft.data
    safety, person = data[Step.SAFETY], data[Step.PERSON]
    screening, needs, consent = data[Step.SCREENING], data[Step.NEEDS], data[Step.CONSENT]
    now = timezone.now()

    case = case_create(team=draft.team, assigned_to=actor)
    case.intake_draft = draft
    case.do_not_contact = bool(safety.get("do_not_contact"))
    screen = RiskScreen(
        case=case,
        ongoing_threat=screening["ongoing_threat"],
        ongoing_victimisation=screening["ongoing_victimisation"],
        fearful=screening["fearful"],
        victim_view=screening["victim_view"],
        victim_words=screening.get("victim_words", ""),
        screened_by=actor,
        screened_at=now,
    )
    case.assessment_needed = screen.is_positive
    case.save(update_fields=["intake_draft", "do_not_contact", "assessment_needed"])
    _create(screen, Step.SCREENING)

    victim = _create(Victim, Step.PERSON, case=case, **victim_values(person=person, safety=safety))
    # Matches the caseworker could not be shown go to the other team's supervisor.
    duplicates_record_hidden(case=case, victim=victim, actor=actor)
    if person.get("feared_name") or person.get("feared_details"):
        _create(
            ThirdParty,
            Step.PERSON,
            case=case,
            role=ThirdParty.Role.FEARED,
            name=person.get("feared_name", ""),
            relationship=person.get("feared_relationship", ""),
            details=person.get("feared_details", ""),
        )
    for method in ContactMethod.values:
        _create(
            ContactPreference,
            Step.SAFETY,
            case=case,
            method=method,
            is_safe=bool(safety.get(f"{method}_safe")) and not case.do_not_contact,
            safe_times=safety.get(f"{method}_times", ""),
        )
    NoticeAcknowledgement.objects.create(
        case=case,
        notice=draft.notice,
        method=data[Step.NOTICE]["method"],
        acknowledged_at=draft.notice_acknowledged_at,
        recorded_by=actor,
    )
    _create(
        NeedsRecord,
        Step.NEEDS,
        case=case,
        categories=needs.get("categories", []),
        details=needs.get("details", ""),
        crime_reported=needs["crime_reported"],
        recorded_by=actor,
        recorded_at=now,
    )
    if consent.get("processing") == "yes":
        _consent(
            case=case,
            kind=Consent.Kind.PROCESSING,
            # Stored in English, shown translated: the pages translate this purpose.
            purpose=gettext_noop("Providing support and keeping the case file"),
            data_categories=["identity", "contact", "risk", "needs", "notes"],
            notice=draft.notice,
            method=consent["method"],
            witness=consent.get("witness", ""),
            given_at=now,
            recorded_by=actor,
        )
    StatusChange.objects.create(
        case=case, kind=StatusChange.Kind.OPENED, changed_by=actor, changed_at=now
    )
    # The draft has done its work: its answers now live in the case. Keep no second copy.
    draft.data = {}
    draft.finished_at = now
    draft.save(update_fields=["data", "finished_at"])
    return case


def _consent(**fields: Any) -> Consent:
    """A consent checked by its model's rules."""
    consent = Consent(**fields)
    with _refused_at(Step.CONSENT, consent):
        consent.full_clean()
    consent.save()
    return consent


def _create(model_or_instance: Any, step: str, **fields: Any) -> Any:
    """Save a record made from the draft, its text checked against the limits first: the
    step's form is the gate, but a draft changed behind it must not store what it refuses."""
    instance = model_or_instance(**fields) if fields else model_or_instance
    with _refused_at(step, instance):
        validate_text(instance)
    instance.save()
    return instance


@contextmanager
def _refused_at(step: str, instance: Any):
    """Say which answer was refused, and send the caseworker back to its step."""
    try:
        yield
    except ValidationError as exc:
        meta = instance._meta
        messages = [
            f"{meta.get_field(name).verbose_name.capitalize()}: {message}"
            if name in {f.name for f in meta.fields}
            else message
            for name, errors in exc.message_dict.items()
            for message in errors
        ]
        raise ValidationError(" ".join(messages), code=step) from exc


def purge_drafts(*, now: Any = None) -> int:
    """Delete unfinished drafts past their expiry, and finished ones (which hold no data and
    only guard against a double submit) after a day. Return how many."""
    now = now or timezone.now()
    stale = IntakeDraft.objects.filter(
        Q(finished_at__isnull=True, expires_at__lte=now)
        | Q(finished_at__lte=now - timedelta(days=1))
    )
    Case.objects.filter(intake_draft__in=stale).update(intake_draft=None)
    count, _deleted = stale.delete()
    return count
