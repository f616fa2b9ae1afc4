from django.urls import path

from risk import views

app_name = "risk"

urlpatterns = [
    path("cases/<uuid:pk>/assessments/new/", views.assessment_new, name="assessment_new"),
    path(
        "cases/<uuid:pk>/assessments/<int:assessment_id>/",
        views.assessment_detail,
        name="assessment",
    ),
    path("cases/<uuid:pk>/triggers/", views.trigger_add, name="trigger_add"),
    path("cases/<uuid:pk>/safety-plan/", views.safety_plan, name="safety_plan"),
    path("cases/<uuid:pk>/safety-plan/actions/", views.safety_action_add, name="action_add"),
    path(
        "cases/<uuid:pk>/safety-plan/actions/<int:action_id>/",
        views.safety_action_update,
        name="action_update",
    ),
    path("cases/<uuid:pk>/safety-plan/copy/", views.safety_plan_copy, name="safety_plan_copy"),
    path("training/", views.training, name="training"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/duplicates/<int:match_id>/", views.duplicate_match, name="duplicate_match"),
    path("dashboard/<slug:tile>/", views.dashboard_list, name="dashboard_list"),
    path(
        "training/<int:record_id>/certificate/",
        views.training_certificate,
        name="training_certificate",
    ),
]
