"""The auditor's audit log: filters by day, person, kind of entry and case reference; case
references, names and local times instead of ids, codes and UTC; pages at a constant number
of queries; a CSV export of the filtered entries that is itself audited, holds no encrypted
value and cannot run as a spreadsheet formula."""

from __future__ import annotations

import csv
import datetime
import io
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services as case_services
from tests import factories
from victimsupport.access import Role
from victimsupport.audit import views as audit_views
from victimsupport.audit.context import acting_request
from victimsupport.audit.forms import AuditFilterForm
from victimsupport.audit.models import AuditEntry
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.audit.views import neutral

pytestmark = pytest.mark.django_db

CANARY = "CANARYAUDITLOG7741"


@pytest.fixture
def world(cara):
    sam = factories.caseworker(factories.make_team("South"), "Sam")
    ours = factories.make_full_case(cara, given_name="Mira", family_name="Okafor")
    theirs = factories.make_full_case(sam, given_name="Lena", family_name="Berg")
    victim = ours.victim
    request = RequestFactory().post("/")
    request.user = cara
    with acting_request(request):  # as when Cara saves the form: the change is hers
        case_services.victim_update(
            victim=victim, actor=cara, version=victim.version, code_word=CANARY
        )
    record_access(actor=sam, obj=theirs, kind=AccessKind.VIEW)
    return {"cara": cara, "sam": sam, "ours": ours, "theirs": theirs}


@pytest.fixture
def auditor(client):
    user = factories.make_user("Aud", role=Role.AUDITOR)
    client.force_login(user)
    return user


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_log_shows_references_names_and_local_times(client, auditor, world):
    page = client.get("/audit/")
    assert page.status_code == 200
    assert world["ours"].reference in page.text and world["theirs"].reference in page.text
    assert str(world["ours"].pk) not in page.text  # the case reference, never its id
    assert "cases.case" not in page.text and "victim of case" not in page.text
    assert ">Cara<" in page.text and ">Sam<" in page.text  # names, not user ids
    latest = AuditEntry.objects.order_by("-seq").first()
    local = timezone.localtime(latest.timestamp)
    assert f"{local:%H:%M:%S} {local.tzname()}" in page.text  # Europe/Brussels: CET or CEST
    assert "Code word" in page.text  # the field changed, by its label
    assert CANARY not in page.text and "Mira" not in page.text


def test_it_filters_by_case_reference(client, auditor, world):
    page = client.get("/audit/", {"case": world["ours"].reference.lower()})
    assert page.status_code == 200
    refs = {row.case for row in page.context["rows"]}
    assert refs == {world["ours"].reference}
    # Every entry about the case and its records (victim, consent...), none of the other's.
    assert len(page.context["rows"]) > 3


def test_an_unknown_reference_is_an_error_not_an_empty_log(client, auditor, world):
    page = client.get("/audit/", {"case": "VS-1999-99999"})
    assert page.status_code == 400
    assert "No case has this reference" in page.text


def test_it_filters_by_person_and_kind(client, auditor, world):
    page = client.get("/audit/", {"person": world["sam"].pk, "kind": "view"})
    rows = page.context["rows"]
    assert len(rows) == 1
    assert rows[0].who == "Sam" and rows[0].what == "Viewed"
    assert rows[0].case == world["theirs"].reference
    changed = client.get("/audit/", {"kind": "changed", "person": world["cara"].pk})
    assert {row.what for row in changed.context["rows"]} == {"Changed"}
    assert all(row.who == "Cara" for row in changed.context["rows"])


def test_it_filters_by_days_of_the_organisation(client, auditor, world):
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    everything = AuditEntry.objects.count()
    assert client.get("/audit/", {"date_from": today}).context["entry_count"] == (everything)
    assert client.get("/audit/", {"date_to": today}).context["entry_count"] == (everything)
    assert client.get("/audit/", {"date_from": tomorrow}).context["entry_count"] == 0
    backwards = client.get("/audit/", {"date_from": tomorrow, "date_to": today})
    assert backwards.status_code == 400


def test_the_filters_carry_nothing_about_a_person():
    # Dates, a staff member's id, an enum and a pseudonymous reference: nothing else may be
    # added to an address that ends up in the browser's history and the server's logs.
    assert list(AuditFilterForm.base_fields) == ["date_from", "date_to", "person", "kind", "case"]


def test_pages_cost_the_same_queries_whatever_their_rows(client, auditor, cara, monkeypatch):
    monkeypatch.setattr(audit_views, "PAGE_SIZE", 500)
    factories.make_full_case(cara)
    client.get("/audit/")  # warm the caches (content types, session)
    with CaptureQueriesContext(connection) as one:
        small = client.get("/audit/")
    for _ in range(3):
        case = factories.make_full_case(cara)
        record_access(actor=cara, obj=case, kind=AccessKind.VIEW)
    with CaptureQueriesContext(connection) as four:
        large = client.get("/audit/")
    assert len(large.context["rows"]) > 3 * len(small.context["rows"])
    assert len(four) == len(one), [q["sql"][:80] for q in four.captured_queries]


def test_the_pager_keeps_the_filters(client, auditor, world, monkeypatch):
    monkeypatch.setattr(audit_views, "PAGE_SIZE", 2)
    page = client.get("/audit/", {"case": world["ours"].reference})
    assert f"?case={world['ours'].reference}&amp;cursor=" in page.text
    assert f"/audit/export.csv?case={world['ours'].reference}" in page.text


def test_export_is_the_filtered_view_without_encrypted_values(client, auditor, world):
    query = {"case": world["ours"].reference}
    shown = client.get("/audit/", query).context["entry_count"]
    response = client.get("/audit/export.csv?" + urlencode(query))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0][:3] == ["Entry", "When", "Who"]
    assert len(rows) - 1 == shown
    assert {row[5] for row in rows[1:]} == {world["ours"].reference}
    text = "\n".join(",".join(row) for row in rows)
    assert CANARY not in text and "Mira" not in text and "Okafor" not in text
    assert str(world["ours"].pk) not in text


def test_export_is_audited_with_its_filters(client, auditor, world):
    query = {"case": world["ours"].reference, "kind": "changed"}
    csv_rows(client.get("/audit/export.csv?" + urlencode(query)))
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.actor == auditor
    assert entry.additional_data == {
        "access": "export",
        "export": "audit_log",
        "case": world["ours"].reference,
        "kind": "changed",
    }


def test_a_spreadsheet_formula_is_neutralised():
    for cell in ('=HYPERLINK("http://evil")', "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutral(cell).startswith("'")
    assert neutral("VS-2026-00001") == "VS-2026-00001"
    assert neutral(12) == "12"


def test_a_staff_name_that_is_a_formula_is_exported_as_text(client, auditor, north):
    evil = factories.make_user("=cmd|' /C calc'!A0", role=Role.CASEWORKER, teams=(north,))
    case = factories.make_full_case(evil)
    record_access(actor=evil, obj=case, kind=AccessKind.VIEW)
    rows = csv_rows(client.get("/audit/export.csv?" + urlencode({"person": evil.pk})))
    assert len(rows) > 1
    assert all(row[2] == "'=cmd|' /C calc'!A0" for row in rows[1:])
    for row in rows:
        assert not any(cell[:1] in "=+-@" for cell in row if cell)


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.SUPERVISOR, Role.ADMINISTRATOR])
def test_other_roles_find_no_log_and_no_export(client, settings, role, north):
    settings.MFA_ENFORCE = False
    client.force_login(factories.make_user("Pat", role=role, teams=(north,)))
    assert client.get("/audit/").status_code == 404
    assert client.get("/audit/export.csv").status_code == 404
    assert not AuditEntry.objects.filter(additional_data__export="audit_log").exists()


def test_the_data_protection_officer_reads_the_log_too(client, settings, world):
    settings.MFA_ENFORCE = False
    client.force_login(factories.make_user("Dora", role=Role.DATA_PROTECTION_OFFICER))
    assert client.get("/audit/").status_code == 200
    assert client.get("/audit/export.csv").status_code == 200
