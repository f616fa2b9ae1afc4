from django.urls import path

from premises.views import assessments, evidence, safety, sites  # noqa: F401

app_name = "premises"

# Each part keeps its own block (sites, assessments, evidence, safety). Every address below a
# site names it by ``site_id``; the objects of a site by their own keyword (assessment_id is
# the risk app's: a premises assessment is ``security_assessment_id``).
urlpatterns = [
    # --- sites (views.sites) ---
    # --- end of sites ---
    # --- assessments (views.assessments): checklists, findings, actions, incidents ---
    path(
        "sites/<int:site_id>/assessments/",
        assessments.security_assessments,
        name="security_assessments",
    ),
    path(
        "sites/<int:site_id>/assessments/new/",
        assessments.security_assessment_new,
        name="security_assessment_new",
    ),
    path(
        "sites/<int:site_id>/assessments/<int:security_assessment_id>/",
        assessments.security_assessment,
        name="security_assessment",
    ),
    path(
        "sites/<int:site_id>/assessments/<int:security_assessment_id>/answers/",
        assessments.security_assessment_answers,
        name="security_assessment_answers",
    ),
    path(
        "sites/<int:site_id>/assessments/<int:security_assessment_id>/submit/",
        assessments.security_assessment_submit,
        name="security_assessment_submit",
    ),
    path(
        "sites/<int:site_id>/assessments/<int:security_assessment_id>/sign-off/",
        assessments.security_assessment_sign_off,
        name="security_assessment_sign_off",
    ),
    path(
        "sites/<int:site_id>/assessments/<int:security_assessment_id>/findings/new/",
        assessments.finding_new,
        name="finding_new",
    ),
    path(
        "sites/<int:site_id>/assessments/<int:security_assessment_id>/actions/new/",
        assessments.assessment_action_new,
        name="assessment_action_new",
    ),
    path("sites/<int:site_id>/actions/", assessments.site_actions, name="site_actions"),
    path(
        "sites/<int:site_id>/actions/<int:site_action_id>/done/",
        assessments.site_action_done,
        name="site_action_done",
    ),
    path("sites/<int:site_id>/incidents/", assessments.incidents, name="incidents"),
    path("sites/<int:site_id>/incidents/new/", assessments.incident_new, name="incident_new"),
    path(
        "sites/<int:site_id>/incidents/<int:incident_id>/",
        assessments.incident,
        name="incident",
    ),
    path(
        "sites/<int:site_id>/incidents/<int:incident_id>/actions/new/",
        assessments.incident_action_new,
        name="incident_action_new",
    ),
    # --- end of assessments ---
    # --- evidence (views.evidence): photos, escape plans, drills ---
    # --- end of evidence ---
    # --- safety (views.safety): the safety page, sensitive terms ---
    # --- end of safety ---
]
