"""Sealing under concurrent writers, and batch sealing (AUDIT_SEALING=batch): entries written
pending with a MAC of their own, chained after commit; what verify_audit says meanwhile."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.testapp.models import Secret
from victimsupport.audit.chain import pending_entries, seal_pending, verify_chain
from victimsupport.audit.models import AuditEntry, ChainHead

TABLE = AuditEntry._meta.db_table


def sql(statement: str, params=()) -> None:
    """Tamper as someone with database access would: around the application."""
    with connection.cursor() as cursor:
        cursor.execute(statement.replace("{t}", TABLE), params)


def assert_one_chain(total: int) -> None:
    """Seqs 1..total, each entry following the one before: no fork, no gap."""
    entries = list(AuditEntry.objects.order_by("seq").values_list("seq", "prev_seal", "seal"))
    assert [seq for seq, _, _ in entries] == list(range(1, total + 1))
    assert all(prev == entries[i - 1][2] for i, (_, prev, _) in enumerate(entries) if i)
    assert ChainHead.objects.get().seq == total
    report = verify_chain()
    assert report.ok and report.checked == total and report.pending == 0, report.problem


@pytest.fixture
def batch(settings):
    settings.AUDIT_SEALING = "batch"


# --- Batch sealing, on both databases ---------------------------------------------------------


@pytest.mark.django_db
def test_batch_entries_are_sealed_when_their_transaction_commits(
    batch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for i in range(3):
            Secret.objects.create(label=f"row {i}")
        # Inside the transaction: written, with their own MACs, not yet in the chain.
        assert pending_entries().count() == 3
        assert not AuditEntry.objects.filter(seq__isnull=False).exists()
    assert not pending_entries().exists()
    assert_one_chain(3)


@pytest.mark.django_db
def test_a_pending_entry_is_reported_as_pending_not_as_tampering(batch):
    # No commit callbacks run in this test's transaction: as if the process died after commit.
    Secret.objects.create(label="left pending")
    report = verify_chain()
    assert report.ok and report.pending == 1 and report.checked == 0
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "1 entries are pending" in out.getvalue()
    out = StringIO()
    call_command("seal_audit", stdout=out)
    assert "1 pending audit entries sealed" in out.getvalue()
    assert_one_chain(1)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "pending" not in out.getvalue()


@pytest.mark.django_db
def test_a_pending_entry_changed_before_sealing_is_caught_and_never_sealed(batch):
    Secret.objects.create(label="first")
    Secret.objects.create(label="second")
    first, second = pending_entries().order_by("pk")
    sql("UPDATE {t} SET actor_email = 'someone@else.example' WHERE id = %s", [first.pk])
    report = verify_chain()
    assert not report.ok
    assert report.problem.startswith(f"entry id {first.pk} is not sealed")
    # The sealer chains what the application wrote and leaves the changed one out.
    assert seal_pending() == 1
    assert AuditEntry.objects.get(pk=second.pk).seq == 1
    assert AuditEntry.objects.get(pk=first.pk).seq is None
    assert not verify_chain().ok


@pytest.mark.django_db
def test_a_copied_pending_entry_is_not_sealed(batch):
    Secret.objects.create(label="once")
    original = pending_entries().get()
    columns = [f.column for f in AuditEntry._meta.concrete_fields if f.column not in ("id", "seq")]
    names = ", ".join(columns)
    sql(f"INSERT INTO {{t}} ({names}) SELECT {names} FROM {{t}} WHERE id = %s", [original.pk])  # noqa: S608
    assert seal_pending() == 1
    assert AuditEntry.objects.get(pk=original.pk).seq == 1
    assert "not sealed" in verify_chain().problem


@pytest.mark.django_db
def test_inline_and_batch_entries_share_one_chain(settings, django_capture_on_commit_callbacks):
    Secret.objects.create(label="inline")
    settings.AUDIT_SEALING = "batch"
    with django_capture_on_commit_callbacks(execute=True):
        Secret.objects.create(label="batch")
    settings.AUDIT_SEALING = "inline"
    Secret.objects.create(label="inline again")
    assert_one_chain(3)


@pytest.mark.django_db
def test_an_inline_entry_moves_the_head_in_as_few_statements_as_the_database_allows():
    Secret.objects.create(label="first")
    with CaptureQueriesContext(connection) as queries:
        Secret.objects.create(label="second")
    entry = AuditEntry.objects.get(seq=2)
    head = ChainHead.objects.get()
    assert (head.seq, head.seal) == (entry.seq, entry.seal)
    head_updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    if connection.vendor == "postgresql":
        # Locked with SELECT ... FOR UPDATE, moved by the entry's own INSERT statement.
        assert not head_updates
        assert sum(ChainHead._meta.db_table in q["sql"] for q in queries.captured_queries) == 2
    else:
        assert len(head_updates) == 1
    assert_one_chain(2)


@pytest.mark.django_db
def test_verify_since_a_known_head_checks_only_what_came_after():
    for i in range(4):
        Secret.objects.create(label=f"row {i}")
    second = AuditEntry.objects.get(seq=2)
    report = verify_chain(since=(2, second.seal))
    assert report.ok and report.checked == 2
    assert "no longer has the seal" in verify_chain(since=(2, "0" * 64)).problem
    sql("DELETE FROM {t} WHERE seq = 3")
    assert verify_chain(since=(2, second.seal)).problem.startswith("entry 3 removed")


# --- Concurrent writers on PostgreSQL -----------------------------------------------------------


WRITERS = 6
EACH = 15


def write_concurrently() -> None:
    """WRITERS threads, each with its own connection, each committing EACH audited rows."""
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                Secret.objects.create(label=f"w{k} {i}")
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite takes one writer at a time (IMMEDIATE transactions): nothing can fork there",
)


@postgres_only
@pytest.mark.django_db
def test_a_failed_entry_insert_leaves_the_head_where_it_was():
    first = Secret.objects.create(label="first")
    before = ChainHead.objects.values_list("seq", "seal").get()
    with pytest.raises(DataError), transaction.atomic():
        # Longer than the column: the INSERT, and the head's move inside it, fail as one.
        AuditEntry.objects.log_create(first, force_log=True, action=3, object_pk="9" * 300)
    assert ChainHead.objects.values_list("seq", "seal").get() == before
    assert_one_chain(1)


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["inline", "batch"])
def test_concurrent_writers_never_fork_the_chain(settings, mode):
    settings.AUDIT_SEALING = mode
    write_concurrently()
    # Batch: every writer sealed after its commit, or left it to the one sealing then.
    assert seal_pending() == 0
    assert_one_chain(WRITERS * EACH)


@pytest.mark.django_db
def test_the_log_pages_only_chained_entries_so_a_pending_one_never_breaks_the_pager(batch, client):
    from tests import factories
    from victimsupport.access import Role

    client.force_login(factories.make_user("Aud", role=Role.AUDITOR))
    # No commit callbacks in a test's transaction: these stay pending, as between a commit and
    # its sealing (an entry without a seq would lead a page sorted by -seq on PostgreSQL).
    for i in range(3):
        Secret.objects.create(label=f"pending {i}")
    assert pending_entries().count() >= 3
    response = client.get("/audit/")
    assert response.status_code == 200
    shown = {entry.pk for entry in response.context["page"]}
    assert not shown & set(pending_entries().values_list("pk", flat=True))
