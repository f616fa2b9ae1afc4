"""The risk app's part of the case file: assessments (answers, score, level, the reason for
any change of level), reassessment triggers, the safety plan and its actions; in the
timeline, finalised assessments and triggers. Screenings are the cases app's (taken at
intake)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.levels import RiskLevel
from risk import engine
from risk.forms import TriggerForm
from risk.models import Assessment, ReassessmentTrigger, SafetyAction, SafetyPlan
from victimsupport.casefile import (
    STAFF_ONLY,
    Audience,
    Category,
    Contributor,
    Section,
    TimelineItem,
    TimelineSource,
)


def contribute(case: Any) -> tuple[list[Section], list[TimelineItem]]:
    assessments = list(
        case.assessments.select_related(
            "instrument_version__instrument", "assessor", "finalised_by"
        )
    )
    for assessment in assessments:
        # Read from the version the assessment was made under, already loaded, in the
        # language of the page or document.
        shown = assessment.instrument_version.localised()
        assessment.readable_answers = engine.readable_answers(shown, assessment.answers)
        assessment.red_flag_labels = engine.red_flag_labels(shown, assessment.red_flags)
    triggers = list(case.triggers.select_related("recorded_by"))
    plan = (
        SafetyPlan.objects.filter(case=case)
        .prefetch_related(
            Prefetch("actions", queryset=SafetyAction.objects.select_related("owner"))
        )
        .first()
    )
    actions = list(plan.actions.all()) if plan is not None else []
    has_actions = any(a.status != SafetyAction.Status.CANCELLED for a in actions)
    final = [a for a in assessments if a.is_final]
    risk = {
        "assessments": assessments,
        "trend": list(reversed(final)),
        "open_assessment": next((a for a in assessments if not a.is_final), None),
        "triggers": triggers,
        "review_overdue": bool(case.review_due and case.review_due <= timezone.localdate()),
        "trigger_form": TriggerForm(),
    }
    sections = [
        Section(
            "risk",
            _("Risk"),
            Category.RISK,
            STAFF_ONLY,
            "casefile/sections/risk.html",
            risk,
            order=50,
            page_template="risk/_case_risk_panel.html",
        ),
        Section(
            "safety_plan",
            _("Safety plan"),
            Category.SAFETY,
            Audience.STAFF | Audience.PERSON,
            "casefile/sections/safety_plan.html",
            {
                "safety_plan": plan,
                "safety_actions": actions,
                "plan_required": case.risk_level == RiskLevel.HIGH and not has_actions,
            },
            order=60,
            page_template="casefile/page/safety_plan.html",
        ),
        # Staff notes on the actions are their own section: the plan above is what the person
        # may be given, and a staff note (what a colleague fears, what the police said) is
        # not theirs to read in it.
        Section(
            "safety_plan_notes",
            _("Staff notes on the safety plan"),
            Category.INTERNAL,
            STAFF_ONLY,
            "casefile/sections/safety_plan_notes.html",
            {"safety_notes": [a for a in actions if a.internal_note]},
            order=65,
            page_template="casefile/page/safety_plan_notes.html",
        ),
    ]
    timeline = [
        *(
            TimelineItem(a.finalised_at, "assessment", a, Category.RISK)
            for a in assessments
            if a.finalised_at
        ),
        *(
            TimelineItem(_midday(t.occurred_on), "trigger", t, Category.RISK, date_only=True)
            for t in triggers
        ),
    ]
    return sections, timeline


def _midday(day: Any) -> datetime:
    # A trigger has a day, not a time: placed at noon so it sorts among that day's entries.
    return timezone.make_aware(datetime.combine(day, datetime.min.time().replace(hour=12)))


CONTRIBUTOR = Contributor(
    name="risk",
    contribute=contribute,
    models={
        Assessment: "case",
        ReassessmentTrigger: "case",
        SafetyPlan: "case",
        SafetyAction: "plan__case",
    },
    timeline_sources=(
        TimelineSource(Assessment, "case", {"finalised_at__isnull": False}),
        TimelineSource(ReassessmentTrigger, "case"),
    ),
)
