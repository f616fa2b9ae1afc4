from django.urls import path

from cases import export_views, intake_views, views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("emergency-access/", views.break_glass, name="break_glass"),
    path("<uuid:pk>/", views.case_detail, name="detail"),
    path("<uuid:pk>/notes/", views.note_add, name="note_add"),
    path("<uuid:pk>/contacts/", views.contact_add, name="contact_add"),
    path("<uuid:pk>/consents/", views.consent_add, name="consent_add"),
    path(
        "<uuid:pk>/consents/<int:consent_id>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("<uuid:pk>/details/", views.victim_edit, name="victim_edit"),
    path("<uuid:pk>/documents/", views.document_add, name="document_add"),
    path(
        "<uuid:pk>/documents/<int:document_id>/",
        views.document_download,
        name="document_download",
    ),
    path("<uuid:pk>/assign/", views.case_assign, name="assign"),
    path("<uuid:pk>/close/", views.case_close, name="close"),
    path("<uuid:pk>/reopen/", views.case_reopen, name="reopen"),
    path("<uuid:pk>/history/", views.case_history, name="history"),
    path("<uuid:pk>/export/", export_views.case_export, name="export"),
    path("<uuid:pk>/exports/<uuid:job_id>/", export_views.export_status, name="export_status"),
    path(
        "<uuid:pk>/exports/<uuid:job_id>/download/",
        export_views.export_download,
        name="export_download",
    ),
    path("intake/", intake_views.intake_home, name="intake"),
    path("intake/<uuid:pk>/finish/", intake_views.intake_finish, name="intake_finish"),
    path("intake/<uuid:pk>/<slug:step>/", intake_views.intake_step, name="intake_step"),
]
