from django.urls import path

from premises.views import assessments, evidence, safety, sites  # noqa: F401

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
    # --- end of assessments ---
    # --- evidence (views.evidence): photos, escape plans, drills ---
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
    path("sensitive-terms/", safety.sensitive_terms, name="sensitive_terms"),
    path(
        "sensitive-terms/<int:term_id>/remove/",
        safety.sensitive_term_remove,
        name="sensitive_term_remove",
    ),
    # --- end of safety ---
]
