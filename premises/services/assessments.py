"""Writes of the assessments part: checklist versions, security assessments (answers,
submission, a supervisor's sign-off), findings, actions and premises incidents.

Every write is one transaction; the model signals write the change entries. Who may write is
checked here as well as in the views: a site's staff record, a supervisor of its team signs off.
"""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path
from typing import Any

from django.conf import global_settings, settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext as _

from premises import checklist
from premises.models import (
    ActionSource,
    AnswerKind,
    AssessmentStatus,
    ChecklistTemplate,
    ChecklistVersion,
    Finding,
    Impact,
    IncidentKind,
    Likelihood,
    PremisesIncident,
    ReviewReason,
    SecurityAssessment,
    Site,
    SiteAction,
    SiteKind,
    a_year_after,
    is_site_supervisor,
    site_staff,
)
from premises.review import may_review
from premises.sensitive import LOCATION_KINDS, SensitiveCheck
from victimsupport import limits
from victimsupport.access import MaySeeNotChange
from victimsupport.concurrency import claim

SHIPPED_CHECKLISTS = ("default.json",)
SHIPPED_FOLDER = Path(__file__).resolve().parent.parent / "checklists"

# --- Checklist versions -------------------------------------------------------------------


def checklist_languages() -> list[str]:
    """The languages a published checklist must be complete in: those the service offers."""
    if settings.LANGUAGES is global_settings.LANGUAGES:
        codes = [settings.LANGUAGE_CODE]
    else:
        codes = [code for code, _name in settings.LANGUAGES]
    return list(dict.fromkeys(checklist.base_language(code) for code in codes))


def _english_name(definition: dict[str, Any]) -> str:
    return checklist.text_in(definition.get("name"), checklist.FALLBACK_LANGUAGE)[
        : limits.LONG_NAME
    ]


@transaction.atomic
def checklist_load(*, definition: Any, publish: bool = True) -> tuple[ChecklistVersion, bool]:
    """Validate ``definition`` and store it as the next version of its template (published,
    unless ``publish`` is false). Loading the same definition again changes nothing."""
    checklist.validate(definition, languages=checklist_languages() if publish else ())
    template, _created = ChecklistTemplate.objects.select_for_update().get_or_create(
        key=definition["key"], defaults={"name": _english_name(definition)}
    )
    latest = template.versions.order_by("-version").first()
    if latest is not None and latest.definition == definition:
        if publish and latest.status == ChecklistVersion.Status.DRAFT:
            return _publish(latest), True
        return latest, False
    number = (template.versions.aggregate(n=Max("version"))["n"] or 0) + 1
    now = timezone.now()
    version = ChecklistVersion.objects.create(
        template=template,
        version=number,
        definition=definition,
        status=ChecklistVersion.Status.PUBLISHED if publish else ChecklistVersion.Status.DRAFT,
        published_at=now if publish else None,
    )
    return version, True


def _publish(version: ChecklistVersion) -> ChecklistVersion:
    checklist.validate(version.definition, languages=checklist_languages())
    version.status = ChecklistVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at"])
    name = _english_name(version.definition)
    if version.template.name != name:
        version.template.name = name
        version.template.save(update_fields=["name"])
    return version


@transaction.atomic
def checklist_publish(*, actor: Any, version: ChecklistVersion) -> ChecklistVersion:
    """Publish a draft once it is valid and complete in every language; from then on it is
    never changed (assessments keep meaning what they meant). Raises ChecklistError."""
    version = ChecklistVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == ChecklistVersion.Status.PUBLISHED:
        return version
    return _publish(version)


@transaction.atomic
def checklist_copy(*, actor: Any, version: ChecklistVersion) -> ChecklistVersion:
    """A new draft of the same template, starting from ``version``'s definition."""
    template = ChecklistTemplate.objects.select_for_update().get(pk=version.template_id)
    latest = template.versions.aggregate(n=Max("version"))["n"] or 0
    return ChecklistVersion.objects.create(
        template=template, version=latest + 1, definition=copy.deepcopy(version.definition)
    )


def shipped_definition(name: str = "default.json") -> dict[str, Any]:
    return json.loads((SHIPPED_FOLDER / name).read_text(encoding="utf-8"))


def ensure_shipped_checklists() -> None:
    """Install the shipped checklists that are missing (migration 0002 does this on a new
    database; this covers databases emptied since, such as test databases)."""
    for name in SHIPPED_CHECKLISTS:
        definition = shipped_definition(name)
        if not ChecklistTemplate.objects.filter(key=definition["key"]).exists():
            checklist_load(definition=definition)


# --- Who may write --------------------------------------------------------------------------


def _require_staff(actor: Any, site: Site) -> None:
    """Staff of the site's team record; anyone else who sees the site (an auditor) may not."""
    if not Site.objects.of_staff(actor).filter(pk=site.pk).exists():
        raise MaySeeNotChange()


def _require_open(assessment: SecurityAssessment) -> None:
    if assessment.status == AssessmentStatus.SIGNED_OFF:
        raise MaySeeNotChange(_("This assessment is signed off: it can no longer be changed."))


def _require_draft(assessment: SecurityAssessment) -> None:
    """Findings and actions are added while the assessment is a draft: once submitted, what
    the supervisor signs off is fixed (they send it back to draft to have it changed)."""
    _require_open(assessment)
    if assessment.status != AssessmentStatus.DRAFT:
        raise ValidationError(
            _(
                "This assessment was submitted: findings and actions are added while it is a "
                "draft. A supervisor of the site's team can send it back to draft."
            )
        )


# --- What a refuge's evidence must not say -------------------------------------------------


def location_check(site: Site) -> SensitiveCheck | None:
    """The check for what would place a refuge (its address, a street, a postcode, its listed
    terms), read once for all the texts of one save; None for any other kind of site."""
    if site.kind != SiteKind.REFUGE:
        return None
    return SensitiveCheck(site, kinds=LOCATION_KINDS)


def location_refusal(check: SensitiveCheck | None, text: str, what: str, read_by: str) -> Any:
    """The refusal for ``text`` (None when it says nothing that places the site): ``what`` is
    the text's name in a sentence ("The summary"), ``read_by`` the closing advice."""
    if check is None:
        return None
    matches = check.find(text)
    if not matches:
        return None
    named = "; ".join(
        gettext('%(kind)s: "%(text)s"') % {"kind": match.label, "text": match.text}
        for match in matches
    )
    return gettext("%(what)s names %(matches)s. %(advice)s") % {
        "what": what,
        "matches": named,
        "advice": read_by,
    }


def _assessment_advice() -> str:
    return gettext(
        "A refuge's assessment is read by auditors: describe it without saying where it is."
    )


def _action_advice() -> str:
    return gettext(
        "A refuge's actions are read by auditors: describe them without saying where it is."
    )


def _question_names(definition: dict[str, Any]) -> dict[str, str]:
    language = get_language()
    return {
        q["key"]: Truncator(checklist.text_in(q.get("text"), language)).words(6, truncate="…")
        for q in checklist.questions(definition)
    }


# --- Assessments ----------------------------------------------------------------------------


@transaction.atomic
def security_assessment_start(
    *,
    actor: Any,
    site: Site,
    checklist_version: ChecklistVersion,
    reason: str,
    incident: PremisesIncident | None = None,
) -> SecurityAssessment:
    """Start assessing ``site`` against a published checklist. After an incident, the
    assessment names it (the incident's page then shows the reassessment it triggered)."""
    site = Site.objects.select_for_update().get(pk=site.pk)
    _require_staff(actor, site)
    errors: dict[str, list[str]] = {}
    if checklist_version.status != ChecklistVersion.Status.PUBLISHED:
        errors["checklist_version"] = [_("Choose a published checklist.")]
    if reason not in ReviewReason.values:
        errors["reason"] = [_("Choose why the site is assessed.")]
    if reason == ReviewReason.INCIDENT and incident is None:
        errors["incident"] = [_("Choose the incident this assessment follows.")]
    if incident is not None and incident.site_id != site.pk:
        errors["incident"] = [_("Choose an incident of this site.")]
    if incident is not None and reason != ReviewReason.INCIDENT:
        errors["reason"] = [
            _("An assessment after an incident has the reason 'After an incident'.")
        ]
    in_progress = site.assessments.exclude(status=AssessmentStatus.SIGNED_OFF).exists()
    if in_progress:
        errors.setdefault("__all__", []).append(
            _(
                "This site already has an assessment in progress: finish it or have it signed "
                "off before starting another."
            )
        )
    if errors:
        raise ValidationError(errors)
    assessment = SecurityAssessment.objects.create(
        site=site,
        checklist=checklist_version,
        reason=reason,
        incident=incident,
        started_by=actor,
    )
    assessment.editors.add(actor)
    return assessment


def clean_answers(definition: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """Only the checklist's questions, each with a known answer kind (or none yet) and a note
    within the limit."""
    keys = {q["key"] for q in checklist.questions(definition)}
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in answers.items():
        if key not in keys:
            errors.setdefault("__all__", []).append(
                _("An answer names no question of the checklist.")
            )
            continue
        answer = str((value or {}).get("answer") or "")
        note = str((value or {}).get("note") or "").strip()
        if answer and answer not in AnswerKind.values:
            errors[f"answer_{key}"] = [_("Choose yes, partly, no or not applicable.")]
        if len(note) > limits.REASON:
            errors[f"note_{key}"] = [
                _("Keep the note under %(limit)d characters.") % {"limit": limits.REASON}
            ]
        if answer or note:
            cleaned[key] = {"answer": answer, "note": note}
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def security_assessment_save(
    *,
    actor: Any,
    assessment: SecurityAssessment,
    version: int,
    answers: dict[str, Any],
    summary: str = "",
) -> SecurityAssessment:
    """Save the answers typed so far (a draft may be incomplete). Raises EditConflict when
    someone saved since the page was read."""
    _require_staff(actor, assessment.site)
    _require_open(assessment)
    if assessment.status != AssessmentStatus.DRAFT:
        raise ValidationError(
            _("This assessment was submitted: its answers are waiting for sign-off.")
        )
    cleaned = clean_answers(assessment.checklist.definition, answers)
    if len(summary) > limits.DETAILS:
        raise ValidationError({"summary": [_("The summary is too long.")]})
    check = location_check(assessment.site)
    if check is not None:
        errors: dict[str, list[str]] = {}
        names = _question_names(assessment.checklist.definition)
        for key, value in cleaned.items():
            what = gettext('The note for "%(question)s"') % {"question": names.get(key, key)}
            refusal = location_refusal(check, value["note"], what, _assessment_advice())
            if refusal:
                errors[f"note_{key}"] = [refusal]
        refusal = location_refusal(check, summary, gettext("The summary"), _assessment_advice())
        if refusal:
            errors["summary"] = [refusal]
        if errors:
            raise ValidationError(errors)
    assessment = claim(SecurityAssessment, pk=assessment.pk, version=version)
    if assessment.status != AssessmentStatus.DRAFT:
        raise ValidationError(
            _("This assessment was submitted: its answers are waiting for sign-off.")
        )
    assessment.answers = cleaned
    assessment.summary = summary.strip()
    assessment.save(update_fields=["answers", "summary"])
    # Whoever wrote answers does not sign it off either (while another supervisor can).
    assessment.editors.add(actor)
    return assessment


def missing_answers(assessment: SecurityAssessment) -> list[str]:
    """The texts of the questions not answered yet, in the checklist's order."""
    answers = assessment.answers or {}
    return [
        checklist.text_in(q.get("text"), get_language())
        for q in checklist.questions(assessment.checklist.definition)
        if not (answers.get(q["key"]) or {}).get("answer")
    ]


@transaction.atomic
def security_assessment_submit(*, actor: Any, assessment: SecurityAssessment) -> SecurityAssessment:
    """Send a complete draft for a supervisor's sign-off; refused, naming every question
    without an answer, while any is missing."""
    assessment = SecurityAssessment.objects.select_for_update().get(pk=assessment.pk)
    _require_staff(actor, assessment.site)
    _require_open(assessment)
    if assessment.status != AssessmentStatus.DRAFT:
        raise ValidationError(_("This assessment was already submitted."))
    missing = missing_answers(assessment)
    if missing:
        raise ValidationError(
            gettext("Answer every question before submitting. Still without an answer: %(list)s")
            % {"list": "; ".join(missing)}
        )
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_at = timezone.now()
    assessment.save(update_fields=["status", "submitted_at"])
    return assessment


@transaction.atomic
def security_assessment_sign_off(
    *, actor: Any, assessment: SecurityAssessment
) -> SecurityAssessment:
    """A supervisor of the site's team who neither started it nor wrote in it (answers,
    findings, actions) signs a submitted assessment off; when the team has no such supervisor,
    one who did may (``premises.review``; the change entry records who). It is then
    read-only, and the site's next review falls due the same day next year. Unless an
    incident happened (or was recorded) after the assessment started and the assessment does
    not follow it: the review that incident made due stays due."""
    assessment = SecurityAssessment.objects.select_for_update().get(pk=assessment.pk)
    site = Site.objects.select_for_update().get(pk=assessment.site_id)
    if not is_site_supervisor(actor, site):
        raise MaySeeNotChange(_("Only a supervisor of the site's team signs an assessment off."))
    if assessment.status != AssessmentStatus.SUBMITTED:
        raise ValidationError(
            _("Only a submitted assessment can be signed off: submit it first.")
            if assessment.status == AssessmentStatus.DRAFT
            else _("This assessment is already signed off.")
        )
    if not may_sign_off(assessment, actor):
        raise ValidationError(
            _(
                "You started this assessment. Someone other than the person who carried out "
                "the assessment signs it off: ask another supervisor of the site's team."
            )
            if assessment.started_by_id == actor.pk
            else _(
                "You wrote in this assessment. Someone other than the people who carried out "
                "the assessment signs it off: ask another supervisor of the site's team who "
                "did not write in it."
            )
        )
    now = timezone.now()
    assessment.status = AssessmentStatus.SIGNED_OFF
    assessment.signed_off_by = actor
    assessment.signed_off_at = now
    assessment.save(update_fields=["status", "signed_off_by", "signed_off_at"])
    if not incidents_since(assessment).exists():
        site.review_due_on = a_year_after(timezone.localdate(now))
        site.review_reason = ReviewReason.YEARLY
        site.save(update_fields=["review_due_on", "review_reason"])
    return assessment


def writers_of(assessment: SecurityAssessment) -> set[Any]:
    """The ids of whoever started the assessment or wrote in it."""
    return {assessment.started_by_id, *assessment.editors.values_list("pk", flat=True)}


def sign_off_review(assessment: SecurityAssessment, user: Any) -> tuple[bool, bool]:
    """(may sign off, signs off alone) for a supervisor of the site's team: four eyes when
    another supervisor who neither started nor wrote in it exists; else the sole one may."""
    return may_review(assessment.site, user, writers_of(assessment))


def may_sign_off(assessment: SecurityAssessment, user: Any) -> bool:
    return sign_off_review(assessment, user)[0]


@transaction.atomic
def security_assessment_discard(*, actor: Any, assessment: SecurityAssessment) -> None:
    """A supervisor of the site's team discards a draft (never submitted, so never signed
    off) with its findings and actions: each delete is a change entry, and a new assessment
    may be started. Refused once one of its actions is marked done (that work is evidence)."""
    assessment = SecurityAssessment.objects.select_for_update().get(pk=assessment.pk)
    site = Site.objects.select_for_update().get(pk=assessment.site_id)
    if not is_site_supervisor(actor, site):
        raise MaySeeNotChange(_("Only a supervisor of the site's team discards an assessment."))
    if assessment.status != AssessmentStatus.DRAFT:
        raise ValidationError(
            _("Only a draft can be discarded: a submitted assessment is signed off or sent back.")
        )
    if assessment.actions.filter(done_on__isnull=False).exists():
        raise ValidationError(
            _(
                "An action of this assessment is marked done: the assessment is kept. Submit "
                "it for sign-off instead."
            )
        )
    assessment.delete()


def incidents_since(assessment: SecurityAssessment) -> Any:
    """The site's incidents that happened or were recorded after ``assessment`` started, other
    than the one it follows: it did not assess the site after them."""
    since = assessment.started_at
    found = PremisesIncident.objects.filter(site_id=assessment.site_id).filter(
        Q(occurred_at__gt=since) | Q(recorded_at__gt=since)
    )
    if assessment.incident_id:
        found = found.exclude(pk=assessment.incident_id)
    return found


@transaction.atomic
def security_assessment_return(
    *, actor: Any, assessment: SecurityAssessment, reason: str
) -> SecurityAssessment:
    """A supervisor of the site's team sends a submitted assessment back to draft, saying
    why: its staff change it and submit it again."""
    assessment = SecurityAssessment.objects.select_for_update().get(pk=assessment.pk)
    if not is_site_supervisor(actor, assessment.site):
        raise MaySeeNotChange(
            _("Only a supervisor of the site's team sends an assessment back to draft.")
        )
    if assessment.status != AssessmentStatus.SUBMITTED:
        raise ValidationError(_("Only an assessment waiting for sign-off can be sent back."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say what is to be changed.")]})
    if len(reason) > limits.REASON:
        raise ValidationError(
            {
                "reason": [
                    _("Keep the reason under %(limit)d characters.") % {"limit": limits.REASON}
                ]
            }
        )
    assessment.status = AssessmentStatus.DRAFT
    assessment.submitted_at = None
    assessment.returned_reason = reason
    assessment.returned_by = actor
    assessment.returned_at = timezone.now()
    assessment.save(
        update_fields=["status", "submitted_at", "returned_reason", "returned_by", "returned_at"]
    )
    return assessment


# --- Findings and actions -------------------------------------------------------------------


@transaction.atomic
def finding_add(
    *,
    actor: Any,
    assessment: SecurityAssessment,
    description: str,
    likelihood: int,
    impact: int,
    question_key: str = "",
) -> Finding:
    assessment = SecurityAssessment.objects.select_for_update().get(pk=assessment.pk)
    _require_staff(actor, assessment.site)
    _require_draft(assessment)
    errors: dict[str, list[str]] = {}
    keys = {q["key"] for q in checklist.questions(assessment.checklist.definition)}
    if question_key and question_key not in keys:
        errors["question_key"] = [_("Choose a question of this checklist, or none.")]
    if not description.strip():
        errors["description"] = [_("Describe the risk found.")]
    if int(likelihood) not in Likelihood.values:
        errors["likelihood"] = [_("Choose how likely it is.")]
    if int(impact) not in Impact.values:
        errors["impact"] = [_("Choose how bad it would be.")]
    refusal = location_refusal(
        location_check(assessment.site),
        description,
        gettext("The description of the finding"),
        _assessment_advice(),
    )
    if refusal:
        errors["description"] = [refusal]
    if errors:
        raise ValidationError(errors)
    assessment.editors.add(actor)
    return Finding.objects.create(
        assessment=assessment,
        site_id=assessment.site_id,
        question_key=question_key,
        description=description.strip(),
        likelihood=int(likelihood),
        impact=int(impact),
        recorded_by=actor,
    )


@transaction.atomic
def site_action_add(
    *,
    actor: Any,
    site: Site,
    description: str,
    owner: Any,
    due_on: datetime.date,
    assessment: SecurityAssessment | None = None,
    finding: Finding | None = None,
    incident: PremisesIncident | None = None,
) -> SiteAction:
    """An action on the site's safety, from an assessment (and one of its findings) or from
    an incident; its owner is one of the site's staff, its due date today or later."""
    _require_staff(actor, site)
    if assessment is not None:
        if assessment.site_id != site.pk:
            raise ValidationError(_("The assessment is not this site's."))
        assessment = SecurityAssessment.objects.select_for_update().get(pk=assessment.pk)
        _require_draft(assessment)
    errors: dict[str, list[str]] = {}
    if (assessment is None) == (incident is None):
        errors["__all__"] = [_("An action comes from an assessment or from an incident.")]
    if incident is not None and incident.site_id != site.pk:
        errors["__all__"] = [_("The incident is not this site's.")]
    if finding is not None and (assessment is None or finding.assessment_id != assessment.pk):
        errors["finding"] = [_("Choose a finding of this assessment, or none.")]
    if not description.strip():
        errors["description"] = [_("Say what is to be done.")]
    if owner is None or not site_staff(site).filter(pk=owner.pk).exists():
        errors["owner"] = [_("Choose a member of the site's staff.")]
    if due_on is None or due_on < timezone.localdate():
        errors["due_on"] = [_("Choose a date from today on.")]
    # An incident's actions are its staff's only; the others an auditor reads.
    if incident is None:
        refusal = location_refusal(
            location_check(site), description, gettext("What is to be done"), _action_advice()
        )
        if refusal:
            errors["description"] = [refusal]
    if errors:
        raise ValidationError(errors)
    if assessment is not None:
        assessment.editors.add(actor)
    return SiteAction.objects.create(
        site=site,
        source=ActionSource.ASSESSMENT if assessment is not None else ActionSource.INCIDENT,
        assessment=assessment,
        finding=finding,
        incident=incident,
        description=description.strip(),
        owner=owner,
        due_on=due_on,
        created_by=actor,
    )


@transaction.atomic
def site_action_complete(*, actor: Any, action: SiteAction, version: int, note: str) -> SiteAction:
    """Mark an action done today, saying what was done. Raises EditConflict when someone
    saved it since the page was read."""
    _require_staff(actor, action.site)
    if not note.strip():
        raise ValidationError({"note": [_("Say what was done.")]})
    if action.source != ActionSource.INCIDENT and action.incident_id is None:
        refusal = location_refusal(
            location_check(action.site), note, gettext("What was done"), _action_advice()
        )
        if refusal:
            raise ValidationError({"note": [refusal]})
    action = claim(SiteAction, pk=action.pk, version=version)
    if action.done_on is not None:
        raise ValidationError(_("This action is already marked done."))
    action.done_on = timezone.localdate()
    action.done_note = note.strip()
    action.save(update_fields=["done_on", "done_note"])
    return action


# --- Premises incidents ---------------------------------------------------------------------


@transaction.atomic
def incident_record(
    *,
    actor: Any,
    site: Site,
    kind: str,
    occurred_at: datetime.datetime,
    description: str,
    actions_taken: str = "",
) -> PremisesIncident:
    """Record what happened; the site's security review falls due today."""
    site = Site.objects.select_for_update().get(pk=site.pk)
    _require_staff(actor, site)
    errors: dict[str, list[str]] = {}
    if kind not in IncidentKind.values:
        errors["kind"] = [_("Choose what kind of incident it was.")]
    if occurred_at is None or occurred_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["occurred_at"] = [_("Give a time that is now or in the past.")]
    if not description.strip():
        errors["description"] = [_("Say what happened.")]
    if errors:
        raise ValidationError(errors)
    incident = PremisesIncident(
        site=site,
        kind=kind,
        occurred_at=occurred_at,
        description=description.strip(),
        actions_taken=actions_taken.strip(),
        recorded_by=actor,
    )
    incident.full_clean()
    incident.save()
    site.review_due_on = timezone.localdate()
    site.review_reason = ReviewReason.INCIDENT
    site.save(update_fields=["review_due_on", "review_reason"])
    return incident
