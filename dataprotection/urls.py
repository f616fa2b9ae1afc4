from django.urls import path

from dataprotection import request_views, views

app_name = "dataprotection"

# Each part keeps its own block (requests, copy, delivery, retention, records).
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # --- requests (request_views) ---
    path("requests/", request_views.request_list, name="requests"),
    path("requests/new/", request_views.request_new, name="request_new"),
    path("requests/<uuid:pk>/", request_views.request_detail, name="request"),
    path("requests/<uuid:pk>/identity/", request_views.request_identity, name="request_identity"),
    path("requests/<uuid:pk>/feared/", request_views.request_feared, name="request_feared"),
    path("requests/<uuid:pk>/extend/", request_views.request_extend, name="request_extend"),
    path("requests/<uuid:pk>/close/", request_views.request_close, name="request_close"),
    # --- the copy (copy_views) ---
    # --- delivery (delivery_views) ---
    # --- retention and erasure (retention_views) ---
    # --- records: processing activities, breaches (records_views) ---
]
