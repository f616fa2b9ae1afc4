from django.urls import path

from referrals import consent_views, directory_views, partner_views
from referrals import views as referral_views

app_name = "referrals"

# Each part of the network keeps its own list (the directory, the consents to share, the
# staff's referrals, the partner's inbox); the app's addresses are all of them.

directory_patterns: list = [
    path("", directory_views.dashboard, name="dashboard"),
    path("partners/", directory_views.directory, name="directory"),
    path("partners/add/", directory_views.partner_add, name="partner_add"),
    path("partners/<int:partner_id>/", directory_views.partner_detail, name="partner"),
    path("partners/<int:partner_id>/edit/", directory_views.partner_edit, name="partner_edit"),
    path(
        "partners/<int:partner_id>/agreements/add/",
        directory_views.agreement_add,
        name="agreement_add",
    ),
    path(
        "agreements/<int:agreement_id>/edit/",
        directory_views.agreement_edit,
        name="agreement_edit",
    ),
    path(
        "agreements/<int:agreement_id>/copy/",
        directory_views.agreement_copy,
        name="agreement_copy",
    ),
    path(
        "partners/<int:partner_id>/meetings/add/",
        directory_views.meeting_add,
        name="meeting_add",
    ),
]

consent_patterns: list = [
    path(
        "cases/<uuid:case_pk>/consents/add/",
        consent_views.consent_give,
        name="consent_give",
    ),
    path(
        "cases/<uuid:case_pk>/consents/<int:pk>/withdraw/",
        consent_views.consent_withdraw,
        name="consent_withdraw",
    ),
]

# The staff side of a referral, under its case (the case's id first, as on the case pages).
referral_patterns: list = [
    path("cases/<uuid:pk>/referrals/new/", referral_views.referral_new, name="referral_new"),
    path(
        "cases/<uuid:pk>/referrals/<uuid:referral_id>/",
        referral_views.referral_detail,
        name="referral",
    ),
    path(
        "cases/<uuid:pk>/referrals/<uuid:referral_id>/edit/",
        referral_views.referral_edit,
        name="referral_edit",
    ),
    path(
        "cases/<uuid:pk>/referrals/<uuid:referral_id>/send/",
        referral_views.referral_send,
        name="referral_send",
    ),
    path(
        "cases/<uuid:pk>/referrals/<uuid:referral_id>/override/",
        referral_views.referral_override,
        name="referral_override",
    ),
    path(
        "cases/<uuid:pk>/referrals/<uuid:referral_id>/decide/",
        referral_views.referral_decide,
        name="referral_decide",
    ),
    path(
        "cases/<uuid:pk>/referrals/<uuid:referral_id>/revoke/",
        referral_views.referral_revoke,
        name="referral_revoke",
    ),
    path(
        "cases/<uuid:pk>/referrals/<uuid:referral_id>/answer/",
        referral_views.referral_answer,
        name="referral_answer",
    ),
]

partner_patterns: list = [
    path("partners/<int:pk>/users/", partner_views.partner_users, name="partner_users"),
    path("partners/<int:pk>/users/add/", partner_views.partner_user_add, name="partner_user_add"),
    path(
        "partners/<int:pk>/users/<int:user_id>/deactivate/",
        partner_views.partner_user_deactivate,
        name="partner_user_deactivate",
    ),
    path("inbox/", partner_views.inbox, name="inbox"),
    path("inbox/<uuid:pk>/", partner_views.received, name="received"),
    path("inbox/<uuid:pk>/accept/", partner_views.received_accept, name="received_accept"),
    path("inbox/<uuid:pk>/decline/", partner_views.received_decline, name="received_decline"),
    path("inbox/<uuid:pk>/outcome/", partner_views.received_complete, name="received_complete"),
    path(
        "cases/<uuid:case_pk>/referrals/<uuid:pk>/pdf/",
        partner_views.package_pdf,
        name="package_pdf",
    ),
    path(
        "cases/<uuid:case_pk>/referrals/<uuid:pk>/pdf/<uuid:package_id>/",
        partner_views.package_pdf_download,
        name="package_pdf_download",
    ),
]

urlpatterns = [
    *directory_patterns,
    *consent_patterns,
    *referral_patterns,
    *partner_patterns,
]
