"""Consents to share that can be checked: given from the case file naming a partner (or a kind
of organisation), one purpose, the parts of the file and an end date; never edited; withdrawn
in one step, which revokes at once every referral made under it; carried over from the
free-text days; and the rules by which ``sharing_check`` answers."""

from __future__ import annotations

import datetime
import importlib
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cases.models import ConfidentialityNotice, Consent
from cases.services import break_glass_open
from referrals import casefile as referrals_casefile
from referrals.models import (
    OrganisationKind,
    Purpose,
    Referral,
    SharingConsent,
)
from referrals.services import (
    sharing_check,
    sharing_consent_give,
    sharing_consent_withdraw,
)
from tests import factories
from victimsupport import casefile
from victimsupport.audit.models import AuditEntry
from victimsupport.audit.services import AccessKind
from victimsupport.concurrency import EditConflict

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
IN_SIX_MONTHS = datetime.timedelta(days=183)


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara)


@pytest.fixture
def refuge():
    return factories.make_partner("Safe Homes", kind=OrganisationKind.REFUGE)


@pytest.fixture
def agreed(refuge):
    factories.make_agreement(refuge)
    return refuge


def give_url(case):
    return f"/network/cases/{case.pk}/consents/add/"


def withdraw_url(consent):
    return f"/network/cases/{consent.case_id}/consents/{consent.pk}/withdraw/"


def terms(**changes):
    data = {
        "purpose": Purpose.HOUSING,
        "categories": ["identity", "contact_details"],
        "method": Consent.Method.WRITTEN,
        "expires_on": TODAY() + IN_SIX_MONTHS,
    }
    return {**data, **changes}


def form_data(**changes):
    data = {
        "recipient": "partner",
        "purpose": "housing",
        "categories": ["identity", "contact_details"],
        "method": "written",
        "witness": "Typed witness name",
        "expires_on": (TODAY() + IN_SIX_MONTHS).isoformat(),
    }
    return {**data, **changes}


def make_referral(case, partner, consent, status=Referral.Status.SENT):
    return Referral.objects.create(
        case=case,
        partner=partner,
        purpose=consent.purpose or Purpose.HOUSING,
        message="Please call her on the safe number",
        categories=["identity"],
        status=status,
        consent=consent,
        # Sent as the service sends: under the partner's agreement valid today.
        agreement=partner.agreements.first(),
        created_by=case.assigned_to,
        sent_at=timezone.now() if status != Referral.Status.DRAFT else None,
    )


# --- Giving a consent ---------------------------------------------------------------------


def test_a_consent_is_given_naming_a_partner(client_cara, case, cara, refuge):
    response = client_cara.post(give_url(case), form_data(partner=refuge.pk))
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/#section-sharing_consents"
    consent = case.sharing_consents.get()
    assert consent.partner == refuge and consent.partner_kind == ""
    assert consent.purpose == Purpose.HOUSING
    assert consent.categories == ["contact_details", "identity"]
    assert consent.method == "written" and consent.witness == "Typed witness name"
    assert consent.notice == ConfidentialityNotice.objects.get()
    assert consent.recorded_by == cara and consent.authorises and consent.is_valid
    factories.assert_changed(consent, AuditEntry.Action.CREATE, cara)


def test_a_consent_is_given_naming_a_kind_of_organisation(client_cara, case, refuge):
    # A partner chosen as well is ignored: the radio says which of the two is meant.
    data = form_data(recipient="kind", partner_kind="legal_aid", partner=refuge.pk)
    assert client_cara.post(give_url(case), data).status_code == 302
    consent = case.sharing_consents.get()
    assert consent.partner is None and consent.partner_kind == OrganisationKind.LEGAL_AID


def test_the_page_shows_the_notice_the_person_was_given(client_cara, case):
    notice = ConfidentialityNotice.objects.get()
    page = client_cara.get(give_url(case))
    assert page.status_code == 200
    assert f"{notice.title} (version {notice.version})" in page.text
    factories.assert_accessed(case, AccessKind.VIEW, page.wsgi_request.user, page="consent")


def test_the_page_offers_active_partners_in_order(client_cara, case):
    factories.make_partner("Zeta Counselling")
    factories.make_partner("Alpha Housing")
    factories.make_partner("Closed Refuge", is_active=False)
    page = client_cara.get(give_url(case)).text
    assert page.index("Alpha Housing") < page.index("Zeta Counselling")
    assert "Closed Refuge" not in page


def test_refused_input_keeps_what_was_typed(client_cara, case, refuge):
    data = form_data(partner=refuge.pk, categories=[], expires_on="")
    response = client_cara.post(give_url(case), data)
    assert response.status_code == 400
    assert "Choose at least one part of the file" in response.text
    assert "a consent to share always ends" in response.text
    assert "Typed witness name" in response.text
    assert re.search(r'<input[^>]*value="housing"[^>]*checked', response.text)
    assert not case.sharing_consents.exists()


def test_the_organisation_must_be_chosen(client_cara, case):
    response = client_cara.post(give_url(case), form_data())
    assert response.status_code == 400
    assert "Choose the organisation." in response.text
    response = client_cara.post(give_url(case), form_data(recipient="kind"))
    assert "Choose the kind of organisation." in response.text
    assert not case.sharing_consents.exists()


def test_a_past_end_date_is_refused(client_cara, case, cara, refuge):
    yesterday = TODAY() - datetime.timedelta(days=1)
    response = client_cara.post(
        give_url(case), form_data(partner=refuge.pk, expires_on=yesterday.isoformat())
    )
    assert response.status_code == 400 and "The end date is in the past." in response.text
    with pytest.raises(ValidationError) as refused:
        sharing_consent_give(case=case, actor=cara, partner=refuge, **terms(expires_on=yesterday))
    assert "expires_on" in refused.value.message_dict
    assert not case.sharing_consents.exists()


def test_an_end_date_is_required(case, cara, refuge):
    with pytest.raises(ValidationError) as refused:
        sharing_consent_give(case=case, actor=cara, partner=refuge, **terms(expires_on=None))
    assert "expires_on" in refused.value.message_dict


def test_no_category_is_refused(case, cara, refuge):
    with pytest.raises(ValidationError) as refused:
        sharing_consent_give(case=case, actor=cara, partner=refuge, **terms(categories=[]))
    assert "categories" in refused.value.message_dict


def test_internal_staff_notes_cannot_be_consented_to(case, cara, refuge):
    with pytest.raises(ValidationError) as refused:
        sharing_consent_give(
            case=case, actor=cara, partner=refuge, **terms(categories=["identity", "internal"])
        )
    assert "categories" in refused.value.message_dict


def test_both_a_partner_and_a_kind_is_refused(case, cara, refuge):
    with pytest.raises(ValidationError) as refused:
        sharing_consent_give(
            case=case, actor=cara, partner=refuge, partner_kind=OrganisationKind.REFUGE, **terms()
        )
    assert "partner" in refused.value.message_dict
    with pytest.raises(ValidationError):
        sharing_consent_give(case=case, actor=cara, **terms())  # neither
    assert not case.sharing_consents.exists()


def test_a_purpose_off_the_list_is_refused(case, cara, refuge):
    with pytest.raises(ValidationError) as refused:
        sharing_consent_give(
            case=case, actor=cara, partner=refuge, **terms(purpose="Whatever they need")
        )
    assert "purpose" in refused.value.message_dict


def test_an_inactive_partner_is_refused(case, cara):
    closed = factories.make_partner("Closed Refuge", is_active=False)
    with pytest.raises(ValidationError) as refused:
        sharing_consent_give(case=case, actor=cara, partner=closed, **terms())
    assert "partner" in refused.value.message_dict


def test_no_consent_without_a_published_notice(case, cara, refuge):
    ConfidentialityNotice.objects.update(published_at=timezone.now() + datetime.timedelta(days=1))
    with pytest.raises(ValidationError):
        sharing_consent_give(case=case, actor=cara, partner=refuge, **terms())
    assert not case.sharing_consents.exists()


def test_an_outsider_gets_404_and_a_reader_403(client, case, cara, refuge):
    consent = sharing_consent_give(case=case, actor=cara, partner=refuge, **terms())
    client.force_login(factories.caseworker(factories.make_team("South"), "Sam"))
    for url in (give_url(case), withdraw_url(consent)):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    other = factories.make_full_case(cara)
    client.force_login(cara)
    # A consent reached through another case's address is not there.
    wrong = f"/network/cases/{other.pk}/consents/{consent.pk}/withdraw/"
    assert client.get(wrong).status_code == 404
    # A supervisor of another team with emergency access may see the case, not change it.
    sofia = factories.supervisor(factories.make_team("East"))
    break_glass_open(actor=sofia, case=case, reason="Called by the police about her tonight")
    client.force_login(sofia)
    for url in (give_url(case), withdraw_url(consent)):
        assert client.get(url).status_code == 403
        assert client.post(url, {"version": consent.version}).status_code == 403
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_there_is_no_way_to_edit_the_terms():
    from referrals import urls

    names = {p.name for p in urls.consent_patterns}
    assert names == {"consent_give", "consent_withdraw"}


# --- Withdrawing -----------------------------------------------------------------------------


def test_asking_first_withdraws_nothing(client_cara, case, cara, refuge):
    consent = sharing_consent_give(case=case, actor=cara, partner=refuge, **terms())
    make_referral(case, refuge, consent)
    page = client_cara.get(withdraw_url(consent))
    assert page.status_code == 200
    assert "Withdraw this consent to share?" in page.text
    assert "Nothing more is shared with Safe Homes" in page.text
    assert "1 referral made under this consent is revoked at once" in page.text
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    factories.assert_accessed(consent, AccessKind.VIEW, cara)


def test_withdrawing_revokes_the_open_referrals_made_under_it_at_once(
    client_cara, case, cara, agreed
):
    consent = sharing_consent_give(case=case, actor=cara, partner=agreed, **terms())
    other_consent = sharing_consent_give(
        case=case, actor=cara, partner=agreed, **terms(purpose=Purpose.SAFETY)
    )
    sent = make_referral(case, agreed, consent, Referral.Status.SENT)
    accepted = make_referral(case, agreed, consent, Referral.Status.ACCEPTED)
    waiting = make_referral(case, agreed, consent, Referral.Status.AWAITING_APPROVAL)
    draft = make_referral(case, agreed, consent, Referral.Status.DRAFT)
    completed = make_referral(case, agreed, consent, Referral.Status.COMPLETED)
    under_other = make_referral(case, agreed, other_consent, Referral.Status.SENT)
    pat = factories.partner_user(agreed)
    assert set(Referral.objects.visible_to(pat)) == {sent, accepted, under_other}

    response = client_cara.post(withdraw_url(consent), {"version": consent.version, "note": "x"})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_by == cara
    for referral in (sent, accepted, waiting, draft):
        referral.refresh_from_db()
        assert referral.status == Referral.Status.REVOKED, referral
        assert referral.revoked_because == Referral.RevokedBecause.CONSENT_WITHDRAWN
        assert referral.revoked_by == cara
    completed.refresh_from_db()
    under_other.refresh_from_db()
    assert completed.status == Referral.Status.COMPLETED  # over already: kept as the record
    assert under_other.status == Referral.Status.SENT
    # The partner's access ends with the consent.
    assert set(Referral.objects.visible_to(pat)) == {under_other}
    page = client_cara.get(response["Location"])
    assert "Consent withdrawn." in page.text
    assert "4 referrals made under it were revoked" in page.text


def test_a_withdrawal_is_all_or_nothing(case, cara, agreed, monkeypatch):
    consent = sharing_consent_give(case=case, actor=cara, partner=agreed, **terms())
    sent = make_referral(case, agreed, consent)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("referrals.services.referral_revoke", broken)
    with pytest.raises(RuntimeError):
        sharing_consent_withdraw(consent=consent, actor=cara, version=consent.version)
    consent.refresh_from_db()
    sent.refresh_from_db()
    assert consent.withdrawn_at is None and sent.status == Referral.Status.SENT


def test_withdrawing_from_a_stale_page_is_a_conflict(client, case, cara, north, refuge):
    consent = sharing_consent_give(case=case, actor=cara, partner=refuge, **terms())
    sharing_consent_withdraw(consent=consent, actor=cara, version=consent.version, note="First")
    with pytest.raises(EditConflict):
        sharing_consent_withdraw(consent=consent, actor=cara, version=consent.version)
    colleague = factories.caseworker(north, "Cleo")
    client.force_login(colleague)
    refused = client.post(withdraw_url(consent), {"version": 1, "note": "She asked us to stop"})
    assert refused.status_code == 409
    assert "Someone else withdrew this consent" in refused.text
    assert "She asked us to stop" in refused.text  # what they typed is not lost
    consent.refresh_from_db()
    assert consent.withdrawn_by == cara and consent.withdrawal_note == "First"


def test_a_consent_withdrawn_by_other_means_is_not_withdrawn_again(case, cara, refuge):
    consent = sharing_consent_give(case=case, actor=cara, partner=refuge, **terms())
    SharingConsent.objects.filter(pk=consent.pk).update(withdrawn_at=timezone.now())
    with pytest.raises(EditConflict):
        sharing_consent_withdraw(consent=consent, actor=cara, version=consent.version)


# --- The case file ---------------------------------------------------------------------------


def test_the_case_page_shows_the_consents_and_their_state(client_cara, case, cara, refuge):
    valid = sharing_consent_give(case=case, actor=cara, partner=refuge, **terms())
    withdrawn = sharing_consent_give(
        case=case, actor=cara, partner_kind=OrganisationKind.LEGAL_AID, **terms()
    )
    sharing_consent_withdraw(consent=withdrawn, actor=cara, version=withdrawn.version)
    expired = factories.make_sharing_consent(
        case, refuge, expires_on=TODAY() - datetime.timedelta(days=2)
    )
    legacy = SharingConsent.objects.create(
        case=case,
        method="verbal",
        recorded_by=cara,
        legacy_recipient="The law centre on Elm Street",
        legacy_purpose="Advice",
        authorises=False,
    )
    page = client_cara.get(f"/cases/{case.pk}/").text
    section = page[page.index('id="section-sharing_consents"') :]
    section = section[: section.index("</section>")]
    assert "Consents to share" in section
    assert "Safe Homes" in section and "Safe housing or a refuge place" in section
    assert "Identity, Contact details" in section or "Contact details, Identity" in section
    assert "any Legal aid partner" in section and "Withdrawn" in section
    assert "Expired" in section
    assert "The law centre on Elm Street" in section
    assert "Recorded before the partner directory: authorises nothing" in section
    assert f'href="/network/cases/{case.pk}/consents/add/"' in section
    for consent in (valid, expired, legacy):
        assert f'href="{withdraw_url(consent)}"' in section
    assert f'href="{withdraw_url(withdrawn)}"' not in section  # once is enough
    assert "Consent to share given" in page and "Consent to share withdrawn" in page


def test_the_person_sees_their_consents_a_partner_does_not(case, cara, refuge):
    sharing_consent_give(case=case, actor=cara, partner=refuge, **terms())
    file = casefile.build(case)
    for audience, shown in ((casefile.Audience.PERSON, True), (casefile.Audience.PARTNER, False)):
        part = file.for_audience(audience)
        assert ("sharing_consents" in [s.key for s in part.sections]) is shown
        kinds = {t.kind for t in part.timeline}
        assert ("sharing_consent" in kinds) is shown


def test_the_section_is_one_query_whatever_the_number_of_consents(
    case, cara, refuge, django_assert_num_queries
):
    sharing_consent_give(case=case, actor=cara, partner=refuge, **terms())
    with django_assert_num_queries(1):
        referrals_casefile.contribute_consents(case)
    for _ in range(5):
        consent = sharing_consent_give(case=case, actor=cara, partner=refuge, **terms())
        sharing_consent_withdraw(consent=consent, actor=cara, version=consent.version)
    with django_assert_num_queries(1):
        sections, timeline = referrals_casefile.contribute_consents(case)
    assert len(sections[0].data["sharing_consents"]) == 6 and len(timeline) == 11


# --- Carried over from the free-text days ------------------------------------------------


def test_the_migration_carries_a_matched_and_an_unmatched_consent_over(case, cara, refuge):
    executor = MigrationExecutor(connection)
    state = executor.loader.project_state([("referrals", "0001_initial"), ("cases", "0015_labels")])
    old_apps = state.apps
    OldConsent = old_apps.get_model("cases", "Consent")
    common = {
        "case_id": case.pk,
        "kind": "sharing",
        "method": "written",
        "recorded_by_id": cara.pk,
        "notice_id": ConfidentialityNotice.objects.get().pk,
        "expires_on": TODAY() + IN_SIX_MONTHS,
    }
    matched = OldConsent.objects.create(
        recipient="Safe Homes",
        purpose="Safe housing or a refuge place.",
        data_categories=["identity", "contact"],
        **common,
    )
    unmatched = OldConsent.objects.create(
        recipient="safe homes ltd",
        purpose="Advice on a protection order",
        data_categories=["identity"],
        **common,
    )
    migration = importlib.import_module("referrals.migrations.0002_consents_carried_over")
    migration.carry_over(old_apps, None)

    assert not Consent.objects.filter(pk__in=[matched.pk, unmatched.pk]).exists()
    carried = {c.legacy_recipient: c for c in case.sharing_consents.all()}
    good, kept = carried["Safe Homes"], carried["safe homes ltd"]
    assert good.partner == refuge and good.purpose == Purpose.HOUSING and good.authorises
    assert good.categories == ["identity", "contact_details"]
    assert good.method == "written" and good.expires_on == common["expires_on"]
    assert kept.partner is None and kept.purpose == "" and not kept.authorises
    assert kept.legacy_purpose == "Advice on a protection order"  # still readable
    assert kept.categories == ["identity"]
    factories.make_agreement(refuge)
    assert sharing_check(
        case=case, partner=refuge, purpose=Purpose.HOUSING, categories=["identity"]
    ).allowed
    assert not sharing_check(
        case=case, partner=refuge, purpose=Purpose.LEGAL, categories=["identity"]
    ).allowed


# --- sharing_check: one test per rule of the consent ------------------------------------------


def check(case, partner, purpose=Purpose.HOUSING, categories=("identity",)):
    return sharing_check(case=case, partner=partner, purpose=purpose, categories=categories)


def test_a_valid_consent_allows(case, cara, agreed):
    consent = sharing_consent_give(case=case, actor=cara, partner=agreed, **terms())
    decision = check(case, agreed, categories=("identity", "contact_details"))
    assert decision.allowed and decision.consent == consent and decision.missing == []


def test_no_consent_refuses(case, agreed):
    decision = check(case, agreed)
    assert not decision.allowed and "has not given consent" in str(decision.missing[0])


def test_a_withdrawn_consent_refuses(case, cara, agreed):
    consent = sharing_consent_give(case=case, actor=cara, partner=agreed, **terms())
    sharing_consent_withdraw(consent=consent, actor=cara, version=consent.version)
    decision = check(case, agreed)
    assert not decision.allowed and decision.consent is None


def test_an_expired_consent_refuses(case, agreed):
    factories.make_sharing_consent(
        case, agreed, purpose=Purpose.HOUSING, expires_on=TODAY() - datetime.timedelta(days=1)
    )
    assert not check(case, agreed).allowed


def test_a_consent_ending_today_still_allows(case, agreed):
    factories.make_sharing_consent(case, agreed, purpose=Purpose.HOUSING, expires_on=TODAY())
    assert check(case, agreed).allowed


def test_a_consent_for_another_purpose_refuses(case, cara, agreed):
    sharing_consent_give(case=case, actor=cara, partner=agreed, **terms(purpose=Purpose.LEGAL))
    assert not check(case, agreed, purpose=Purpose.HOUSING).allowed


def test_a_category_the_consent_does_not_cover_refuses(case, cara, agreed):
    sharing_consent_give(case=case, actor=cara, partner=agreed, **terms(categories=["identity"]))
    decision = check(case, agreed, categories=("identity", "risk"))
    assert not decision.allowed
    assert "does not cover: Risk" in str(decision.missing[0])


def test_a_consent_for_another_partner_refuses(case, cara, agreed):
    elsewhere = factories.make_partner("Another Refuge", kind=OrganisationKind.REFUGE)
    sharing_consent_give(case=case, actor=cara, partner=elsewhere, **terms())
    assert not check(case, agreed).allowed


def test_a_consent_by_kind_allows_a_partner_of_that_kind(case, cara, agreed):
    sharing_consent_give(case=case, actor=cara, partner_kind=OrganisationKind.REFUGE, **terms())
    assert check(case, agreed).allowed


def test_a_consent_by_kind_refuses_a_partner_of_another_kind(case, cara):
    police = factories.make_partner("City Police", kind=OrganisationKind.POLICE)
    factories.make_agreement(police)
    sharing_consent_give(case=case, actor=cara, partner_kind=OrganisationKind.REFUGE, **terms())
    assert not check(case, police).allowed


def test_a_legacy_consent_refuses(case, cara, agreed):
    # Carried over with its partner matched but its purpose in other words: kept readable,
    # authorising nothing (the check cannot hold it against a referral).
    SharingConsent.objects.create(
        case=case,
        partner=agreed,
        purpose=Purpose.HOUSING,
        categories=["identity"],
        method="verbal",
        recorded_by=cara,
        legacy_recipient="Safe Homes",
        legacy_purpose="a place to stay",
        authorises=False,
        expires_on=TODAY() + IN_SIX_MONTHS,
    )
    assert not check(case, agreed).allowed


def test_a_consent_of_another_case_refuses(case, cara, agreed):
    other = factories.make_full_case(cara)
    sharing_consent_give(case=other, actor=cara, partner=agreed, **terms())
    assert not check(case, agreed).allowed


def test_consent_asked_for_by_a_refused_referral_starts_from_it_and_goes_back(
    client_cara, case, cara, agreed
):
    referral = Referral.objects.create(
        case=case,
        partner=agreed,
        purpose=Purpose.HOUSING,
        message="A refuge place",
        categories=["identity", "needs"],
        created_by=cara,
    )
    url = f"{give_url(case)}?for={referral.pk}"
    page = client_cara.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["partner"] == agreed.pk and form.initial["purpose"] == Purpose.HOUSING
    assert form.initial["categories"] == ["identity", "needs"]
    response = client_cara.post(
        url, form_data(partner=agreed.pk, purpose=Purpose.HOUSING, categories=["identity", "needs"])
    )
    assert response.status_code == 302
    assert response["Location"] == f"/network/cases/{case.pk}/referrals/{referral.pk}/"
    # A referral of another case, or no referral at all, is as if none were named.
    other = client_cara.get(f"{give_url(case)}?for=not-a-referral")
    assert other.status_code == 200 and "partner" not in other.context["form"].initial
