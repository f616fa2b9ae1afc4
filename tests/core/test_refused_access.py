"""Refused access to case files leaves a trace a supervisor sees, without flooding the log.

Cara works in North, Sofia supervises North; Sam works in South, Sue supervises South.
Sam trying North's cases is refused (404) and counted; so is a read-only write (403).
"""

from __future__ import annotations

import datetime
import json
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from cases.services import break_glass_open
from tests import factories
from victimsupport.access import Role
from victimsupport.audit.models import AuditEntry, RefusalCount
from victimsupport.audit.services import AccessKind, record_refusal

pytestmark = pytest.mark.django_db

NOTE = "She is staying at 12 Elm Street with her sister"


@pytest.fixture
def south():
    return factories.make_team("South")


@pytest.fixture
def sam(south):
    return factories.caseworker(south, "Sam")


@pytest.fixture
def case(north, cara):
    return factories.make_case(team=north, assigned_to=cara)


def refusal_entries() -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(additional_data__access=AccessKind.REFUSED).order_by("seq")
    )


def as_json(entry: AuditEntry) -> str:
    fields = ("object_repr", "changes", "changes_text", "additional_data", "serialized_data")
    return json.dumps({f: getattr(entry, f) for f in fields}, default=str)


def test_outsider_trying_another_teams_case_is_recorded_without_the_case(client, sam, case):
    client.force_login(sam)
    assert client.get(f"/cases/{case.pk}/?q=her+name").status_code == 404

    counter = RefusalCount.objects.get()
    assert (counter.user, counter.route, counter.status, counter.count) == (
        sam,
        "cases:detail",
        404,
        1,
    )
    [entry] = refusal_entries()
    assert entry.actor == sam and entry.action == AuditEntry.Action.ACCESS
    assert entry.additional_data == {
        "access": "refused",
        "route": "cases:detail",
        "status": 404,
        "count": 1,
    }
    # Who, which route and when: not the case, the path or the query string.
    assert str(case.pk) not in as_json(entry) and "her" not in as_json(entry)
    assert entry.object_repr == f"audit.refusalcount {counter.pk}"


def test_read_only_write_is_recorded_as_403_without_what_was_typed(client, case):
    sue = factories.supervisor(factories.make_team("South"), "Sue")
    break_glass_open(actor=sue, case=case, reason="Police report she is missing tonight, urgent")
    client.force_login(sue)
    assert client.post(f"/cases/{case.pk}/notes/", {"body": NOTE}).status_code == 403

    [entry] = refusal_entries()
    assert entry.actor == sue
    assert entry.additional_data == {
        "access": "refused",
        "route": "cases:note_add",
        "status": 403,
        "count": 1,
    }
    assert "Elm" not in as_json(entry) and str(case.pk) not in as_json(entry)


def test_a_child_lookup_refused_in_the_view_is_recorded(client, cara, case):
    # The case is Cara's; the document id is not: the view's own Http404 counts too.
    client.force_login(cara)
    assert client.get(f"/cases/{case.pk}/documents/999999/").status_code == 404
    assert RefusalCount.objects.get().route == "cases:document_download"


def test_every_case_bound_route_records_its_refusals(client, sam, case):
    """Case pages, child objects, exports and intake drafts: every pattern with an id,
    including any added later, without being listed anywhere."""
    client.force_login(sam)
    urls = factories.case_urls(case.pk)
    for url in urls:
        client.get(url)
        client.post(url)
    expected = {resolve(url).view_name for url in urls}
    assert {"cases:intake_step", "cases:export_download", "risk:assessment"} <= expected
    assert set(RefusalCount.objects.filter(user=sam).values_list("route", flat=True)) == expected


def test_a_thousand_refusals_write_a_bounded_number_of_sealed_entries(client, sam):
    client.force_login(sam)
    before = AuditEntry.objects.count()
    for _ in range(1000):
        assert client.get(f"/cases/{uuid.uuid4()}/").status_code == 404

    counter = RefusalCount.objects.get(user=sam)
    assert counter.count == 1000
    # The hour's first refusal, then each tenfold: 1, 10, 100, 1000.
    assert [e.additional_data["count"] for e in refusal_entries()] == [1, 10, 100, 1000]
    assert AuditEntry.objects.count() - before == 4
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "entries verified" in out.getvalue()


def test_each_hour_opens_a_new_count(sam):
    first = timezone.now().replace(minute=5)
    record_refusal(actor=sam, route="cases:detail", status=404, at=first)
    record_refusal(actor=sam, route="cases:detail", status=404, at=first.replace(minute=50))
    record_refusal(
        actor=sam, route="cases:detail", status=404, at=first + datetime.timedelta(hours=1)
    )
    assert sorted(RefusalCount.objects.values_list("count", flat=True)) == [1, 2]
    assert len(refusal_entries()) == 2


def test_a_path_or_free_text_cannot_be_recorded_as_a_route(sam):
    with pytest.raises(ValueError):
        record_refusal(actor=sam, route=f"/cases/{uuid.uuid4()}/?q=her name", status=404)
    with pytest.raises(ValueError):
        record_refusal(actor=sam, route="cases:detail", status=500)


def test_typos_and_routes_without_an_object_are_not_recorded(client, cara):
    client.force_login(cara)
    assert client.get("/cases/not-a-uuid/").status_code == 404  # no pattern matches
    assert client.get("/no-such-page/").status_code == 404
    assert client.get("/risk/dashboard/no-such-list/").status_code == 404  # no id in it
    assert client.get("/audit/").status_code == 404
    assert not RefusalCount.objects.exists() and not refusal_entries()


def test_anonymous_requests_are_not_recorded(client, case):
    assert client.get(f"/cases/{case.pk}/").status_code == 302
    assert client.get(f"/cases/{uuid.uuid4()}/").status_code == 302
    assert not RefusalCount.objects.exists() and not refusal_entries()


def test_a_csrf_failure_is_not_a_refusal_of_the_case(cara, case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cara)
    assert client.post(f"/cases/{case.pk}/notes/", {"body": NOTE}).status_code == 403
    assert not RefusalCount.objects.exists()


def test_the_audit_log_page_labels_refusals(client, sam):
    for _ in range(10):
        record_refusal(actor=sam, route="cases:detail", status=404)
    client.force_login(factories.make_user("Aud", role=Role.AUDITOR))
    response = client.get("/audit/")
    rows = response.context["rows"]
    assert [row.what for row in rows].count("Refused access") == 2
    page = response.text
    assert "Not found or not theirs: cases:detail, 10 refusals this hour" in page
    assert "cases:detail, 1 refusal this hour" in page


# The supervisor's dashboard.


def refusals_on_dashboard(client, supervisor) -> dict[str, int]:
    client.force_login(supervisor)
    response = client.get("/risk/dashboard/")
    assert response.status_code == 200
    assert "Repeated refused access" in response.text
    return {str(person): person.refused for person in response.context["refusals"]}


def refuse(user, times: int, *, at: datetime.datetime | None = None) -> None:
    for _ in range(times):
        record_refusal(actor=user, route="cases:detail", status=404, at=at)


def test_dashboard_shows_a_team_member_past_the_threshold(client, north, cara, sam):
    sofia = factories.supervisor(north)
    colin = factories.caseworker(north, "Colin")
    refuse(cara, 7)
    record_refusal(actor=cara, route="risk:assessment", status=403)
    record_refusal(actor=cara, route="cases:note_add", status=403)
    refuse(cara, 1, at=timezone.now() - datetime.timedelta(days=1))
    refuse(colin, 9)  # below the threshold: a few mistyped links
    refuse(colin, 5, at=timezone.now() - datetime.timedelta(days=8))  # too long ago
    refuse(sam, 50)  # another team's caseworker

    assert refusals_on_dashboard(client, sofia) == {"Cara": 10}
    assert "Colin" not in client.get("/risk/dashboard/").text


def test_another_teams_supervisor_does_not_see_them(client, cara, sam, south):
    refuse(cara, 20)
    refuse(sam, 12)
    sue = factories.supervisor(south, "Sue")
    assert refusals_on_dashboard(client, sue) == {"Sam": 12}


def test_someone_in_two_teams_is_counted_once(client, north, south, cara):
    cara.teams.add(south)
    sofia = factories.make_user("Sofia", role=Role.SUPERVISOR, teams=(north, south))
    factories.with_totp(sofia)
    refuse(cara, 10)
    assert refusals_on_dashboard(client, sofia) == {"Cara": 10}


def test_the_threshold_is_a_setting(client, settings, north, cara):
    settings.REFUSED_ACCESS_THRESHOLD = 3
    refuse(cara, 3)
    assert refusals_on_dashboard(client, factories.supervisor(north)) == {"Cara": 3}


@pytest.mark.django_db(transaction=True)
def test_refusals_at_the_same_moment_are_each_counted_and_sealed_once():
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from victimsupport.audit.chain import verify_chain

    sam = factories.caseworker(factories.make_team("South"), "Sam")
    hour = timezone.now().replace(minute=30)

    def refuse_25() -> None:
        try:
            for _ in range(25):
                record_refusal(actor=sam, route="cases:detail", status=404, at=hour)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(refuse_25) for _ in range(4)]:
            future.result()

    assert RefusalCount.objects.get().count == 100
    assert [e.additional_data["count"] for e in refusal_entries()] == [1, 10, 100]
    assert verify_chain().ok


def test_a_pattern_without_a_name_is_still_recorded(client, cara, settings):
    settings.ROOT_URLCONF = "tests.testapp.urls_unnamed"
    client.force_login(cara)
    assert client.get(f"/unnamed/{uuid.uuid4()}/").status_code == 404
    assert RefusalCount.objects.get().route == "tests.testapp.urls_unnamed.not_found"


def test_staff_in_no_team_are_shown_to_every_supervisor(client, north, south, cara):
    """An auditor or administrator belongs to no team: no team's supervisor would see them
    trying case after case unless every supervisor does."""
    ari = factories.make_user("Ari", role="auditor", teams=[])
    refuse(ari, 11)
    refuse(cara, 10)
    assert refusals_on_dashboard(client, factories.supervisor(north)) == {"Ari": 11, "Cara": 10}
    assert refusals_on_dashboard(client, factories.supervisor(south, "Sue")) == {"Ari": 11}
