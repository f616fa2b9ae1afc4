from django.urls import path

from referrals import views as referral_views

app_name = "referrals"

# Each part of the network keeps its own list (the directory, the consents to share, the
# staff's referrals, the partner's inbox); the app's addresses are all of them.

directory_patterns: list = []

consent_patterns: list = []

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
]

partner_patterns: list = []

urlpatterns = [
    *directory_patterns,
    *consent_patterns,
    *referral_patterns,
    *partner_patterns,
]
