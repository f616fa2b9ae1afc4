"""Every paged list pages by seek: walking forward by the next links and back by the previous
ones gives every row once, in the list's order, ties on the time included; each page costs
the same queries as the first; a tampered cursor is page one, not an error; and the links
carry no name, no reference, no search word."""

from __future__ import annotations

import datetime
import re
from html import unescape

import pytest
from auditlog.context import set_actor
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services as case_services
from cases import views as case_views
from cases.models import Case
from dataprotection import selectors as dp_selectors
from referrals import partner_views
from referrals.models import Referral
from risk import views as risk_views
from tests import factories
from victimsupport.access import Role
from victimsupport.audit import views as audit_views

pytestmark = pytest.mark.django_db

PER_PAGE = 3


@pytest.fixture(autouse=True)
def _small_pages(settings, monkeypatch):
    settings.MFA_ENFORCE = False  # force_login has no second factor
    monkeypatch.setattr(case_views, "PAGE_SIZE", PER_PAGE)
    monkeypatch.setattr(case_views, "HISTORY_PAGE_SIZE", PER_PAGE)
    monkeypatch.setattr(risk_views, "DRILLDOWN_PAGE_SIZE", PER_PAGE)
    monkeypatch.setattr(partner_views, "INBOX_PAGE_SIZE", PER_PAGE)
    monkeypatch.setattr(dp_selectors, "REQUESTS_PAGE_SIZE", PER_PAGE)
    monkeypatch.setattr(audit_views, "PAGE_SIZE", PER_PAGE)


def _queries(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), response


def walk(client, path: str, query: str = "") -> tuple[list, list, set[int], list[str]]:
    """Forward from page one by the next links, then back by the previous links: the rows'
    ids each way, the query counts of the pages after the first, and every link shown."""
    url = f"{path}?{query}" if query else path
    client.get(url)  # warm: the session's first stamp, caches
    first_count, response = _queries(client, url)
    counts = {first_count}
    links = []
    pages = [response.context["page"]]
    while pages[-1].has_next:
        html = unescape(response.text)
        links += re.findall(r'href="(\?[^"]*)"', html)
        assert pages[-1].next_url in html
        count, response = _queries(client, path + pages[-1].next_url)
        counts.add(count)
        pages.append(response.context["page"])
    forward = [row.pk for page in pages for row in page.object_list]
    page = pages[-1]
    backward = [row.pk for row in page.object_list]
    while page.has_previous:
        assert page.first_url and page.previous_url
        count, response = _queries(client, path + page.previous_url)
        counts.add(count)
        page = response.context["page"]
        backward = [row.pk for row in page.object_list] + backward
    assert page.number == 1
    return forward, backward, counts, links


def check(client, path, expected, query="", secrets=()):
    forward, backward, counts, links = walk(client, path, query)
    assert forward == expected
    assert backward == expected
    assert len(set(forward)) == len(forward)
    assert len(counts) == 1, f"pages ran different numbers of queries: {counts}"
    assert links
    for link in links:
        for secret in secrets:
            assert secret not in link
    # A forged cursor is page one, never an error.
    response = client.get(f"{path}?{query}&cursor=x{links[0][-20:]}")
    assert response.status_code == 200
    assert response.context["page"].number == 1
    assert [row.pk for row in response.context["page"].object_list] == expected[:PER_PAGE]


def tie_times(model, pks, field, *, every=3):
    """Give the rows the same time in threes, so that the pages must break ties by the pk."""
    base = timezone.now().replace(microsecond=0)
    for i, pk in enumerate(pks):
        model.objects.filter(pk=pk).update(**{field: base - datetime.timedelta(hours=i // every)})


def test_the_case_list_pages_every_case_once_in_order(client, north, cara):
    named = factories.make_full_case(cara, given_name="Zebulon", family_name="Quincy")
    pks = [named.pk] + [factories.make_case(team=north, assigned_to=cara).pk for _ in range(9)]
    tie_times(Case, pks, "opened_at")
    client.force_login(cara)
    for scope in ("team", "mine"):
        expected = list(
            Case.objects.filter(pk__in=pks)
            .order_by("-opened_at", "pk")
            .values_list("pk", flat=True)
        )
        check(
            client,
            "/cases/",
            expected,
            query=f"scope={scope}",
            secrets=("Zebulon", named.reference),
        )


def test_search_results_page_by_post_and_the_cursor_holds_no_search_word(client, cara):
    found = [
        factories.make_full_case(cara, given_name="Zebulon", family_name="Quincy")
        for _ in range(PER_PAGE + 1)
    ]
    client.force_login(cara)
    search = {"scope": "team", "q": "Zebulon Quincy"}
    response = client.post("/cases/", search)
    assert response.context["matched"] == len(found)
    assert f"({len(found)})" in response.text
    page = response.context["page"]
    assert page.has_next
    # The search pages by POST: the cursor rides in the form, never in an address.
    assert f'name="cursor" value="{page.next_cursor}"' in response.text
    assert "cursor=" not in response.text
    for secret in ("Zebulon", "Quincy", *(case.reference for case in found)):
        assert secret not in page.next_cursor
    second = client.post("/cases/", {**search, "cursor": page.next_cursor})
    assert second.context["page"].number == 2
    assert second.context["matched"] == len(found)
    shown = [row.pk for row in page.object_list + second.context["page"].object_list]
    assert sorted(shown) == sorted(case.pk for case in found)


def test_the_case_history_pages_every_entry_once_in_order(client, north, cara):
    case = factories.make_full_case(cara)
    for i in range(8):
        case_services.note_add(case=case, actor=cara, body=f"Call {i}.")
    client.force_login(factories.supervisor(north))
    path = f"/cases/{case.pk}/history/"
    from cases import history

    expected = list(history.entries_of(case).values_list("pk", flat=True))
    # The page itself is recorded first, so the walk's own openings join the history: the
    # walk is checked against the entries as they stand once it is over.
    forward, backward, counts, _links = walk(client, path)
    assert len(counts) == 1
    assert set(expected) <= set(forward)
    assert len(set(forward)) == len(forward)
    assert backward[-len(expected) :] == forward[-len(expected) :] == expected


def test_a_dashboard_list_pages_every_case_once_in_order(client, north, cara):
    pks = [factories.make_case(team=north, assigned_to=cara).pk for _ in range(8)]
    tie_times(Case, pks, "opened_at")
    today = timezone.localdate()
    for i, pk in enumerate(pks):
        review = None if i % 3 == 0 else today + datetime.timedelta(days=i % 2)
        Case.objects.filter(pk=pk).update(risk_level="high", review_due=review)
    client.force_login(factories.supervisor(north))
    from django.db.models import F

    expected = list(
        Case.objects.filter(pk__in=pks)
        .order_by(F("review_due").asc(nulls_last=True), "-opened_at", "pk")
        .values_list("pk", flat=True)
    )
    check(client, "/risk/dashboard/level-high/", expected)


def test_the_partner_inbox_pages_every_referral_once_in_order(client, north, cara):
    partner = factories.make_partner()
    member = factories.partner_user(partner)
    sent = timezone.now().replace(microsecond=0)
    made = []
    for i in range(8):
        case = factories.make_case(team=north, assigned_to=cara)
        made.append(
            factories.sent_referral(
                case,
                partner,
                by=cara,
                urgency=("urgent", "routine")[i % 2],
                status=("sent", "sent", "accepted")[i % 3],
                sent_at=sent - datetime.timedelta(hours=i // 4),
            )
        )
    rank = {("sent", "urgent"): 0, ("sent", "soon"): 1, ("sent", "routine"): 2}
    expected = [
        r.pk
        for r in sorted(
            Referral.objects.filter(pk__in=[r.pk for r in made]),
            key=lambda r: (rank.get((r.status, r.urgency), 3), r.sent_at, r.pk),
        )
    ]
    client.force_login(member)
    check(client, "/network/inbox/", expected)


def test_the_request_list_pages_every_request_once_in_order(client, cara):
    dana = factories.dpo()
    case = factories.make_full_case(cara)
    received = timezone.localdate() - datetime.timedelta(days=3)
    made = [
        factories.make_access_request(case, logged_by=dana, received_on=received) for _ in range(7)
    ]
    client.force_login(dana)
    from dataprotection.models import AccessRequest

    for scope, ordering in (
        ("open", ("due_on", "reference")),
        ("all", ("-received_on", "reference")),
    ):
        expected = list(
            AccessRequest.objects.filter(pk__in=[r.pk for r in made])
            .order_by(*ordering)
            .values_list("pk", flat=True)
        )
        check(client, "/data-protection/requests/", expected, query=f"scope={scope}")


def test_the_audit_log_pages_every_entry_once_in_order(client, north, cara):
    case = factories.make_full_case(cara)
    with set_actor(cara):
        for i in range(8):
            case_services.note_add(case=case, actor=cara, body=f"Call {i}.")
    auditor = factories.make_user("Audrey", role=Role.AUDITOR)
    client.force_login(auditor)
    from victimsupport.audit.models import AuditEntry

    # Filtered by the caseworker: the walk's own openings (by the auditor) stay out of it.
    query = f"person={cara.pk}"
    response = client.get(f"/audit/?{query}")
    assert response.status_code == 200, response.context["form"].errors
    expected = list(
        AuditEntry.objects.filter(actor=cara).order_by("-seq").values_list("pk", flat=True)
    )
    assert len(expected) > PER_PAGE * 2
    check(client, "/audit/", expected, query=query)
    # The count the page shows: the whole log by its chain head, a filtered one counted.
    assert response.context["entry_count"] == len(expected)
    whole = client.get("/audit/")
    assert whole.context["entry_count"] == AuditEntry.objects.count()
