"""Bad input posted to the premises pages: sites, assessments, findings, actions, incidents,
photos, escape plans, drills, the safety page and its sensitive terms
(tests/property_pages.py)."""

from __future__ import annotations

from premises.forms import assessments, evidence, safety, sites
from premises.models import ChecklistVersion, Finding, Site
from premises.selectors import assessments as selectors
from tests.property_pages import Page, page_tests, scene, url  # noqa: F401
from victimsupport.accounts.models import Team, User

SITE = {"site_id": lambda s: s.site.pk}
ASSESSMENT = {**SITE, "security_assessment_id": lambda s: s.security_assessment.pk}

PAGES = [
    Page(
        "premises:site_new",
        "sofia",
        url("premises:site_new"),
        lambda s: [sites.SiteForm(teams=Team.objects.all())],
        ("premises.Site",),
    ),
    Page(
        "premises:site_edit",
        "sofia",
        url("premises:site_edit", **SITE),
        lambda s: [sites.SiteForm()],
        ("premises.Site",),
    ),
    Page(
        "premises:security_assessment_new",
        "cara",
        url("premises:security_assessment_new", **SITE),
        lambda s: [
            assessments.AssessmentStartForm(
                checklists=ChecklistVersion.objects.all(), incidents=s.site.incidents.all()
            )
        ],
        ("premises.SecurityAssessment",),
    ),
    Page(
        "premises:security_assessment_answers",
        "cara",
        url("premises:security_assessment_answers", **ASSESSMENT),
        lambda s: [
            assessments.AnswersForm(
                definition=s.security_assessment.checklist.definition, language="en"
            )
        ],
        ("premises.SecurityAssessment",),
    ),
    Page(
        "premises:finding_new",
        "cara",
        url("premises:finding_new", **ASSESSMENT),
        lambda s: [
            assessments.FindingForm(questions=selectors.question_choices(s.security_assessment))
        ],
        ("premises.Finding",),
    ),
    Page(
        "premises:assessment_action_new",
        "cara",
        url("premises:assessment_action_new", **ASSESSMENT),
        lambda s: [
            assessments.ActionForm(staff=User.objects.all(), findings=Finding.objects.all())
        ],
        ("premises.SiteAction",),
    ),
    Page(
        "premises:incident_new",
        "cara",
        url("premises:incident_new", **SITE),
        lambda s: [assessments.IncidentForm()],
        ("premises.PremisesIncident",),
    ),
    Page(
        "premises:photo_add",
        "cara",
        url("premises:photo_add", **SITE),
        lambda s: [evidence.PhotoForm()],
        ("premises.SitePhoto",),
    ),
    Page(
        "premises:escape_plan_new",
        "cara",
        url("premises:escape_plan_new", **SITE),
        lambda s: [evidence.EscapePlanForm()],
        ("premises.EscapePlan",),
    ),
    Page(
        "premises:drill_new",
        "cara",
        url("premises:drill_new", **SITE),
        lambda s: [evidence.DrillForm(staff=User.objects.all())],
        ("premises.Drill",),
    ),
    Page(
        "premises:safety_page_new",
        "cara",
        url("premises:safety_page_new", **SITE),
        lambda s: [safety.SafetyPageForm()],
        ("premises.SafetyPage",),
    ),
    Page(
        "premises:sensitive_terms",
        "sofia",
        url("premises:sensitive_terms"),
        lambda s: [safety.SensitiveTermForm(sites=Site.objects.all())],
        ("premises.SensitiveTerm",),
    ),
]

(
    test_the_page_is_reached,
    test_the_page_given_tricky_queries_never_fails,
    test_bad_input_is_refused_and_nothing_is_stored,
    test_the_page_given_any_query_never_fails,
) = page_tests(PAGES)
