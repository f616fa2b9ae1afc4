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
    # --- end of safety ---
]
