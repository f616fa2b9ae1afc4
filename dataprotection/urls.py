from django.urls import path

from dataprotection import (
    copy_views,
    delivery_views,
    records_views,
    request_views,
    retention_views,
    views,
)

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
    path("requests/<uuid:pk>/delivery/keep/", delivery_views.delivery_keep, name="delivery_keep"),
    path(
        "requests/<uuid:pk>/delivery/passphrase/",
        delivery_views.delivery_passphrase_show,
        name="delivery_passphrase_show",
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
    path("retention/", retention_views.retention_schedule, name="retention_schedule"),
    path("retention/<slug:kind>/", retention_views.retention_rule, name="retention_rule"),
    path("erasures/", retention_views.erasures, name="erasures"),
    path("erasures/records/", retention_views.records_delete, name="records_delete"),
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
    path("records/", records_views.processing_list, name="processing"),
    path("records/fill-in/", records_views.processing_prefill, name="processing_prefill"),
    path("records/add/", records_views.processing_add, name="processing_add"),
    path("records/pdf/", records_views.processing_pdf, name="processing_pdf"),
    path("records/<int:activity_id>/", records_views.processing_edit, name="processing_edit"),
    path(
        "records/<int:activity_id>/remove/",
        records_views.processing_remove,
        name="processing_remove",
    ),
    path("breaches/", records_views.breach_list, name="breaches"),
    path("breaches/new/", records_views.breach_log, name="breach_log"),
    path("breaches/<int:breach_id>/", records_views.breach_detail, name="breach"),
    path("breaches/<int:breach_id>/decide/", records_views.breach_decide, name="breach_decide"),
    path(
        "breaches/<int:breach_id>/notified/",
        records_views.breach_notified,
        name="breach_notified",
    ),
    path("breaches/<int:breach_id>/tell/", records_views.breach_tell, name="breach_tell"),
    path("breaches/<int:breach_id>/close/", records_views.breach_close, name="breach_close"),
    path("profile/", records_views.profile, name="profile"),
    # --- end of records ---
]
