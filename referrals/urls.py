from django.urls import path

from referrals import consent_views

app_name = "referrals"

# Each part of the network keeps its own list (the directory, the consents to share, the
# staff's referrals, the partner's inbox); the app's addresses are all of them.

directory_patterns: list = []

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

referral_patterns: list = []

partner_patterns: list = []

urlpatterns = [
    *directory_patterns,
    *consent_patterns,
    *referral_patterns,
    *partner_patterns,
]
