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
]
