from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from cases.models import BreakGlassAccess, Case, Document, Victim
from risk.models import SafetyPlan


def case_by_reference_for_break_glass(reference: str) -> Case | None:
    """The one lookup that ignores visible_to: a supervisor asking for emergency access must
    name a case they cannot see yet. Only the break-glass view calls it."""
    return Case.objects.filter(reference=reference).first()


def current_break_glass(*, user: Any, case: Case) -> BreakGlassAccess | None:
    return (
        BreakGlassAccess.objects.filter(user=user, case=case, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str
    item: Any


def case_file(case: Case) -> dict[str, Any]:
    """Everything the case page shows, in a fixed number of queries whatever its size."""
    victim = Victim.objects.filter(case=case).first()
    preferences = list(case.contact_preferences.all())
    consents = list(case.consents.select_related("recorded_by", "withdrawn_by", "notice"))
    documents = list(
        Document.objects.filter(case=case).defer("content").select_related("uploaded_by")
    )
    timeline = [
        *(TimelineItem(n.created_at, "note", n) for n in case.notes.select_related("author")),
        *(
            TimelineItem(c.occurred_at, "contact", c)
            for c in case.contacts.select_related("recorded_by")
        ),
        *(
            TimelineItem(s.screened_at, "screen", s)
            for s in case.screens.select_related("screened_by")
        ),
        *(
            TimelineItem(a.acknowledged_at, "notice", a)
            for a in case.acknowledgements.select_related("notice", "recorded_by")
        ),
        *(
            TimelineItem(s.changed_at, "status", s)
            for s in case.status_changes.select_related("changed_by")
        ),
        *(TimelineItem(c.given_at, "consent", c) for c in consents),
        *(TimelineItem(c.withdrawn_at, "withdrawal", c) for c in consents if c.withdrawn_at),
        *(TimelineItem(d.uploaded_at, "document", d) for d in documents),
    ]
    assessments = list(
        case.assessments.select_related(
            "instrument_version__instrument", "assessor", "finalised_by"
        )
    )
    triggers = list(case.triggers.select_related("recorded_by"))
    timeline += [
        TimelineItem(a.finalised_at, "assessment", a) for a in assessments if a.finalised_at
    ]
    timeline += [TimelineItem(_midday(t.occurred_on), "trigger", t) for t in triggers]
    timeline.sort(key=lambda item: item.at, reverse=True)
    final = [a for a in assessments if a.is_final]
    plan = SafetyPlan.objects.filter(case=case).first()
    has_actions = plan is not None and plan.actions.exclude(status="cancelled").exists()
    return {
        "safety_plan": plan,
        "plan_required": case.risk_level == "high" and not has_actions,
        "assessments": assessments,
        "trend": list(reversed(final)),
        "open_assessment": next((a for a in assessments if not a.is_final), None),
        "triggers": triggers,
        "review_overdue": bool(case.review_due and case.review_due <= timezone.localdate()),
        "victim": victim,
        "preferences": preferences,
        "safe_methods": [p for p in preferences if p.is_safe],
        "consents": consents,
        "documents": documents,
        "third_parties": list(case.third_parties.all()),
        "needs": case.needs.order_by("-recorded_at").first(),
        "timeline": timeline,
    }


def _midday(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time().replace(hour=12)))
