"""Referring a case, the staff side: every rule that stops a send, through the service and
through the page; legal overrides; who may see and decide; the audit of it all.

Cara is a caseworker in North, Colin another; Sofia supervises North; Sven supervises South.
Harbour Refuge has an agreement covering everything shareable, and the person gave consent to
share with it for safety planning.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from referrals import services
from referrals.models import Agreement, Purpose, Referral, SharingConsent
from tests import factories
from victimsupport.audit.models import AuditEntry
from victimsupport.audit.services import AccessKind

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)
CATEGORIES = ["identity", "needs", "safety"]
REASON = "He has said he will kill her tonight; the police must know where she is."


@pytest.fixture
def sofia(north):
    return factories.supervisor(north, "Sofia")


@pytest.fixture
def colin(north):
    return factories.caseworker(north, "Colin")


@pytest.fixture
def sven():
    return factories.supervisor(factories.make_team("South"), "Sven")


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara)


@pytest.fixture
def partner():
    return factories.make_partner("Harbour Refuge")


@pytest.fixture
def agreement(partner):
    return factories.make_agreement(partner)


@pytest.fixture
def consent(case, partner, cara):
    return factories.make_sharing_consent(case, partner, purpose=Purpose.SAFETY, recorded_by=cara)


@pytest.fixture
def referral(case, cara, partner, agreement, consent):
    return services.referral_draft(
        case=case,
        actor=cara,
        partner=partner,
        purpose=Purpose.SAFETY,
        urgency="soon",
        message="She needs a safe place this week.",
        categories=CATEGORIES,
    )


def _url(name: str, referral: Referral) -> str:
    return reverse(f"referrals:{name}", args=[referral.case_id, referral.pk])


# --- The rules that stop a send ----------------------------------------------------------------


def _no_agreement(r):
    Agreement.objects.filter(partner=r.partner).delete()


def _agreement_expired(r):
    Agreement.objects.filter(partner=r.partner).update(
        valid_from=TODAY() - 400 * DAY, valid_to=TODAY() - DAY
    )


def _agreement_valid_in_the_future_only(r):
    Agreement.objects.filter(partner=r.partner).update(
        valid_from=TODAY() + DAY, valid_to=TODAY() + 400 * DAY
    )


def _agreement_not_covering_the_purpose(r):
    Agreement.objects.filter(partner=r.partner).update(purposes=[Purpose.HOUSING])


def _agreement_missing_a_category(r):
    Agreement.objects.filter(partner=r.partner).update(categories=["identity", "safety"])


def _no_consent(r):
    SharingConsent.objects.filter(case=r.case).delete()


def _consent_withdrawn(r):
    SharingConsent.objects.filter(case=r.case).update(withdrawn_at=timezone.now())


def _consent_expired(r):
    SharingConsent.objects.filter(case=r.case).update(expires_on=TODAY() - DAY)


def _consent_for_another_partner(r):
    SharingConsent.objects.filter(case=r.case).update(partner=factories.make_partner("Other"))


def _consent_for_another_purpose(r):
    SharingConsent.objects.filter(case=r.case).update(purpose=Purpose.HOUSING)


def _consent_missing_a_category(r):
    SharingConsent.objects.filter(case=r.case).update(categories=["identity", "safety"])


def _partner_inactive(r):
    type(r.partner).objects.filter(pk=r.partner_id).update(is_active=False)


def _internal_notes_asked_for(r):
    # Only a tampered request could ask (the form offers no such choice): still refused.
    Referral.objects.filter(pk=r.pk).update(categories=[*CATEGORIES, "internal"])


RULES: dict[str, tuple[Callable, str]] = {
    "no_agreement": (_no_agreement, "There is no network agreement"),
    "agreement_expired": (_agreement_expired, "is not valid today"),
    "agreement_valid_in_the_future_only": (_agreement_valid_in_the_future_only, "not valid today"),
    "agreement_not_covering_the_purpose": (
        _agreement_not_covering_the_purpose,
        "does not cover this purpose",
    ),
    "agreement_missing_a_category": (_agreement_missing_a_category, "does not cover: Needs"),
    "no_consent": (_no_consent, "has not given consent"),
    "consent_withdrawn": (_consent_withdrawn, "has not given consent"),
    "consent_expired": (_consent_expired, "has not given consent"),
    "consent_for_another_partner": (_consent_for_another_partner, "has not given consent"),
    "consent_for_another_purpose": (_consent_for_another_purpose, "has not given consent"),
    "consent_missing_a_category": (_consent_missing_a_category, "consent to share with"),
    "partner_inactive": (_partner_inactive, "no longer an active partner"),
    "internal_notes_never_sent": (_internal_notes_asked_for, "never sent to a partner"),
}


def _assert_nothing_sent(referral: Referral, since: int) -> None:
    saved = Referral.objects.get(pk=referral.pk)
    assert saved.status == Referral.Status.DRAFT
    assert saved.version == referral.version
    assert (saved.package, saved.sent_at, saved.consent_id, saved.agreement_id) == (
        "",
        None,
        None,
        None,
    )
    entries = AuditEntry.objects.get_for_object(saved).filter(seq__gt=since)
    assert not entries.exclude(action=AuditEntry.Action.ACCESS).exists()  # no change at all
    assert not entries.filter(additional_data__access=AccessKind.EXPORT).exists()


@pytest.mark.parametrize("rule", RULES)
def test_the_rule_stops_the_send_in_the_service(rule, referral, cara):
    breaks, says = RULES[rule]
    breaks(referral)
    referral = Referral.objects.select_related("case", "partner").get(pk=referral.pk)
    since = factories.audit_mark()
    with pytest.raises(services.SharingRefused) as refused:
        services.referral_send(referral=referral, actor=cara, version=referral.version)
    assert any(says in str(m) for m in refused.value.decision.missing), refused.value.messages
    _assert_nothing_sent(referral, since)
    factories.assert_accessed(
        referral, AccessKind.EXPORT_REFUSED, cara, since=since, partner=referral.partner_id
    )


@pytest.mark.parametrize("rule", RULES)
def test_the_rule_stops_the_send_through_the_page(rule, client, referral, cara):
    breaks, says = RULES[rule]
    breaks(referral)
    referral.refresh_from_db()
    client.force_login(cara)
    since = factories.audit_mark()
    response = client.post(_url("referral_send", referral), {"version": referral.version})
    assert response.status_code == 400
    assert says in response.content.decode().replace("&#x27;", "'")
    assert "Nothing was sent" in response.content.decode()
    _assert_nothing_sent(referral, since)


def test_a_page_cannot_ask_for_internal_notes(client, case, cara, partner, agreement, consent):
    client.force_login(cara)
    response = client.post(
        reverse("referrals:referral_new", args=[case.pk]),
        {
            "partner": partner.pk,
            "purpose": Purpose.SAFETY,
            "urgency": "routine",
            "message": "Typed and kept",
            "categories": ["internal", "needs"],
        },
    )
    assert response.status_code == 400
    assert "Typed and kept" in response.content.decode()
    assert not Referral.objects.exists()


def test_an_allowed_send_goes_and_is_audited(client, referral, cara, consent, agreement):
    client.force_login(cara)
    since = factories.audit_mark()
    response = client.post(_url("referral_send", referral), {"version": referral.version})
    assert response.status_code == 302
    sent = Referral.objects.get(pk=referral.pk)
    assert sent.status == Referral.Status.SENT
    assert (sent.sent_by, sent.consent, sent.agreement) == (cara, consent, agreement)
    assert sent.sent_at is not None and "She needs a safe place" in sent.package
    factories.assert_accessed(
        sent,
        AccessKind.EXPORT,
        cara,
        since=since,
        partner=sent.partner_id,
        consent=consent.pk,
        agreement=agreement.pk,
        override=False,
    )
    factories.assert_changed(sent, actor=cara, since=since)


def test_a_referral_is_sent_once(referral, cara):
    sent = services.referral_send(referral=referral, actor=cara, version=referral.version)
    with pytest.raises(ValidationError):
        services.referral_send(referral=sent, actor=cara, version=sent.version)


def test_a_stale_page_does_not_send(client, referral, cara):
    services.referral_update(
        referral=referral, actor=cara, version=referral.version, message="Changed meanwhile"
    )
    client.force_login(cara)
    response = client.post(_url("referral_send", referral), {"version": referral.version})
    assert response.status_code == 409
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.DRAFT


# --- Drafting ----------------------------------------------------------------------------------


def test_a_draft_is_saved_and_previewed(client, case, cara, partner):
    client.force_login(cara)
    response = client.post(
        reverse("referrals:referral_new", args=[case.pk]),
        {
            "partner": partner.pk,
            "purpose": Purpose.SAFETY,
            "urgency": "urgent",
            "message": "Hello refuge",
            "categories": ["needs", "safety"],
        },
    )
    referral = Referral.objects.get()
    assert response.status_code == 302 and response.url == _url("referral", referral)
    assert (referral.status, referral.categories) == ("draft", ["needs", "safety"])
    page = client.get(response.url)
    assert "Preview" in page.content.decode() and "Hello refuge" in page.content.decode()
    factories.assert_accessed(referral, AccessKind.VIEW, cara)


def test_an_inactive_partner_is_not_offered(client, case, cara):
    factories.make_partner("Closed Shelter", is_active=False)
    client.force_login(cara)
    page = client.get(reverse("referrals:referral_new", args=[case.pk]))
    assert page.status_code == 200 and "Closed Shelter" not in page.content.decode()


def test_a_draft_is_edited_but_a_sent_one_is_not(client, referral, cara):
    client.force_login(cara)
    data = {
        "partner": referral.partner_id,
        "purpose": Purpose.SAFETY,
        "urgency": "routine",
        "message": "Edited message",
        "categories": ["safety"],
        "version": referral.version,
    }
    assert client.post(_url("referral_edit", referral), data).status_code == 302
    edited = Referral.objects.get(pk=referral.pk)
    assert (edited.message, edited.categories) == ("Edited message", ["safety"])
    sent = services.referral_send(referral=edited, actor=cara, version=edited.version)
    with pytest.raises(ValidationError):
        services.referral_update(referral=sent, actor=cara, version=sent.version, message="x")


# --- Legal overrides ---------------------------------------------------------------------------


def _ask_override(referral, actor):
    return services.referral_override_request(
        referral=referral,
        actor=actor,
        ground="danger_to_life",
        reason=REASON,
        version=referral.version,
    )


def test_an_override_needs_a_written_reason(referral, cara):
    with pytest.raises(ValidationError):
        services.referral_override_request(
            referral=referral, actor=cara, ground="danger_to_life", reason="Urgent", version=1
        )
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.DRAFT


def test_an_override_not_yet_approved_does_not_send(client, referral, cara, consent):
    consent.delete()
    waiting = _ask_override(referral, cara)
    with pytest.raises(ValidationError):
        services.referral_send(referral=waiting, actor=cara, version=waiting.version)
    client.force_login(cara)
    response = client.post(_url("referral_send", waiting), {"version": waiting.version})
    assert response.status_code == 400
    saved = Referral.objects.get(pk=referral.pk)
    assert saved.status == Referral.Status.AWAITING_APPROVAL and saved.sent_at is None
    # Nor does one that a supervisor refused: it is a draft again, with no consent.
    assert _refused_override_leaves_a_draft_that_needs_consent(saved, cara)


def _refused_override_leaves_a_draft_that_needs_consent(referral, cara):
    sofia = factories.supervisor(factories.make_team("North"), "Sofia2")
    refused = services.referral_override_decide(
        referral=referral,
        actor=sofia,
        approve=False,
        version=referral.version,
        note="Ask her first; she is reachable.",
    )
    assert refused.status == Referral.Status.DRAFT and refused.override_approved is False
    with pytest.raises(services.SharingRefused):
        services.referral_send(referral=refused, actor=cara, version=refused.version)
    return True


def test_a_caseworker_cannot_approve_their_own_override(client, referral, cara, consent):
    consent.delete()
    waiting = _ask_override(referral, cara)
    with pytest.raises(PermissionDenied):
        services.referral_override_decide(
            referral=waiting, actor=cara, approve=True, version=waiting.version
        )
    client.force_login(cara)
    response = client.post(
        _url("referral_decide", waiting), {"decision": "approve", "version": waiting.version}
    )
    assert response.status_code == 403
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.AWAITING_APPROVAL


def test_a_supervisor_cannot_approve_an_override_they_asked_for(case, sofia, partner, agreement):
    draft = services.referral_draft(
        case=case,
        actor=sofia,
        partner=partner,
        purpose=Purpose.SAFETY,
        urgency="urgent",
        message="Now",
        categories=["safety"],
    )
    waiting = _ask_override(draft, sofia)
    with pytest.raises(PermissionDenied):
        services.referral_override_decide(
            referral=waiting, actor=sofia, approve=True, version=waiting.version
        )


def test_a_caseworker_is_not_a_supervisor(client, referral, cara, colin, consent):
    consent.delete()
    waiting = _ask_override(referral, cara)
    with pytest.raises(PermissionDenied):
        services.referral_override_decide(
            referral=waiting, actor=colin, approve=True, version=waiting.version
        )
    client.force_login(colin)
    assert (
        client.post(
            _url("referral_decide", waiting), {"decision": "approve", "version": waiting.version}
        ).status_code
        == 403
    )
    assert "Record the decision" not in client.get(_url("referral", waiting)).content.decode()


def test_a_supervisor_of_another_team_cannot_see_it(client, referral, cara, sven, consent):
    waiting = _ask_override(referral, cara)
    client.force_login(sven)
    for name in ("referral", "referral_edit", "referral_override", "referral_revoke"):
        assert client.get(_url(name, waiting)).status_code == 404, name
    for name in ("referral_send", "referral_decide"):
        assert (
            client.post(
                _url(name, waiting), {"decision": "approve", "version": waiting.version}
            ).status_code
            == 404
        ), name
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.AWAITING_APPROVAL


def test_an_approved_override_sends_without_consent(
    client, referral, cara, sofia, consent, agreement
):
    consent.delete()
    waiting = _ask_override(referral, cara)
    client.force_login(sofia)
    page = client.get(_url("referral", waiting))
    assert "Record the decision" in page.content.decode()
    since = factories.audit_mark()
    response = client.post(
        _url("referral_decide", waiting),
        {"decision": "approve", "note": "", "version": waiting.version},
    )
    assert response.status_code == 302
    sent = Referral.objects.get(pk=referral.pk)
    assert sent.status == Referral.Status.SENT
    assert (sent.override_approved, sent.override_decided_by, sent.consent) == (True, sofia, None)
    assert sent.agreement == agreement and sent.package
    factories.assert_accessed(sent, AccessKind.EXPORT, sofia, since=since, override=True)


def test_an_approved_override_still_needs_the_agreement(
    client, referral, cara, sofia, consent, agreement
):
    consent.delete()
    agreement.delete()
    waiting = _ask_override(referral, cara)
    with pytest.raises(services.SharingRefused) as refused:
        services.referral_override_decide(
            referral=waiting, actor=sofia, approve=True, version=waiting.version
        )
    assert any("no network agreement" in str(m) for m in refused.value.decision.missing)
    saved = Referral.objects.get(pk=referral.pk)
    assert saved.status == Referral.Status.AWAITING_APPROVAL and saved.override_approved is None
    client.force_login(sofia)
    response = client.post(
        _url("referral_decide", waiting), {"decision": "approve", "version": waiting.version}
    )
    assert response.status_code == 400 and "no network agreement" in response.content.decode()


def test_a_refusal_needs_a_note_for_the_caseworker(client, referral, cara, sofia):
    waiting = _ask_override(referral, cara)
    client.force_login(sofia)
    response = client.post(
        _url("referral_decide", waiting),
        {"decision": "refuse", "note": "", "version": waiting.version},
    )
    assert response.status_code == 400
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.AWAITING_APPROVAL


# --- Revoking, the case file, the page's cost --------------------------------------------------


def test_staff_revoke_a_sent_referral(client, referral, cara):
    sent = services.referral_send(referral=referral, actor=cara, version=referral.version)
    client.force_login(cara)
    assert client.get(_url("referral_revoke", sent)).status_code == 200
    assert client.post(_url("referral_revoke", sent)).status_code == 302
    revoked = Referral.objects.get(pk=sent.pk)
    assert (revoked.status, revoked.revoked_because, revoked.revoked_by) == (
        "revoked",
        "by_staff",
        cara,
    )


def test_the_case_page_lists_referrals_and_offers_to_refer(client, referral, cara, case):
    services.referral_send(referral=referral, actor=cara, version=referral.version)
    client.force_login(cara)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="section-referrals"' in page and "Harbour Refuge" in page
    assert reverse("referrals:referral_new", args=[case.pk]) in page
    assert "Referral sent" in page  # the timeline entry


def test_the_referral_page_costs_the_same_whatever_the_file_holds(client, referral, cara, case):
    client.force_login(cara)
    url = _url("referral", referral)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(4):
        case_services.note_add(case=case, actor=cara, body=f"Note {n}")
        services.referral_draft(
            case=case,
            actor=cara,
            partner=referral.partner,
            purpose=Purpose.HOUSING,
            urgency="routine",
            message=f"Another {n}",
            categories=["safety"],
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_a_supervisor_cannot_approve_an_override_they_asked_for_on_a_colleagues_draft(
    client, referral, cara, sofia, consent
):
    # Cara drafted it; Sofia, who sees the case, asks for the override herself: another
    # supervisor must decide, never the one who asked.
    SharingConsent.objects.filter(pk=consent.pk).delete()
    waiting = services.referral_override_request(
        referral=referral,
        actor=sofia,
        ground="danger_to_life",
        reason="He has said he will come to the refuge tonight with a weapon.",
        version=referral.version,
    )
    assert waiting.override_requested_by == sofia
    with pytest.raises(PermissionDenied):
        services.referral_override_decide(
            referral=waiting, actor=sofia, approve=True, version=waiting.version
        )
    client.force_login(sofia)
    page = client.get(_url("referral", waiting))
    assert "Approve and send now" not in page.text
    forged = client.post(
        _url("referral_decide", waiting), {"decision": "approve", "version": waiting.version}
    )
    assert forged.status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == Referral.Status.AWAITING_APPROVAL


def test_a_decision_is_on_the_request_as_read(client, referral, cara, consent):
    SharingConsent.objects.filter(pk=consent.pk).delete()
    waiting = _ask_override(referral, cara)
    other = factories.supervisor(factories.make_team("North"), "Sonja")
    client.force_login(other)
    stale = waiting.version
    # Meanwhile the request is refused and asked again (perhaps for more of the file).
    again = services.referral_override_decide(
        referral=waiting, actor=other, approve=False, version=stale, note="Ask her first."
    )
    again = _ask_override(again, cara)
    response = client.post(
        _url("referral_decide", again), {"decision": "approve", "version": stale}
    )
    assert response.status_code == 409
    again.refresh_from_db()
    assert again.status == Referral.Status.AWAITING_APPROVAL
