from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("emergency-access/", views.break_glass, name="break_glass"),
    path("<uuid:pk>/", views.case_detail, name="detail"),
]
