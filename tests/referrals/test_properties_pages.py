"""Bad input posted to the referral network's pages: drafting and sending a referral, the
partner's answers, consents to share, the directory (tests/property_pages.py)."""

from __future__ import annotations

from referrals import forms as f
from referrals.models import PartnerOrganisation
from tests.property_pages import Page, page_tests, scene, url  # noqa: F401

CASE = {"pk": lambda s: s.case.pk}
DRAFT = {**CASE, "referral_id": lambda s: s.draft_referral.pk}
SENT = {"pk": lambda s: s.sent_referral.pk}
PARTNER = {"partner_id": lambda s: s.partner.pk}
REFERRALS = ("referrals.Referral", "referrals.ProtectedPackage")

PAGES = [
    Page(
        "referrals:referral_new",
        "cara",
        url("referrals:referral_new", **CASE),
        lambda s: [f.ReferralForm()],
        REFERRALS,
    ),
    Page(
        "referrals:referral_edit",
        "cara",
        url("referrals:referral_edit", **DRAFT),
        lambda s: [f.ReferralEditForm()],
        REFERRALS,
    ),
    Page(
        "referrals:referral_send",
        "cara",
        url("referrals:referral_send", **DRAFT),
        lambda s: [f.ReferralSendForm()],
        REFERRALS,
    ),
    Page(
        "referrals:referral_override",
        "cara",
        url("referrals:referral_override", **DRAFT),
        lambda s: [f.OverrideRequestForm()],
        REFERRALS,
    ),
    Page(
        "referrals:received_accept",
        "pat",
        url("referrals:received_accept", **SENT),
        lambda s: [f.AcceptForm()],
        REFERRALS,
    ),
    Page(
        "referrals:received_decline",
        "pat",
        url("referrals:received_decline", **SENT),
        lambda s: [f.DeclineForm()],
        REFERRALS,
    ),
    Page(
        "referrals:received_complete",
        "pat",
        url("referrals:received_complete", **SENT),
        lambda s: [f.OutcomeForm()],
        REFERRALS,
    ),
    Page(
        "referrals:consent_give",
        "cara",
        url("referrals:consent_give", case_pk=lambda s: s.case.pk),
        lambda s: [f.SharingConsentForm(partners=PartnerOrganisation.objects.all())],
        ("referrals.SharingConsent",),
    ),
    Page(
        "referrals:partner_add",
        "sofia",
        url("referrals:partner_add"),
        lambda s: [f.PartnerForm()],
        ("referrals.PartnerOrganisation",),
    ),
    Page(
        "referrals:partner_edit",
        "sofia",
        url("referrals:partner_edit", **PARTNER),
        lambda s: [f.PartnerForm(editing=True)],
        ("referrals.PartnerOrganisation",),
    ),
    Page(
        "referrals:agreement_add",
        "sofia",
        url("referrals:agreement_add", **PARTNER),
        lambda s: [f.AgreementForm()],
        ("referrals.Agreement",),
    ),
    Page(
        "referrals:meeting_add",
        "sofia",
        url("referrals:meeting_add", **PARTNER),
        lambda s: [f.MeetingForm()],
        ("referrals.Meeting",),
    ),
    Page(
        "referrals:partner_user_add",
        "ada",
        url("referrals:partner_user_add", pk=lambda s: s.partner.pk),
        lambda s: [f.PartnerUserForm()],
        ("accounts.User", "referrals.PartnerMembership"),
    ),
]

(
    test_the_page_is_reached,
    test_the_page_given_tricky_queries_never_fails,
    test_bad_input_is_refused_and_nothing_is_stored,
    test_the_page_given_any_query_never_fails,
) = page_tests(PAGES)
