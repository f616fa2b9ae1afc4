from django.urls import path

from dataprotection import delivery_views, views

app_name = "dataprotection"

# Each part keeps its own block (requests, copy, delivery, retention, records).
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # --- requests (request_views) ---
    # --- the copy (copy_views) ---
    # --- delivery (delivery_views) ---
    path("requests/<uuid:pk>/delivery/", delivery_views.delivery, name="delivery"),
    path(
        "requests/<uuid:pk>/delivery/prepare/",
        delivery_views.delivery_prepare,
        name="delivery_prepare",
    ),
    path(
        "requests/<uuid:pk>/delivery/passphrase-sent/",
        delivery_views.delivery_passphrase_sent,
        name="delivery_passphrase_sent",
    ),
    path("requests/<uuid:pk>/delivery/link/", delivery_views.delivery_link, name="delivery_link"),
    path(
        "requests/<uuid:pk>/delivery/hand-over/",
        delivery_views.delivery_hand_over,
        name="delivery_hand_over",
    ),
    path("requests/<uuid:pk>/delivery/copy.pdf", delivery_views.delivery_pdf, name="delivery_pdf"),
    # --- end of delivery ---
    # --- retention and erasure (retention_views) ---
    # --- records: processing activities, breaches (records_views) ---
]
