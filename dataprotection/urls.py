from django.urls import path

from dataprotection import retention_views, views

app_name = "dataprotection"

# Each part keeps its own block (requests, copy, delivery, retention, records).
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # --- requests (request_views) ---
    # --- the copy (copy_views) ---
    # --- delivery (delivery_views) ---
    # --- retention and erasure (retention_views) ---
    path("retention/", retention_views.retention_schedule, name="retention_schedule"),
    path("retention/<slug:kind>/", retention_views.retention_rule, name="retention_rule"),
    path("erasures/", retention_views.erasures, name="erasures"),
    path("erasures/<int:erasure_id>/", retention_views.erasure, name="erasure"),
    path(
        "erasures/<int:erasure_id>/certificate/",
        retention_views.erasure_certificate,
        name="erasure_certificate",
    ),
    path("legal-holds/", retention_views.legal_holds, name="legal_holds"),
    path(
        "legal-holds/<int:hold_id>/lift/", retention_views.legal_hold_lift, name="legal_hold_lift"
    ),
    path(
        "erasure-requests/<uuid:request_id>/",
        retention_views.erasure_request,
        name="erasure_request",
    ),
    # --- records: processing activities, breaches (records_views) ---
]
