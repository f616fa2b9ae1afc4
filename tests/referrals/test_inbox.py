"""The partner's inbox: Pat works at the refuge a North case was referred to; Quinn works at
another partner; Cara is the North caseworker who sent it."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals import partner_views, services
from referrals.models import INBOX_RANK, Referral
from tests import factories
from victimsupport.access import Role
from victimsupport.audit.models import AuditEntry
from victimsupport.audit.services import AccessKind
from victimsupport.concurrency import EditConflict

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.MFA_ENFORCE = False


@pytest.fixture
def refuge():
    return factories.make_partner("Safe Haven Refuge")


@pytest.fixture
def pat(refuge):
    return factories.partner_user(refuge, "Pat")


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara)


@pytest.fixture
def referral(case, refuge, cara):
    return factories.sent_referral(case, refuge, by=cara)


RECEIVED_LINK = re.compile(r'href="/network/inbox/[0-9a-f-]{36}/"')


def received_links(response) -> int:
    return len(RECEIVED_LINK.findall(response.text))


def page(referral, action: str = "") -> str:
    return f"/network/inbox/{referral.pk}/{action + '/' if action else ''}"


def test_the_inbox_lists_open_referrals_without_case_content(client, pat, referral, case):
    factories.sent_referral(case, referral.partner, status=Referral.Status.ACCEPTED)
    closed = factories.sent_referral(case, referral.partner, status=Referral.Status.REVOKED)
    client.force_login(pat)
    response = client.get("/network/inbox/")
    assert response.status_code == 200
    assert received_links(response) == 2
    assert str(closed.pk) not in response.text
    assert "Safe or a refuge place" not in response.text  # not a purpose label either
    assert "Safe housing or a refuge place" in response.text
    for secret in (case.reference, str(case.pk), case.victim.given_name, "Needs a refuge place"):
        assert secret not in response.text
    assert "Please call her" not in response.text


def test_the_inbox_costs_the_same_queries_however_many_referrals(client, pat, referral, case):
    client.force_login(pat)
    client.get("/network/inbox/")
    with CaptureQueriesContext(connection) as one:
        client.get("/network/inbox/")
    for _ in range(5):
        factories.sent_referral(case, referral.partner)
    with CaptureQueriesContext(connection) as six:
        response = client.get("/network/inbox/")
    assert received_links(response) == 6
    assert len(six.captured_queries) == len(one.captured_queries)


def test_the_received_page_shows_the_package_as_sent_and_records_the_view(client, pat, referral):
    client.force_login(pat)
    since = factories.audit_mark()
    response = client.get(page(referral))
    assert response.status_code == 200
    # The stored HTML as it was sent, not escaped a second time.
    assert factories.PACKAGE_HTML in response.text
    assert referral.case.reference not in response.text
    factories.assert_accessed(referral, AccessKind.VIEW, pat, since=since, **{"as": "partner"})
    assert "no-store" in response.get("Cache-Control", "") or "max-age=0" in response.get(
        "Cache-Control", ""
    )


def test_accepting_then_recording_the_outcome_closes_the_referral(client, pat, referral):
    client.force_login(pat)
    since = factories.audit_mark()
    response = client.post(page(referral, "accept"), {"version": referral.version})
    assert response.status_code == 302 and response["Location"] == page(referral)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert referral.answered_by == pat and referral.answered_at is not None
    factories.assert_changed(referral, AuditEntry.Action.UPDATE, pat, since=since)
    assert "Record the outcome" in client.get(page(referral)).text

    response = client.post(
        page(referral, "outcome"), {"version": referral.version, "outcome": "Housed safely"}
    )
    assert response.status_code == 302 and response["Location"] == "/network/inbox/"
    referral.refresh_from_db()
    assert referral.status == Referral.Status.COMPLETED
    assert referral.outcome == "Housed safely" and referral.completed_at is not None
    # Closed: the package is no longer theirs to see.
    assert client.get(page(referral)).status_code == 404


def test_declining_needs_a_reason_and_keeps_nothing_open(client, pat, referral):
    client.force_login(pat)
    refused = client.post(page(referral, "decline"), {"version": referral.version, "reason": " "})
    assert refused.status_code == 400
    assert "Say why you cannot take this referral on." in refused.text
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT

    response = client.post(
        page(referral, "decline"), {"version": referral.version, "reason": "No room this month"}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECLINED
    assert referral.decline_reason == "No room this month" and referral.answered_by == pat
    assert client.get(page(referral)).status_code == 404


def test_a_refused_outcome_is_shown_again_with_what_was_typed(client, pat, referral):
    referral = services.referral_accept(referral=referral, actor=pat, version=referral.version)
    client.force_login(pat)
    too_long = "x" * 10_001
    response = client.post(
        page(referral, "outcome"), {"version": referral.version, "outcome": too_long}
    )
    assert response.status_code == 400
    assert too_long in response.text


def test_two_colleagues_answering_at_once_one_is_told(client, pat, referral, refuge):
    colleague = factories.partner_user(refuge, "Robin")
    version = referral.version
    services.referral_accept(referral=referral, actor=colleague, version=version)
    client.force_login(pat)
    response = client.post(page(referral, "decline"), {"version": version, "reason": "Full"})
    assert response.status_code == 409
    assert "Someone else at your organisation answered" in response.text
    assert "Full" in response.text
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED and referral.answered_by == colleague


def test_a_referral_revoked_while_reading_is_not_answered(client, pat, referral, cara):
    version = referral.version
    services.referral_revoke(referral=referral, actor=cara, because="by_staff")
    client.force_login(pat)
    response = client.post(page(referral, "accept"), {"version": version})
    assert response.status_code == 404
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REVOKED and referral.answered_by is None


@pytest.mark.parametrize(
    ("status", "service", "extra"),
    [
        ("accepted", "referral_accept", {}),
        ("accepted", "referral_decline", {"reason": "Full"}),
        ("sent", "referral_complete", {"outcome": "Done"}),
    ],
)
def test_answers_only_from_the_right_state(pat, referral, status, service, extra):
    Referral.objects.filter(pk=referral.pk).update(status=status)
    referral.refresh_from_db()
    with pytest.raises(EditConflict):
        getattr(services, service)(referral=referral, actor=pat, version=referral.version, **extra)
    referral.refresh_from_db()
    assert referral.status == status


def test_only_a_member_of_the_partner_may_answer(referral, cara):
    quinn = factories.partner_user(factories.make_partner("Other"), "Quinn")
    for actor in (quinn, cara):
        with pytest.raises(services.PermissionDenied):
            services.referral_accept(referral=referral, actor=actor, version=referral.version)


def test_a_partner_user_of_another_organisation_gets_404_on_every_referral_page(client, referral):
    quinn = factories.partner_user(factories.make_partner("Other"), "Quinn")
    client.force_login(quinn)
    assert str(referral.pk) not in client.get("/network/inbox/").text
    assert client.get(page(referral)).status_code == 404
    for action in ("accept", "decline", "outcome"):
        data = {"version": referral.version, "reason": "x", "outcome": "x"}
        assert client.post(page(referral, action), data).status_code == 404
    case_pk = referral.case_id
    pdf = f"/network/cases/{case_pk}/referrals/{referral.pk}/pdf/"
    assert client.get(pdf).status_code == 404 and client.post(pdf).status_code == 404
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT


@pytest.mark.parametrize(
    "status", ["revoked", "declined", "completed", "draft", "awaiting_approval"]
)
def test_their_own_referral_is_gone_once_it_is_not_open(client, pat, referral, status):
    Referral.objects.filter(pk=referral.pk).update(status=status)
    client.force_login(pat)
    assert client.get(page(referral)).status_code == 404
    for action in ("accept", "decline", "outcome"):
        data = {"version": referral.version, "reason": "x", "outcome": "x"}
        assert client.post(page(referral, action), data).status_code == 404
    assert str(referral.pk) not in client.get("/network/inbox/").text


def test_a_deactivated_partner_user_reaches_nothing(client, pat, referral):
    pat.is_active = False
    pat.save(update_fields=["is_active"])
    client.force_login(pat)
    assert client.get(page(referral)).status_code in (302, 404)


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.PARTNER])
def test_every_other_role_gets_404_on_the_inbox(client, referral, role, north, cara):
    user = cara if role == Role.CASEWORKER else factories.make_user("U", role=role, teams=(north,))
    client.force_login(user)
    assert client.get("/network/inbox/").status_code == 404
    assert client.get(page(referral)).status_code == 404
    assert client.post(page(referral, "accept"), {"version": 1}).status_code == 404


def test_the_inbox_shows_a_page_at_a_time(client, pat, referral, case):
    for _ in range(partner_views.INBOX_PAGE_SIZE):
        factories.sent_referral(case, referral.partner)
    client.force_login(pat)
    first = client.get("/network/inbox/")
    assert received_links(first) == partner_views.INBOX_PAGE_SIZE
    assert "Page 1" in first.text
    assert received_links(client.get("/network/inbox/" + first.context["page"].next_url)) == 1


@pytest.mark.parametrize("lapse", ["consent_expired", "consent_withdrawn", "agreement_ended"])
def test_the_partner_cannot_open_a_referral_whose_grounds_have_lapsed(
    client, pat, referral, lapse, cara
):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    if lapse == "consent_expired":
        type(referral.consent).objects.filter(pk=referral.consent_id).update(expires_on=yesterday)
    elif lapse == "consent_withdrawn":
        type(referral.consent).objects.filter(pk=referral.consent_id).update(
            withdrawn_at=timezone.now()
        )
    else:
        type(referral.agreement).objects.filter(pk=referral.agreement_id).update(
            valid_from=yesterday - datetime.timedelta(days=30), valid_to=yesterday
        )
    client.force_login(pat)
    assert client.get(page(referral)).status_code == 404
    assert received_links(client.get("/network/inbox/")) == 0
    # The staff page says the partner can no longer open it.
    client.force_login(cara)
    staff = client.get(f"/network/cases/{referral.case_id}/referrals/{referral.pk}/")
    assert "The partner can no longer open this referral" in staff.text


def test_the_inbox_puts_what_waits_first_most_urgent_and_oldest_first(client, pat, referral, case):
    now = referral.sent_at
    Referral.objects.filter(pk=referral.pk).update(urgency="routine", sent_at=now)

    def sent(status, urgency, days_ago):
        return factories.sent_referral(
            case,
            referral.partner,
            status=status,
            urgency=urgency,
            sent_at=now - datetime.timedelta(days=days_ago),
        )

    accepted_old = sent(Referral.Status.ACCEPTED, "urgent", 30)
    routine_old = sent(Referral.Status.SENT, "routine", 9)
    urgent_new = sent(Referral.Status.SENT, "urgent", 1)
    soon = sent(Referral.Status.SENT, "soon", 2)
    urgent_old = sent(Referral.Status.SENT, "urgent", 4)
    accepted_new = sent(Referral.Status.ACCEPTED, "routine", 3)
    expected = [urgent_old, urgent_new, soon, routine_old, referral, accepted_old, accepted_new]
    client.force_login(pat)
    response = client.get("/network/inbox/")
    assert [r.pk for r in response.context["referrals"]] == [r.pk for r in expected]
    # The order holds across pages: it is the database's.
    found = list(Referral.objects.visible_to(pat).order_by(INBOX_RANK, "sent_at", "pk"))
    assert found == expected
