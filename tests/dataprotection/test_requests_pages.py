"""The request list (open, overdue, closed; days left; a constant number of queries), the
dashboard's way to it, the country profile in force, and the confidentiality notice saying
when information must be passed on.

Dana is the data-protection officer; Cara works in North."""

from __future__ import annotations

import datetime
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from cases.models import ConfidentialityNotice
from dataprotection import clock, selectors
from dataprotection.models import AccessRequest, RequestStatus
from tests import factories
from victimsupport import country

pytestmark = pytest.mark.django_db
LIST = "/data-protection/requests/"


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.MFA_ENFORCE = False  # force_login has no second factor


@pytest.fixture
def dana():
    return factories.dpo("Dana")


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara)


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def test_the_list_shows_open_requests_by_days_left_and_flags_the_overdue(client, dana, case):
    late = factories.make_access_request(case, logged_by=dana, received_on=days_ago(40))
    soon = factories.make_access_request(case, logged_by=dana, received_on=days_ago(20))
    fresh = factories.make_access_request(case, logged_by=dana, received_on=days_ago(1))
    closed = factories.make_access_request(
        case, logged_by=dana, status=RequestStatus.WITHDRAWN, closed_at=timezone.now()
    )
    client.force_login(dana)
    response = client.get(LIST)
    assert response.status_code == 200
    shown = [row["request"] for row in response.context["rows"]]
    assert shown == [late, soon, fresh]
    text = response.text
    overdue_by = -clock.days_left(late.due_on, timezone.localdate())
    assert f"Overdue by {overdue_by} day" in text and 'class="overdue"' in text
    assert closed.reference not in text
    assert [r["request"] for r in client.get(f"{LIST}?scope=overdue").context["rows"]] == [late]
    assert [r["request"] for r in client.get(f"{LIST}?scope=closed").context["rows"]] == [closed]
    assert len(client.get(f"{LIST}?scope=all").context["rows"]) == 4
    # An unknown filter is the default one, not an error.
    assert len(client.get(f"{LIST}?scope=nonsense").context["rows"]) == 3


def test_an_extension_moves_a_request_out_of_the_overdue(client, dana, case):
    request = factories.make_access_request(
        case, logged_by=dana, received_on=days_ago(40), extended_to=timezone.localdate()
    )
    client.force_login(dana)
    assert client.get(f"{LIST}?scope=overdue").context["rows"] == []
    rows = client.get(LIST).context["rows"]
    assert rows[0]["request"] == request and rows[0]["days_left"] == 0


def test_the_list_shows_no_name(client, dana, case):
    factories.make_access_request(case, logged_by=dana, requester_name="Zebulon Quincy")
    client.force_login(dana)
    assert "Zebulon" not in client.get(LIST).text


def test_the_list_is_paginated(client, dana, case, settings):
    for _ in range(selectors.REQUESTS_PAGE_SIZE + 2):
        factories.make_access_request(case, logged_by=dana)
    client.force_login(dana)
    first = client.get(LIST)
    assert len(first.context["rows"]) == selectors.REQUESTS_PAGE_SIZE
    page = first.context["page"]
    assert page.has_next and "Page 1" in first.text
    assert page.next_url.replace("&", "&amp;") in first.text
    second = client.get(f"{LIST}{page.next_url}")
    assert len(second.context["rows"]) == 2
    assert "First page" in second.text and "Page 2" in second.text


def test_the_list_runs_the_same_queries_whatever_the_number_of_requests(
    client, dana, case, cara, django_assert_max_num_queries
):
    other = factories.make_full_case(cara)
    factories.make_access_request(case, logged_by=dana)
    client.force_login(dana)
    client.get(LIST)  # warm: the session's first-seen stamp

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{LIST}?scope=all").status_code == 200
        return len(queries)

    few = count()
    for n in range(12):
        factories.make_access_request(
            case,
            other,
            logged_by=dana,
            received_on=days_ago(n * 5),
            extended_to=timezone.localdate() if n % 3 == 0 else None,
        )
    assert count() == few
    with django_assert_max_num_queries(few):
        client.get(LIST)


def test_a_supervisor_lists_the_requests_of_their_teams_only(client, dana, case, cara):
    sofia = factories.supervisor(cara.teams.first(), "Sofia")
    south_case = factories.make_full_case(factories.caseworker(factories.make_team("South")))
    mine = factories.make_access_request(case, logged_by=dana)
    factories.make_access_request(south_case, logged_by=dana)
    client.force_login(sofia)
    response = client.get(f"{LIST}?scope=all")
    assert [r["request"] for r in response.context["rows"]] == [mine]
    assert "Log a request" not in response.text


def test_the_dashboard_links_to_the_request_list(client, dana):
    client.force_login(dana)
    text = client.get("/data-protection/").text
    assert f'href="{LIST}"' in text and 'href="/data-protection/requests/new/"' in text


def test_the_list_shows_the_profile_in_force(client, dana, settings):
    settings.COUNTRY_PROFILE = "ie"
    client.force_login(dana)
    text = html.unescape(client.get(LIST).text)
    profile = country.get("ie")
    assert "Ireland" in text and profile.regulator in text
    assert "1 month after receipt" in text and "Up to 2 further months" in text
    assert "72 hours" in text


# --- The confidentiality notice ---------------------------------------------------------------


@pytest.fixture
def notice():
    return ConfidentialityNotice.objects.create(
        version=1, title="Confidentiality", body="What we keep and when we must share it."
    )


def notice_page(client, **headers):
    draft_id = factories.intake_start(client)
    response = client.post(
        factories.intake_step_url(draft_id, "safety"), factories.INTAKE_SAFETY, **headers
    )
    assert response.status_code == 302
    return client.get(factories.intake_step_url(draft_id, "notice"), **headers)


def test_the_notice_says_when_information_must_be_passed_on(client, cara, notice, settings):
    settings.COUNTRY_PROFILE = "ie"
    client.force_login(cara)
    response = notice_page(client)
    text = html.unescape(response.text)
    assert "When we must pass information on" in text
    circumstances = country.current().circumstances()
    assert len(circumstances) >= 3
    for circumstance in circumstances:
        assert circumstance in text
    assert "Tusla" in text  # the Irish profile's own


def test_the_notice_says_it_in_french_too(client, cara, notice, settings):
    settings.COUNTRY_PROFILE = "ie"
    client.force_login(cara)
    response = notice_page(client, HTTP_ACCEPT_LANGUAGE="fr")
    text = html.unescape(response.text)
    with translation.override("fr"):
        circumstances = country.current().circumstances()
    with translation.override("en"):
        english = country.current().circumstances()
    assert circumstances != english
    for circumstance in circumstances:
        assert circumstance in text
    assert english[0] not in text


def test_a_supervisor_does_not_see_a_request_that_also_names_a_case_of_another_team(
    client, dana, case, cara
):
    """A request about a North case and a South case would show Sofia (North) the South file
    through the copy's pages: it is the DPO's alone."""
    south = factories.make_team("South")
    sam = factories.caseworker(south, "Sam")
    south_case = factories.make_full_case(sam, team=south)
    sofia = factories.supervisor(case.team)
    mixed = factories.make_access_request(case, south_case, logged_by=dana)
    own = factories.make_access_request(case, logged_by=dana)
    assert set(AccessRequest.objects.visible_to(sofia)) == {own}
    client.force_login(sofia)
    assert client.get(reverse("dataprotection:request", args=[own.pk])).status_code == 200
    for name in ("request", "copy_prepare", "copy_review", "copy_log"):
        assert client.get(reverse(f"dataprotection:{name}", args=[mixed.pk])).status_code == 404
