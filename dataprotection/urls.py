from django.urls import path

from dataprotection import views

app_name = "dataprotection"

# Each part keeps its own block (requests, copy, delivery, retention, records).
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # --- requests (request_views) ---
    # --- the copy (copy_views) ---
    # --- delivery (delivery_views) ---
    # --- retention and erasure (retention_views) ---
    # --- records: processing activities, breaches (records_views) ---
]
