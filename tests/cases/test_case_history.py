"""The supervisor's case history reads as people read: who by name, what record and field by
their labels, hidden values as "hidden", the case by its reference, times in the organisation's
zone with the zone shown; and a page costs the same queries however long the history is."""

from __future__ import annotations

import re

import pytest
from auditlog.context import set_actor
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from cases import services
from cases.models import Victim
from risk import services as risk_services
from tests import factories
from tests.factories import add_risk, train
from victimsupport import casefile
from victimsupport.access import Role
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def mina(north):
    return factories.make_user("Mina", role=Role.CASEWORKER, teams=(north,), last_name="Mensah")


@pytest.fixture
def case(mina):
    return factories.make_full_case(mina)


def history(client, case, north, **params):
    client.force_login(factories.supervisor(north))
    page = client.get(f"/cases/{case.pk}/history/", params)
    assert page.status_code == 200
    return page.text


def edit_details(case, actor, **changes):
    # The audit middleware names the actor of a request's changes; here, the same hook.
    victim = Victim.objects.get(case=case)
    with set_actor(actor):
        services.victim_update(victim=victim, actor=actor, version=victim.version, **changes)


def test_an_entry_names_its_actor_record_and_fields(client, case, mina, north):
    edit_details(case, mina, preferred_name="Bee", interpreter_needed=True)
    text = history(client, case, north)
    assert "<td>Mina Mensah</td>" in text
    assert "<td>Changed</td>" in text and "<td>Victim</td>" in text
    assert "Interpreter needed: no → yes" in text
    # The audit log holds no plaintext, and the page says the value is hidden.
    assert "Alias or preferred name: changed (hidden)" in text
    assert "Bee" not in text
    # No codes: neither the content type's name nor a field's attribute name.
    assert "cases.victim" not in text and "interpreter_needed" not in text
    assert "preferred_name" not in text


def test_a_choice_reads_as_its_label(client, case, mina, north):
    train(mina)
    action = add_risk(case, mina)
    risk_services.safety_action_update(
        action=action, actor=mina, version=action.version, status="cancelled", outcome="Moved"
    )
    text = history(client, case, north)
    assert "Status: To do → No longer needed" in text
    assert "Safety action" in text


def test_the_page_own_opening_reads_viewed(client, case, north):
    assert "<td>Viewed</td>" in history(client, case, north)


def test_an_entry_without_an_actor_reads_the_system(client, case, north):
    from victimsupport.audit.services import AccessKind, record_access

    record_access(actor=None, obj=case, kind=AccessKind.EXPORT)
    text = history(client, case, north)
    assert "<td>the system</td>" in text and "<td>Exported</td>" in text
    assert "<td>None</td>" not in text


def test_the_case_reads_as_its_reference_never_its_id(client, case, north):
    text = history(client, case, north)
    assert f"History of case {case.reference}" in text
    # The links carry the id (the addresses are by id), and so does the language switcher's
    # way back to this page; nothing shown to the reader does.
    shown = re.sub(r'href="[^"]*"|name="next" value="[^"]*"', "", text)
    assert str(case.pk) not in shown and case.pk.hex not in shown


def test_times_are_local_with_the_zone_shown(client, case, north, settings):
    settings.TIME_ZONE = "Europe/Brussels"
    text = history(client, case, north)
    first = AuditEntry.objects.filter(object_pk=str(case.pk)).order_by("seq").first()
    local = timezone.localtime(first.timestamp)
    assert local.tzname() in ("CET", "CEST")
    assert date_format(local, "j M Y H:i T") in text


def _queries(client, url) -> int:
    client.get(url)  # warm: the session's first-seen stamp, caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_a_history_page_costs_the_same_queries_however_long(client, case, mina, north):
    client.force_login(factories.supervisor(north))
    url = f"/cases/{case.pk}/history/"
    few = _queries(client, url)
    # Many more entries, from more users and more kinds of records: two pages' worth.
    others = [factories.caseworker(north, name=f"Extra{i}") for i in range(3)]
    train(mina)
    add_risk(case, mina)
    for i in range(60):
        services.note_add(case=case, actor=others[i % 3], body=f"Call {i}.")
        edit_details(case, others[i % 3], interpreter_needed=bool(i % 2))
    assert AuditEntry.objects.count() > 120
    many = _queries(client, url)
    page = client.get(url).context["page"]
    assert page.has_next
    second_page = _queries(client, url + page.next_url)
    assert few == many == second_page
    # The rows are found in the one query that reads the entries, not a query per covered
    # model (there are about twenty; the whole page took 32 queries that way, 13 now).
    assert few < len(casefile.case_models())
