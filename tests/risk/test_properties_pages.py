"""Bad input posted to the risk pages: an assessment's answers, triggers, the safety plan,
training (tests/property_pages.py)."""

from __future__ import annotations

from hypothesis import strategies as st

from risk import forms as f
from tests.property_pages import Page, page_tests, scene, url  # noqa: F401
from victimsupport.accounts.models import User

CASE = {"pk": lambda s: s.case.pk}

PAGES = [
    Page(
        "risk:assessment",
        "cara",
        url("risk:assessment", **CASE, assessment_id=lambda s: s.assessment.pk),
        lambda s: [
            f.AssessmentForm(s.assessment.instrument_version.localised("en")),
            f.FinaliseForm(),
        ],
        ("risk.Assessment", "cases.Case"),
        extra={"action": st.sampled_from(["save", "finalise", "", "delete"])},
    ),
    Page(
        "risk:trigger_add",
        "cara",
        url("risk:trigger_add", **CASE),
        lambda s: [f.TriggerForm()],
        ("risk.ReassessmentTrigger", "cases.Case"),
    ),
    Page(
        "risk:safety_plan",
        "cara",
        url("risk:safety_plan", **CASE),
        lambda s: [f.SafetyPlanForm()],
        ("risk.SafetyPlan",),
    ),
    Page(
        "risk:action_add",
        "cara",
        url("risk:action_add", **CASE),
        lambda s: [f.SafetyActionForm(staff=User.objects.all())],
        ("risk.SafetyPlan", "risk.SafetyAction"),
    ),
    Page(
        "risk:training",
        "sofia",
        url("risk:training"),
        lambda s: [f.TrainingRecordForm(staff=User.objects.all())],
        ("risk.TrainingRecord",),
    ),
]

(
    test_the_page_is_reached,
    test_the_page_given_tricky_queries_never_fails,
    test_bad_input_is_refused_and_nothing_is_stored,
    test_the_page_given_any_query_never_fails,
) = page_tests(PAGES)
