from django.urls import path

from cases import intake_views, views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("emergency-access/", views.break_glass, name="break_glass"),
    path("<uuid:pk>/", views.case_detail, name="detail"),
    path("intake/", intake_views.intake_home, name="intake"),
    path("intake/<uuid:pk>/finish/", intake_views.intake_finish, name="intake_finish"),
    path("intake/<uuid:pk>/<slug:step>/", intake_views.intake_step, name="intake_step"),
]
