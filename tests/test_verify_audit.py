"""The hash chain catches an entry that was changed, removed or inserted out of order."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.testapp.models import Secret
from victimsupport.audit.chain import verify_chain
from victimsupport.audit.models import AuditEntry, ChainHead

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    for i in range(6):
        Secret.objects.create(label=f"row {i}")
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    return entries


def test_an_intact_chain_verifies(chain):
    report = verify_chain()
    assert report.ok and report.checked == 6
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "6 entries verified" in out.getvalue()


def test_a_changed_entry_is_caught(chain):
    AuditEntry.objects.filter(pk=chain[2].pk).update(changes={"label": ["x", "forged"]})
    report = verify_chain()
    assert not report.ok
    assert report.problem == f"entry 3 (id {chain[2].pk}) was changed after it was written"
    with pytest.raises(CommandError, match=r"entry 3 .* was changed"):
        call_command("verify_audit", stdout=StringIO())


def test_a_changed_actor_is_caught(chain):
    AuditEntry.objects.filter(pk=chain[1].pk).update(actor_email="someone@else.example")
    assert "entry 2" in verify_chain().problem


def test_a_removed_entry_is_caught(chain):
    AuditEntry.objects.filter(pk=chain[3].pk).delete()
    report = verify_chain()
    assert not report.ok
    assert report.problem.startswith("entry 4 removed")


def test_entries_removed_from_the_end_are_caught(chain):
    AuditEntry.objects.filter(seq__gte=5).delete()
    assert verify_chain().problem == "entries 5 to 6 removed from the end of the log"


def test_entries_swapped_out_of_order_are_caught(chain):
    a, b = chain[1], chain[2]
    with connection.cursor() as cursor:
        table = AuditEntry._meta.db_table
        cursor.execute(f"UPDATE {table} SET seq = 1000 WHERE id = %s", [a.pk])  # noqa: S608
        cursor.execute(f"UPDATE {table} SET seq = %s WHERE id = %s", [a.seq, b.pk])  # noqa: S608
        cursor.execute(f"UPDATE {table} SET seq = %s WHERE id = %s", [b.seq, a.pk])  # noqa: S608
    report = verify_chain()
    assert not report.ok
    assert "out of order" in report.problem
    assert report.problem.startswith(f"entry 2 (id {b.pk})")


def test_an_entry_inserted_outside_the_application_is_caught(chain):
    forged = chain[0]
    with connection.cursor() as cursor:
        table = AuditEntry._meta.db_table
        cursor.execute(
            f"INSERT INTO {table} (content_type_id, object_pk, object_repr, action, "  # noqa: S608
            "changes_text, timestamp, prev_seal, seal) VALUES (%s, %s, %s, %s, '', %s, '', '')",
            [forged.content_type_id, "999", "forged", 0, forged.timestamp],
        )
    assert "inserted outside the application" in verify_chain().problem


def test_an_entry_appended_with_a_forged_seal_is_caught(chain):
    last = chain[-1]
    with connection.cursor() as cursor:
        table = AuditEntry._meta.db_table
        cursor.execute(
            f"INSERT INTO {table} (content_type_id, object_pk, object_repr, action, "  # noqa: S608
            "changes_text, timestamp, seq, prev_seal, seal) "
            "VALUES (%s, %s, %s, %s, '', %s, %s, %s, %s)",
            [last.content_type_id, "999", "forged", 0, last.timestamp, 7, last.seal, "0" * 64],
        )
    assert not verify_chain().ok


def test_the_chain_restarts_cleanly_on_an_empty_log():
    assert verify_chain().ok
    Secret.objects.create()
    assert ChainHead.objects.get().seq == 1
    assert verify_chain().ok
