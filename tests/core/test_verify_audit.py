"""The hash chain catches an entry that was changed, removed or inserted out of order."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.testapp.models import Secret
from victimsupport.audit.chain import verify_chain
from victimsupport.audit.models import AuditEntry, AuditLogImmutable, ChainHead

pytestmark = pytest.mark.django_db


TABLE = AuditEntry._meta.db_table


def sql(statement: str, params=()) -> None:
    """Tamper as someone with database access would: around the application."""
    with connection.cursor() as cursor:
        cursor.execute(statement.replace("{t}", TABLE), params)


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
    sql("UPDATE {t} SET object_repr = %s WHERE id = %s", ["forged", chain[2].pk])
    report = verify_chain()
    assert not report.ok
    assert report.problem == f"entry 3 (id {chain[2].pk}) was changed after it was written"
    with pytest.raises(CommandError, match=r"entry 3 .* was changed"):
        call_command("verify_audit", stdout=StringIO())


def test_a_changed_actor_is_caught(chain):
    sql("UPDATE {t} SET actor_email = 'someone@else.example' WHERE id = %s", [chain[1].pk])
    assert "entry 2" in verify_chain().problem


def test_a_removed_entry_is_caught(chain):
    sql("DELETE FROM {t} WHERE id = %s", [chain[3].pk])
    report = verify_chain()
    assert not report.ok
    assert report.problem.startswith("entry 4 removed")


def test_entries_removed_from_the_end_are_caught(chain):
    sql("DELETE FROM {t} WHERE seq >= 5")
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


def test_a_log_cut_back_with_its_head_is_caught_by_an_anchor(chain):
    out = StringIO()
    call_command("verify_audit", stdout=out)
    anchor = next(line for line in out.getvalue().splitlines() if line.startswith("Chain head:"))
    anchor = anchor.split(": ", 1)[1]
    assert anchor == f"6:{chain[-1].seal}"
    # Someone with database access removes the last two entries and rewinds the head.
    sql("DELETE FROM {t} WHERE seq >= 5")
    head = ChainHead.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ChainHead._meta.db_table} SET seq = 4, seal = %s WHERE id = %s",  # noqa: S608
            [chain[3].seal, head.pk],
        )
    assert verify_chain().ok  # the chain alone cannot tell...
    with pytest.raises(CommandError, match="entry 6 no longer has the seal"):
        call_command("verify_audit", "--anchor", anchor, stdout=StringIO())  # ...the anchor can


def test_anchor_must_be_well_formed(chain):
    with pytest.raises(CommandError, match="SEQ:SEAL"):
        call_command("verify_audit", "--anchor", "six", stdout=StringIO())


def test_entries_written_during_a_check_are_not_reported(chain, monkeypatch):
    from victimsupport.audit import chain as chain_module

    real = chain_module.compute_seal
    written = []

    def seal_and_write_meanwhile(entry):
        if not written:
            written.append(True)  # before writing: the write itself seals an entry
            Secret.objects.create(label="during the check")
        return real(entry)

    monkeypatch.setattr(chain_module, "compute_seal", seal_and_write_meanwhile)
    report = verify_chain()
    monkeypatch.setattr(chain_module, "compute_seal", real)
    assert report.ok and report.checked == 6
    assert verify_chain().checked > 6


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


def test_the_orm_refuses_to_update_or_delete_entries(chain):
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.filter(pk=chain[0].pk).update(object_repr="forged")
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.filter(pk=chain[0].pk).delete()
    assert verify_chain().ok


def test_deleting_a_user_with_audit_entries_is_refused():
    from django.db.models import ProtectedError

    from tests import factories

    team = factories.make_team()
    cara = factories.caseworker(team)
    case = factories.make_case(team=team, assigned_to=None)
    from victimsupport.audit.services import AccessKind, record_access

    record_access(actor=cara, obj=case, kind=AccessKind.VIEW)
    with pytest.raises(ProtectedError):
        cara.delete()
    assert verify_chain().ok
