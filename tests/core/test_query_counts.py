"""Every list and dashboard runs the same number of queries whatever the amount of data.

The data is the bulk seeder's (years of realistic casework), measured once, then again after
three times as many cases were added: a query per row anywhere shows up as a difference.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services
from cases.models import Case, DuplicateMatch
from demo.bulk import seed_cases
from demo.seed import seed_demo
from risk.dashboard import DRILLDOWNS
from risk.models import TrainingRecord
from tests import factories
from victimsupport.accounts.models import User
from victimsupport.audit.services import record_refusal

pytestmark = pytest.mark.django_db

PAGES = [
    ("caseworker", "/cases/?scope=team"),
    ("caseworker", "/cases/?scope=mine"),
    ("caseworker", "/cases/?scope=team&status=open&risk=high"),
    ("caseworker", "/cases/?scope=team&review_due=on#next"),
    ("caseworker", "/cases/intake/"),
    ("supervisor", "/risk/dashboard/"),
    *[("supervisor", f"/risk/dashboard/{tile}/") for tile in DRILLDOWNS],
    ("supervisor", "/risk/training/"),
    ("supervisor", "history"),
    ("auditor", "/audit/"),
    ("auditor", "/audit/#next"),
]


def _next_page(client, url: str) -> str:
    """``#next``: the page the first page's next link leads to (a keyset cursor), or the
    first page itself while there is no second."""
    if not url.endswith("#next"):
        return url
    first = url.removesuffix("#next")
    page = client.get(first).context["page"]
    return first.split("?")[0] + page.next_url if page.has_next else first


def _count(client, url: str) -> int:
    url = _next_page(client, url)
    client.get(url)  # warm: the session's first-seen stamp, caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def refuse_repeatedly(user: User) -> None:
    for route in ("cases:detail", "cases:note_add", "risk:assessment"):
        for _ in range(5):
            record_refusal(actor=user, route=route, status=404)


def test_lists_and_dashboards_do_not_grow_with_the_data(client, settings):
    settings.MFA_ENFORCE = False  # force_login has no second factor
    seed_demo()
    seed_cases(25, batch_size=25)
    users = {
        role: User.objects.get(email=f"{role}@demo.example")
        for role in ("caseworker", "supervisor", "auditor")
    }
    busiest = Case.objects.filter(team__members=users["supervisor"]).order_by("-opened_at").first()
    history = f"/cases/{busiest.pk}/history/"

    def counts() -> dict[str, int]:
        result = {}
        for role, url in PAGES:
            client.force_login(users[role])
            url = history if url == "history" else url
            result[url] = _count(client, url)
        return result

    # Someone on the dashboard's "repeated refused access" list, and more of them below.
    refuse_repeatedly(users["caseworker"])
    few = counts()
    seed_cases(75, batch_size=75)
    # More of what the other pages list: trained colleagues, and a longer case history.
    north = users["supervisor"].teams.get()
    for i in range(3):
        colleague = factories.caseworker(north, name=f"Extra{i}")
        TrainingRecord.objects.create(
            user=colleague,
            course="Risk assessment",
            completed_on=timezone.localdate(),
            provider="Network",
            recorded_by=users["supervisor"],
        )
    for _ in range(3):
        services.note_add(case=busiest, actor=users["supervisor"], body="Checked in by phone.")
    for colleague in User.objects.filter(first_name__startswith="Extra"):
        refuse_repeatedly(colleague)
    many = counts()
    grew = {url: (few[url], many[url]) for url in few if many[url] != few[url]}
    assert not grew, f"queries grew with the data (before, after): {grew}"


def test_possible_duplicates_on_the_dashboard_do_not_grow_with_the_rows(client):
    south = factories.make_team("South")
    sam = factories.caseworker(south, "Sam")
    sue = factories.supervisor(south, "Sue")
    cara = factories.caseworker(factories.make_team("North"))

    def hidden_match() -> None:
        existing = factories.make_full_case(sam)
        person = existing.victim
        factories.make_full_case(cara, phone=person.phone, email=person.email)

    hidden_match()
    client.force_login(sue)
    few = _count(client, "/risk/dashboard/")
    for _ in range(3):
        hidden_match()
    many = _count(client, "/risk/dashboard/")
    assert DuplicateMatch.objects.count() == 4
    assert many == few
