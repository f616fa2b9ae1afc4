"""The supervisor's network dashboard: agreements ending and expired, partners not met in a
year, overrides waiting, and the figures of the teams' referrals. Sofia supervises North, Cara
works in North, Sam in South, Ada administers."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from referrals import selectors
from referrals.models import Agreement, Meeting, Purpose, Referral
from tests import factories
from victimsupport.access import Role

pytestmark = pytest.mark.django_db
S = Referral.Status
URL = "/network/"


@pytest.fixture
def world(north, settings):
    settings.MFA_ENFORCE = False
    south = factories.make_team("South")
    w = {
        "north": north,
        "south": south,
        "cara": factories.caseworker(north, "Cara"),
        "sofia": factories.supervisor(north, "Sofia"),
        "sam": factories.caseworker(south, "Sam"),
        "ada": factories.make_user("Ada", role=Role.ADMINISTRATOR, is_staff=True),
    }
    w["case"] = factories.make_case(team=north, assigned_to=w["cara"])
    w["south_case"] = factories.make_case(team=south, assigned_to=w["sam"])
    return w


def day(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def refer(case, partner, status=S.SENT, *, sent_days_ago=None, answer_hours=None):
    now = timezone.now()
    sent_at = None if sent_days_ago is None else now - datetime.timedelta(days=sent_days_ago)
    answered_at = None if answer_hours is None else sent_at + datetime.timedelta(hours=answer_hours)
    return Referral.objects.create(
        case=case,
        partner=partner,
        purpose=Purpose.SAFETY,
        message="Please call her on the safe number.",
        categories=["identity"],
        status=status,
        created_by=case.assigned_to,
        sent_at=sent_at,
        answered_at=answered_at,
    )


def test_only_supervisors_and_administrators_open_it(client, world):
    assert reverse("referrals:dashboard") == URL
    client.force_login(world["cara"])
    assert client.get(URL).status_code == 404
    client.force_login(factories.make_user("Aud", role=Role.AUDITOR))
    assert client.get(URL).status_code == 404
    client.force_login(factories.partner_user(factories.make_partner()))
    assert client.get(URL).status_code == 404
    client.force_login(world["sofia"])
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize(
    ("valid_to", "listed_as"),
    [(0, "expiring"), (60, "expiring"), (61, None), (-1, "expired"), (-400, "expired")],
)
def test_agreements_ending_within_60_days_and_expired(world, valid_to, listed_as):
    partner = factories.make_partner("Clinic", kind="health")
    agreement = factories.make_agreement(
        partner, valid_from=day(-500), valid_to=day(valid_to), recorded_by=world["sofia"]
    )
    expiring, expired = selectors.agreements_due(world["sofia"])
    assert (agreement in expiring) == (listed_as == "expiring")
    assert (agreement in expired) == (listed_as == "expired")


def test_a_renewed_or_inactive_partners_agreement_is_not_a_warning(world):
    renewed = factories.make_partner("Renewed")
    old = factories.make_agreement(renewed, valid_from=day(-400), valid_to=day(-10))
    ending = factories.make_agreement(renewed, valid_from=day(-300), valid_to=day(20))
    factories.make_agreement(renewed, valid_from=day(21), valid_to=day(800))
    gone = factories.make_partner("Closed", is_active=False)
    factories.make_agreement(gone, valid_from=day(-400), valid_to=day(-10))
    # Another type is its own agreement: a new protocol does not renew a data-sharing one.
    other_type = factories.make_partner("Other type")
    sharing = factories.make_agreement(other_type, valid_from=day(-400), valid_to=day(-5))
    factories.make_agreement(
        other_type, type=Agreement.Type.REFERRAL_PROTOCOL, valid_from=day(-4), valid_to=day(300)
    )
    expiring, expired = selectors.agreements_due(world["ada"])
    assert expiring == [] and expired == [sharing]
    assert old not in expired and ending not in expiring


@pytest.mark.parametrize(("met_days_ago", "listed"), [(365, False), (366, True), (None, True)])
def test_partners_not_met_in_a_year(world, met_days_ago, listed):
    partner = factories.make_partner("Counselling North", kind="counselling")
    if met_days_ago is not None:
        Meeting.objects.create(
            partner=partner,
            held_on=day(-met_days_ago),
            attendees="Sofia",
            recorded_by=world["sofia"],
        )
    factories.make_partner("Closed", is_active=False)
    assert [p.name for p in selectors.partners_not_met(world["sofia"])] == (
        ["Counselling North"] if listed else []
    )


def test_the_page_lists_the_warnings(client, world):
    partner = factories.make_partner("Harbour Refuge")
    factories.make_agreement(partner, valid_from=day(-300), valid_to=day(30))
    client.force_login(world["sofia"])
    page = client.get(URL)
    assert "Harbour Refuge" in page.text
    assert page.context["expiring"][0].partner == partner
    assert [p.name for p in page.context["not_met"]] == ["Harbour Refuge"]
    assert "never" in page.text


def test_overrides_awaiting_approval_of_the_teams_cases_only(client, world):
    partner = factories.make_partner("Police North", kind="police")
    waiting = refer(world["case"], partner, S.AWAITING_APPROVAL)
    refer(world["south_case"], partner, S.AWAITING_APPROVAL)
    refer(world["case"], partner, S.DRAFT)
    client.force_login(world["sofia"])
    page = client.get(URL)
    assert page.context["awaiting_count"] == 1
    assert page.context["awaiting"] == [waiting]
    assert world["case"].reference in page.text
    # The supervisor goes from the list to the referral, to decide on it.
    assert reverse("referrals:referral", args=[world["case"].pk, waiting.pk]) in page.text
    assert world["south_case"].reference not in page.text
    assert "Please call her" not in page.text


def test_the_figures_on_a_known_set(world):
    refuge = factories.make_partner("A Refuge")
    clinic = factories.make_partner("B Clinic", kind="health")
    case = world["case"]
    sent = [
        refer(case, refuge, S.ACCEPTED, sent_days_ago=10, answer_hours=2),
        refer(case, refuge, S.COMPLETED, sent_days_ago=40, answer_hours=10),
        refer(case, refuge, S.DECLINED, sent_days_ago=5, answer_hours=4),
        refer(case, refuge, S.SENT, sent_days_ago=3),
        # Accepted, then revoked by the service: it was answered yes.
        refer(case, refuge, S.REVOKED, sent_days_ago=20, answer_hours=6),
        refer(case, clinic, S.ACCEPTED, sent_days_ago=1, answer_hours=48),
    ]
    refer(case, clinic, S.COMPLETED, sent_days_ago=400, answer_hours=1)  # over a year ago
    refer(world["south_case"], refuge, S.DECLINED, sent_days_ago=2, answer_hours=1)  # South
    refer(case, refuge, S.DRAFT)  # never sent

    figures = selectors.network_figures(world["sofia"])
    a, b = figures.partners
    assert (a.name, b.name) == ("A Refuge", "B Clinic")
    assert (a.sent, a.answered, a.accepted, a.acceptance_rate) == (5, 4, 3, 75)
    assert (a.completed, a.declined, a.revoked) == (1, 1, 1)
    assert a.median == datetime.timedelta(hours=5)  # of 2, 4, 6 and 10 hours
    assert a.average == datetime.timedelta(hours=5.5)
    assert a.median_words == "5 hours"
    assert (b.sent, b.answered, b.acceptance_rate) == (1, 1, 100)
    assert b.median == b.average == datetime.timedelta(hours=48)
    assert b.median_words == "2 days"

    expected: dict[tuple[str, datetime.date], int] = {}
    for referral in sent:
        month = timezone.localtime(referral.sent_at).date().replace(day=1)
        key = (referral.partner.name, month)
        expected[key] = expected.get(key, 0) + 1
    found = {(name, month): n for name, cells in figures.rows()[:-1] for month, n in cells if n}
    assert found == expected
    assert len(figures.months) == 12 and sum(figures.month_totals) == 6


def test_a_referral_accepted_then_revoked_counts_as_accepted_one_never_answered_does_not(world):
    refuge = factories.make_partner()
    refer(world["case"], refuge, S.REVOKED, sent_days_ago=9, answer_hours=3)  # accepted first
    refer(world["case"], refuge, S.REVOKED, sent_days_ago=8)  # revoked before any answer
    refer(world["case"], refuge, S.DECLINED, sent_days_ago=7, answer_hours=1)
    [row] = selectors.network_figures(world["sofia"]).partners
    assert (row.sent, row.answered, row.accepted, row.revoked) == (3, 2, 1, 2)
    assert row.acceptance_rate == 50


def test_the_expiring_state_says_the_days_of_its_constant(monkeypatch):
    monkeypatch.setattr(selectors, "EXPIRING_DAYS", 45)
    assert selectors.AgreementState.label("expiring") == "Expires within 45 days"
    assert selectors.AgreementState.label("valid") == "Valid"


def test_a_median_of_an_odd_count_is_the_middle_answer(world):
    refuge = factories.make_partner()
    for hours in (1, 30, 2):
        refer(world["case"], refuge, S.ACCEPTED, sent_days_ago=3, answer_hours=hours)
    [row] = selectors.network_figures(world["sofia"]).partners
    assert row.median == datetime.timedelta(hours=2)
    assert row.average == datetime.timedelta(hours=11)


def test_an_administrator_sees_the_directory_warnings_but_no_case_figures(client, world):
    partner = factories.make_partner("Harbour Refuge")
    factories.make_agreement(partner, valid_from=day(-300), valid_to=day(-3))
    refer(world["case"], partner, S.AWAITING_APPROVAL)
    refer(world["case"], partner, S.ACCEPTED, sent_days_ago=3, answer_hours=1)
    client.force_login(world["ada"])
    page = client.get(URL)
    assert page.status_code == 200
    assert [a.partner for a in page.context["expired"]] == [partner]
    assert "figures" not in page.context and "awaiting" not in page.context
    assert world["case"].reference not in page.text


def test_the_dashboard_takes_the_same_queries_however_many_rows(client, world):
    client.force_login(world["sofia"])

    def add(n: int) -> None:
        for i in range(n):
            partner = factories.make_partner()
            factories.make_agreement(
                partner,
                valid_from=day(-400),
                valid_to=day(10 - 20 * (i % 2)),
                recorded_by=world["sofia"],
            )
            for status, hours in ((S.ACCEPTED, 3), (S.DECLINED, 5), (S.COMPLETED, 7)):
                refer(
                    world["case"], partner, status, sent_days_ago=i * 20 % 300, answer_hours=hours
                )
            refer(world["case"], partner, S.AWAITING_APPROVAL)

    add(2)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        first = client.get(URL)
    add(15)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert len(response.context["figures"].partners) == 17 > len(first.context["figures"].partners)
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
