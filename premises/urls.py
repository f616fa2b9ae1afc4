from django.urls import path

from premises.views import assessments, evidence, safety, sites

app_name = "premises"

# Each part keeps its own block (sites, assessments, evidence, safety). Every address below a
# site names it by ``site_id``; the objects of a site by their own keyword (assessment_id is
# the risk app's: a premises assessment is ``security_assessment_id``).
urlpatterns = [
    # --- sites (views.sites) ---
    path("", sites.dashboard, name="dashboard"),
    path("sites/", sites.site_list, name="sites"),
    path("sites/new/", sites.site_new, name="site_new"),
    path("sites/<int:site_id>/", sites.site_detail, name="site"),
    path("sites/<int:site_id>/edit/", sites.site_edit, name="site_edit"),
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
        "sites/<int:site_id>/assessments/<int:security_assessment_id>/send-back/",
        assessments.security_assessment_return,
        name="security_assessment_return",
    ),
    path(
        "sites/<int:site_id>/assessments/<int:security_assessment_id>/discard/",
        assessments.security_assessment_discard,
        name="security_assessment_discard",
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
    path("sites/<int:site_id>/photos/", evidence.photo_list, name="photos"),
    path("sites/<int:site_id>/photos/new/", evidence.photo_add, name="photo_add"),
    path(
        "sites/<int:site_id>/photos/<int:photo_id>/preview/",
        evidence.photo_preview,
        name="photo_preview",
    ),
    path(
        "sites/<int:site_id>/photos/<int:photo_id>/download/",
        evidence.photo_download,
        name="photo_download",
    ),
    path(
        "sites/<int:site_id>/photos/<int:photo_id>/remove/",
        evidence.photo_remove,
        name="photo_remove",
    ),
    path("sites/<int:site_id>/escape-plan/", evidence.escape_plan, name="escape_plan"),
    path("sites/<int:site_id>/escape-plan/new/", evidence.escape_plan_new, name="escape_plan_new"),
    path(
        "sites/<int:site_id>/escape-plan/<int:plan_id>/",
        evidence.escape_plan_version,
        name="escape_plan_version",
    ),
    path(
        "sites/<int:site_id>/escape-plan/<int:plan_id>/edit/",
        evidence.escape_plan_edit,
        name="escape_plan_edit",
    ),
    path(
        "sites/<int:site_id>/escape-plan/<int:plan_id>/approve/",
        evidence.escape_plan_approve,
        name="escape_plan_approve",
    ),
    path(
        "sites/<int:site_id>/escape-plan/<int:plan_id>/discard/",
        evidence.escape_plan_discard,
        name="escape_plan_discard",
    ),
    path(
        "sites/<int:site_id>/escape-plan/<int:plan_id>/read/",
        evidence.escape_plan_read,
        name="escape_plan_read",
    ),
    path(
        "sites/<int:site_id>/escape-plan/<int:plan_id>/floor-plan/",
        evidence.floor_plan_download,
        name="floor_plan_download",
    ),
    path("sites/<int:site_id>/drills/", evidence.drill_list, name="drills"),
    path("sites/<int:site_id>/drills/new/", evidence.drill_new, name="drill_new"),
    path("sites/<int:site_id>/drills/<int:drill_id>/", evidence.drill_detail, name="drill"),
    path(
        "sites/<int:site_id>/drills/<int:drill_id>/actions/new/",
        evidence.drill_action_add,
        name="drill_action_add",
    ),
    # --- end of evidence ---
    # --- safety (views.safety): the safety page, sensitive terms ---
    path("sites/<int:site_id>/safety/", safety.safety_pages, name="safety_pages"),
    path("sites/<int:site_id>/safety/new/", safety.safety_page_new, name="safety_page_new"),
    path("sites/<int:site_id>/safety/handout/", safety.safety_handout, name="safety_handout"),
    path("sites/<int:site_id>/safety/<int:page_id>/", safety.safety_page, name="safety_page"),
    path(
        "sites/<int:site_id>/safety/<int:page_id>/edit/",
        safety.safety_page_edit,
        name="safety_page_edit",
    ),
    path(
        "sites/<int:site_id>/safety/<int:page_id>/submit/",
        safety.safety_page_submit,
        name="safety_page_submit",
    ),
    path(
        "sites/<int:site_id>/safety/<int:page_id>/publish/",
        safety.safety_page_publish,
        name="safety_page_publish",
    ),
    path(
        "sites/<int:site_id>/safety/<int:page_id>/send-back/",
        safety.safety_page_return,
        name="safety_page_return",
    ),
    path(
        "sites/<int:site_id>/safety/<int:page_id>/withdraw/",
        safety.safety_page_withdraw,
        name="safety_page_withdraw",
    ),
    path("sensitive-terms/", safety.sensitive_terms, name="sensitive_terms"),
    path(
        "sensitive-terms/<int:term_id>/remove/",
        safety.sensitive_term_remove,
        name="sensitive_term_remove",
    ),
    # --- end of safety ---
]
