"""Reads of the assessments part: published checklists, a site's assessments, actions and
incidents, an assessment's questions with their answers, and the site page's panel. Each list
is a fixed number of queries whatever its length."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import get_language

from premises import checklist
from premises.models import (
    AnswerKind,
    AssessmentStatus,
    ChecklistVersion,
    Finding,
    PremisesIncident,
    SecurityAssessment,
    Site,
    SiteAction,
)
from victimsupport.access import CASE_ROLES, roles_of

RECENT_INCIDENTS = datetime.timedelta(days=90)

# A finding's score (likelihood x impact, 1 to 25) falls in one of three bands.
BAND_MEDIUM = 5
BAND_HIGH = 12


def band(score: int) -> str:
    """'low' (1-4), 'medium' (5-11) or 'high' (12-25)."""
    if score >= BAND_HIGH:
        return "high"
    if score >= BAND_MEDIUM:
        return "medium"
    return "low"


def published_checklists() -> Any:
    return (
        ChecklistVersion.objects.filter(status=ChecklistVersion.Status.PUBLISHED)
        .select_related("template")
        .order_by("template__name", "-version")
    )


def site_assessments(site: Site, user: Any) -> Any:
    return (
        SecurityAssessment.objects.visible_to(user)
        .of_site(site)
        .select_related("checklist__template", "started_by", "signed_off_by")
        .annotate(
            findings_count=Count("findings", distinct=True),
            open_actions=Count("actions", filter=Q(actions__done_on__isnull=True), distinct=True),
        )
    )


def site_actions(site: Site, user: Any) -> Any:
    return (
        SiteAction.objects.visible_to(user)
        .of_site(site)
        .select_related("owner", "assessment", "finding", "incident")
    )


def site_incidents(site: Site, user: Any) -> Any:
    return (
        PremisesIncident.objects.visible_to(user)
        .of_site(site)
        .select_related("recorded_by")
        .annotate(reassessments_count=Count("reassessments", distinct=True))
    )


def checklist_sections(assessment: SecurityAssessment) -> list[dict[str, Any]]:
    """The checklist in the reader's language, each question with its answer and note."""
    shown = checklist.localise(assessment.checklist.definition, get_language())
    answers = assessment.answers or {}
    labels = dict(AnswerKind.choices)
    sections = []
    for section in shown.get("sections", []):
        rows = []
        for q in section.get("questions", []):
            given = answers.get(q["key"]) or {}
            rows.append(
                {
                    "key": q["key"],
                    "text": q.get("text", ""),
                    "guidance": q.get("guidance", ""),
                    "answer": given.get("answer", ""),
                    "answer_label": labels.get(given.get("answer", ""), ""),
                    "note": given.get("note", ""),
                }
            )
        sections.append({"key": section["key"], "title": section.get("title", ""), "rows": rows})
    return sections


def question_choices(assessment: SecurityAssessment) -> list[tuple[str, str]]:
    shown = checklist.localise(assessment.checklist.definition, get_language())
    return [(q["key"], q.get("text", "")) for q in checklist.questions(shown)]


def assessment_findings(assessment: SecurityAssessment, user: Any) -> list[Finding]:
    texts = dict(question_choices(assessment))
    findings = list(
        Finding.objects.visible_to(user).filter(assessment=assessment).select_related("recorded_by")
    )
    for finding in findings:
        finding.band = band(finding.score)
        finding.question_text = texts.get(finding.question_key, "")
    return findings


def site_panel(site: Site, user: Any) -> dict[str, Any]:
    """What the site's page shows of this part (its template: premises/_site_assessments.html):
    the latest signed-off assessment and the next review, any assessment in progress, open and
    overdue actions, and (for staff, never an auditor) the incidents of the last 90 days."""
    today = timezone.localdate()
    assessments = SecurityAssessment.objects.visible_to(user).of_site(site)
    latest = (
        assessments.filter(status=AssessmentStatus.SIGNED_OFF)
        .select_related("signed_off_by")
        .order_by("-signed_off_at", "-pk")
        .first()
    )
    in_progress = (
        assessments.exclude(status=AssessmentStatus.SIGNED_OFF).order_by("-started_at").first()
    )
    counts = (
        SiteAction.objects.visible_to(user)
        .of_site(site)
        .aggregate(
            open=Count("pk", filter=Q(done_on__isnull=True)),
            overdue=Count("pk", filter=Q(done_on__isnull=True, due_on__lt=today)),
        )
    )
    staff = bool(roles_of(user) & CASE_ROLES)
    recent: list[PremisesIncident] = []
    if staff:
        since = timezone.now() - RECENT_INCIDENTS
        recent = list(
            PremisesIncident.objects.visible_to(user).of_site(site).filter(occurred_at__gte=since)
        )
    return {
        "assessments_latest": latest,
        "assessments_in_progress": in_progress,
        "assessments_review_due_on": site.review_due_on,
        "assessments_review_reason": site.get_review_reason_display(),
        "assessments_review_overdue": site.review_overdue,
        "assessments_open_actions": counts["open"],
        "assessments_overdue_actions": counts["overdue"],
        "assessments_show_incidents": staff,
        "assessments_recent_incidents": recent,
    }
