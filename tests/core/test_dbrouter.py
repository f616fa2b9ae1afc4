"""The read replica: which reads may go there, and that everything else stays on the primary.

The test settings give a second alias, ``replica``, on the same test database (a Django test
MIRROR), as a streaming replica would be; the router uses it only where a test sets
READ_REPLICA_ALIAS. The page tests commit their data (transactional), since the replica's
connection, like a real replica, sees only committed rows.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case
from premises.models import Site
from tests import factories
from victimsupport.audit.models import AuditEntry
from victimsupport.dbrouter import (
    PIN_SESSION_KEY,
    REPLICA,
    ReplicaRouter,
    _request,
    _RequestState,
    reads_from_replica,
    replica_reads,
)

router = ReplicaRouter()


@pytest.fixture
def with_replica(settings):
    settings.READ_REPLICA_ALIAS = REPLICA
    yield
    connections[REPLICA].close()


def _in_request(*, safe: bool = True, pinned: bool = False):
    return _request.set(_RequestState(safe=safe, pinned=lambda: pinned))


# --- The router's decisions (no database needed) ---------------------------------------------


def test_without_a_replica_every_read_goes_to_the_primary(settings):
    settings.READ_REPLICA_ALIAS = None
    with replica_reads():
        assert router.db_for_read(Case) == DEFAULT_DB_ALIAS


def test_reads_go_to_the_primary_unless_marked(with_replica):
    assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
    with replica_reads():
        assert router.db_for_read(Case) == REPLICA
    assert router.db_for_read(Case) == DEFAULT_DB_ALIAS


def test_the_marker_works_as_a_decorator_too(with_replica):
    @replica_reads()
    def figures():
        return router.db_for_read(Case)

    assert figures() == REPLICA
    assert router.db_for_read(Case) == DEFAULT_DB_ALIAS


def test_writes_always_go_to_the_primary(with_replica):
    with replica_reads():
        assert router.db_for_write(Case) == DEFAULT_DB_ALIAS
        assert router.db_for_write(AuditEntry) == DEFAULT_DB_ALIAS


def test_sessions_cache_and_tasks_are_read_from_the_primary(with_replica):
    with replica_reads():
        assert router.db_for_read(Session) == DEFAULT_DB_ALIAS


def test_a_post_reads_from_the_primary(with_replica):
    token = _in_request(safe=False)
    try:
        with replica_reads():
            assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
    finally:
        _request.reset(token)


def test_someone_who_just_wrote_reads_from_the_primary(with_replica):
    token = _in_request(pinned=True)
    try:
        with replica_reads():
            assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
    finally:
        _request.reset(token)
    token = _in_request(pinned=False)
    try:
        with replica_reads():
            assert router.db_for_read(Case) == REPLICA
    finally:
        _request.reset(token)


def test_the_replica_is_never_migrated():
    assert router.allow_migrate(REPLICA, "cases") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "cases") is None


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_stay_on_the_primary(with_replica):
    with replica_reads():
        with transaction.atomic():
            assert not reads_from_replica(Case)
            assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
        assert reads_from_replica(Case)


# --- Pages -----------------------------------------------------------------------------------


@pytest.fixture
def office(north):
    sofia = factories.supervisor(north, "Sofia")
    site = factories.make_site(north, kind="office", name="North office", created_by=sofia)
    return sofia, site


def _selects(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]


def _get(client, url):
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        response = client.get(url)
    return response, on_replica, on_primary


@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_a_dashboard_reads_from_the_replica(client, with_replica, office):
    sofia, _site = office
    client.force_login(sofia)
    response, on_replica, on_primary = _get(client, reverse("premises:dashboard"))
    assert response.status_code == 200
    assert any("premises_site" in sql for sql in _selects(on_replica))
    # The session and the user came from the primary, before the view.
    assert not any("premises_site" in sql for sql in _selects(on_primary))


@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_audit_entries_of_a_replica_page_are_written_to_the_primary(client, with_replica, office):
    sofia, site = office
    client.force_login(sofia)
    before = AuditEntry.objects.count()
    response, on_replica, on_primary = _get(client, reverse("premises:photos", args=[site.pk]))
    assert response.status_code == 200
    assert _selects(on_replica), "the page's reads went to the replica"
    table = AuditEntry._meta.db_table
    # On PostgreSQL the entry's INSERT also moves the chain head (WITH moved AS (UPDATE ...)).
    assert any("INSERT INTO" in q["sql"] and table in q["sql"] for q in on_primary)
    assert not any(table in q["sql"] and "INSERT" in q["sql"] for q in on_replica)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1 and entry.actor_id == sofia.pk


@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_after_a_write_the_same_person_reads_from_the_primary(
    client, settings, with_replica, office
):
    sofia, _site = office
    client.force_login(sofia)
    response = client.post(
        reverse("premises:site_new"),
        {
            "team": sofia.teams.get().pk,
            "name": "Riverside office",
            "kind": "office",
            "address": "3 Mill Lane, Emberfield",
            "opening": "walk_in",
            "walk_in_hours": "Tuesday 10:00 to 13:00",
            "status": "open",
        },
    )
    assert response.status_code == 302
    assert Site.objects.filter(opening="walk_in").exists()
    assert client.session[PIN_SESSION_KEY] > time.time()

    response, on_replica, on_primary = _get(client, reverse("premises:dashboard"))
    assert response.status_code == 200
    assert not on_replica.captured_queries
    assert any("premises_site" in sql for sql in _selects(on_primary))

    # Once the pin has passed, the dashboard reads from the replica again.
    session = client.session
    session[PIN_SESSION_KEY] = int(time.time()) - 1
    session.save()
    response, on_replica, _on_primary = _get(client, reverse("premises:dashboard"))
    assert response.status_code == 200 and _selects(on_replica)


@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_someone_else_is_not_pinned_by_another_persons_write(client, with_replica, office):
    sofia, _site = office
    client.force_login(sofia)
    response, on_replica, _ = _get(client, reverse("premises:dashboard"))
    assert response.status_code == 200 and _selects(on_replica)
    assert PIN_SESSION_KEY not in client.session


@pytest.mark.django_db
def test_without_a_replica_nothing_is_pinned(client, office):
    sofia, _site = office
    client.force_login(sofia)
    response = client.get(reverse("premises:dashboard"))
    assert response.status_code == 200
    assert PIN_SESSION_KEY not in client.session
