from django.urls import path

from dataprotection import copy_views, views

app_name = "dataprotection"

# Each part keeps its own block (requests, copy, delivery, retention, records).
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # --- requests (request_views) ---
    # --- the copy (copy_views) ---
    path("requests/<uuid:pk>/copy/", copy_views.copy_prepare, name="copy_prepare"),
    path("requests/<uuid:pk>/copy/make/", copy_views.copy_make, name="copy_make"),
    path(
        "requests/<uuid:pk>/copy/redactions/<int:redaction_id>/apply/",
        copy_views.copy_redaction_apply,
        name="copy_redaction_apply",
    ),
    path(
        "requests/<uuid:pk>/copy/redactions/<int:redaction_id>/remove/",
        copy_views.copy_redaction_remove,
        name="copy_redaction_remove",
    ),
    path(
        "requests/<uuid:pk>/copy/redactions/add/",
        copy_views.copy_redaction_add,
        name="copy_redaction_add",
    ),
    path("requests/<uuid:pk>/copy/withhold/", copy_views.copy_withhold, name="copy_withhold"),
    path("requests/<uuid:pk>/copy/restore/", copy_views.copy_restore, name="copy_restore"),
    path(
        "requests/<uuid:pk>/copy/documents/confirm/",
        copy_views.copy_document_confirm,
        name="copy_document_confirm",
    ),
    path("requests/<uuid:pk>/copy/submit/", copy_views.copy_submit, name="copy_submit"),
    path("requests/<uuid:pk>/copy/review/", copy_views.copy_review, name="copy_review"),
    path("requests/<uuid:pk>/copy/sign-off/", copy_views.copy_sign_off, name="copy_sign_off"),
    path("requests/<uuid:pk>/copy/send-back/", copy_views.copy_send_back, name="copy_send_back"),
    path("requests/<uuid:pk>/copy/log/", copy_views.copy_log, name="copy_log"),
    path("requests/<uuid:pk>/copy/pdf/", copy_views.copy_request, name="copy_request"),
    path("requests/<uuid:pk>/copy/pdf/<uuid:job_id>/", copy_views.copy_job, name="copy_job"),
    path(
        "requests/<uuid:pk>/copy/pdf/<uuid:job_id>/download/",
        copy_views.copy_job_download,
        name="copy_job_download",
    ),
    # --- delivery (delivery_views) ---
    # --- retention and erasure (retention_views) ---
    # --- records: processing activities, breaches (records_views) ---
]
