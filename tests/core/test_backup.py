"""The backup drill: a dump made, restored into a scratch database, its audit chain verified
from the head recorded with it and every encrypted value decrypted; a tampered dump, the
wrong key or another log's chain head fail it, saying why.

PostgreSQL only (pg_dump, pg_restore, createdb). The data is committed (transactional tests):
pg_dump runs in its own session and sees only committed rows.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from cases.models import Victim
from tests import factories
from victimsupport.audit.models import AuditEntry
from victimsupport.backup import CHECK_ALIAS

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="backups are pg_dump and pg_restore: PostgreSQL only",
    ),
    pytest.mark.django_db(transaction=True, databases=["default", CHECK_ALIAS]),
]


@pytest.fixture
def backed_up(tmp_path, settings, north):
    """A case and a supervisor with a second factor, and a backup of them: dumps in one
    folder, chain heads in another."""
    settings.BACKUP_DIR = str(tmp_path / "dumps")
    settings.BACKUP_ANCHOR_DIR = str(tmp_path / "anchors")
    cara = factories.caseworker(north)
    factories.make_full_case(cara)
    factories.supervisor(north)

    def backup():
        out = StringIO()
        call_command("backup", stdout=out)
        return out.getvalue()

    return backup


def check(*args: str) -> str:
    out = StringIO()
    call_command("backup_check", *args, stdout=out, stderr=out)
    return out.getvalue()


def check_fails(*args: str) -> str:
    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("backup_check", *args, stdout=out, stderr=out)
    return f"{out.getvalue()}\n{failed.value}"


def scratch_databases() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", ["%restorecheck%"])
        return [row[0] for row in cursor.fetchall()]


def test_a_backup_restores_verifies_and_decrypts(backed_up, tmp_path):
    written = backed_up()
    assert "Chain head: " in written
    dumps = list((tmp_path / "dumps").glob("casework-*.dump"))
    anchors = list((tmp_path / "anchors").glob("casework-*.anchor"))
    assert len(dumps) == 1 and len(anchors) == 1
    assert not list((tmp_path / "dumps").glob("*.anchor")), "the chain head is kept apart"

    report = check()
    assert "Backup check passed" in report
    counts = dict(
        line.strip().split(": ", 1)
        for line in report.splitlines()
        if line.startswith("  ") and ": " in line
    )
    assert int(counts["tables"]) > 50
    assert int(counts["rows"]) > 0
    # The person's name, contact details, answers... and the supervisor's TOTP secret.
    assert int(counts["encrypted values decrypted"]) >= 10
    assert int(counts["audit entries verified"]) == AuditEntry.objects.count()
    assert scratch_databases() == []


def test_a_changed_audit_entry_fails_the_check(backed_up):
    entry = AuditEntry.objects.order_by("seq").first()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEntry._meta.db_table} SET object_repr = %s WHERE id = %s",  # noqa: S608
            ["cases.case 999", entry.pk],
        )
    backed_up()
    failure = check_fails()
    assert f"entry {entry.seq} (id {entry.pk}) was changed after it was written" in failure
    assert scratch_databases() == []


def test_an_encrypted_value_moved_to_another_column_fails_the_check(backed_up):
    victim = Victim.objects.get()
    table = Victim._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET family_name = given_name WHERE id = %s",  # noqa: S608
            [victim.pk],
        )
    backed_up()
    failure = check_fails()
    assert f"cases.Victim id {victim.pk}" in failure
    assert "cases.victim.family_name: value failed authentication" in failure
    assert victim.given_name not in failure, "the report names where, never what"


def test_the_wrong_key_fails_the_check(backed_up, settings):
    backed_up()
    settings.FIELD_ENCRYPTION_KEYS = {"k1": bytes([9]) * 32}
    failure = check_fails()
    assert "value failed authentication" in failure


def test_a_missing_key_fails_the_check(backed_up, settings):
    backed_up()
    settings.FIELD_ENCRYPTION_KEYS = {"k2": bytes([9]) * 32}
    settings.FIELD_ENCRYPTION_ACTIVE_KEY = "k2"
    failure = check_fails()
    assert "written under unknown key id 'k1'" in failure


def test_another_logs_chain_head_fails_the_check(backed_up):
    backed_up()
    failure = check_fails("--anchor", "1:" + "0" * 64)
    assert "entry 1 no longer has the seal recorded for it: the log was rewritten" in failure


def test_a_dump_without_its_chain_head_is_refused(backed_up, tmp_path, settings):
    backed_up()
    settings.BACKUP_ANCHOR_DIR = str(tmp_path / "elsewhere")
    failure = check_fails()
    assert "No chain head for this dump" in failure


def test_a_damaged_dump_fails_the_restore(backed_up, tmp_path):
    backed_up()
    dump = next((tmp_path / "dumps").glob("casework-*.dump"))
    data = dump.read_bytes()
    dump.write_bytes(data[: len(data) // 2])
    failure = check_fails()
    assert "the restore failed: pg_restore failed" in failure
    assert scratch_databases() == []


def test_the_seal_key_is_checked_too(backed_up, settings):
    backed_up()
    settings.AUDIT_SEAL_KEY = bytes([7]) * 32
    failure = check_fails()
    assert "was changed after it was written" in failure


def test_backups_are_not_taken_through_pgbouncer(settings, tmp_path):
    settings.DATABASE_POOLER = "pgbouncer-transaction"
    with pytest.raises(CommandError, match="Connect straight to PostgreSQL for backups"):
        call_command("backup", "--dir", str(tmp_path), stdout=StringIO())
