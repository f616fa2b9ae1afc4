"""Backups (pg_dump, custom format) and the drill that proves one can be restored and read.

A dump alone is unreadable (every personal value is encrypted under keys kept elsewhere), and
the keys alone are useless: ``check_backup`` restores a dump into a scratch database, verifies
the audit chain against the head recorded when the dump was taken, and decrypts every
encrypted value with the key ring of this environment. docs/operations.md says where each
part is kept.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from victimsupport.audit.chain import verify_chain
from victimsupport.audit.models import ChainHead
from victimsupport.crypto import DecryptionError
from victimsupport.crypto.fields import blind_index_fields
from victimsupport.crypto.rotation import encrypted_models, token_stores

DUMP_SUFFIX = ".dump"
ANCHOR_SUFFIX = ".anchor"
_NAME = re.compile(r"^casework-\d{8}T\d{6}Z\.dump$")
# Problems listed in the report; past this many, only counted.
MAX_PROBLEMS = 20
# The connection alias of the restored database while it is checked.
CHECK_ALIAS = "backup_check"


class BackupError(Exception):
    """The backup or the drill could not be done (a tool missing, a restore error)."""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} was not found: install the PostgreSQL client tools.")
    return found


def _postgres_settings(alias: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    settings_dict = connections[alias].settings_dict
    if settings_dict["ENGINE"] != "django.db.backends.postgresql":
        raise BackupError("Backups are of a PostgreSQL database (DATABASE_URL is not one).")
    if settings.DATABASE_POOLER:
        # pg_dump holds one snapshot and its session settings for the whole dump.
        raise BackupError(
            "Connect straight to PostgreSQL for backups: DATABASE_URL without PgBouncer, "
            "and DATABASE_POOLER unset."
        )
    return settings_dict


def _libpq_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The connection as libpq variables: the password never appears on a command line."""
    env = dict(os.environ)
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        tool = Path(args[0]).name
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{tool} failed: " + (" / ".join(detail[-5:]) or "no message"))


# --- Taking a backup ----------------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    dump: Path
    anchor_file: Path
    anchor: str  # "seq:seal" of the audit chain's head, read before the dump started


def chain_head(alias: str = DEFAULT_DB_ALIAS) -> str:
    head = ChainHead.objects.using(alias).filter(pk=1).first()
    return f"{head.seq}:{head.seal}" if head and head.seq else ""


def make_backup(*, directory: Path, anchor_directory: Path | None = None) -> Backup:
    """pg_dump (custom format) of the default database into ``directory``.

    The chain head is read first: every entry up to it is committed, so it is in the dump,
    whose snapshot starts after. The dump is written under a temporary name and renamed when
    complete, so an interrupted backup never passes for the latest one.
    """
    settings_dict = _postgres_settings()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    dump = directory / f"casework-{stamp}{DUMP_SUFFIX}"
    partial = dump.with_name(dump.name + ".partial")
    anchor = chain_head()
    # The dump holds every case (encrypted) and who did what: readable by its owner only,
    # whatever the umask of the process or the mode of an existing BACKUP_DIR.
    partial.touch(mode=0o600)
    partial.chmod(0o600)
    _run(
        [
            _tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={partial}",
            "--dbname",
            str(settings_dict["NAME"]),
        ],
        _libpq_env(settings_dict),
    )
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    partial.rename(dump)
    anchor_file = (anchor_directory or directory) / f"casework-{stamp}{ANCHOR_SUFFIX}"
    anchor_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    anchor_file.write_text(anchor + "\n")
    return Backup(dump=dump, anchor_file=anchor_file, anchor=anchor)


def latest_dump(directory: Path) -> Path:
    dumps = sorted(p for p in directory.glob(f"*{DUMP_SUFFIX}") if _NAME.match(p.name))
    if not dumps:
        raise BackupError(f"No backup (casework-*.dump) in {directory}.")
    return dumps[-1]


def read_anchor(text: str) -> tuple[int, str] | None:
    """``seq:seal`` as written by ``make_backup`` (empty: the log was empty then)."""
    text = text.strip()
    if not text:
        return None
    seq, sep, seal = text.partition(":")
    if not sep or not seq.isdigit() or not re.fullmatch(r"[0-9a-f]{64}", seal):
        raise BackupError("The chain head must be SEQ:SEAL, as the backup wrote it.")
    return int(seq), seal


# --- The drill ----------------------------------------------------------------------------


@dataclass
class CheckReport:
    dump: Path
    database: str = ""
    tables: int = 0
    rows: int = 0
    decrypted: int = 0
    audit_entries: int = 0
    failures: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failures == 0

    def fail(self, problem: str) -> None:
        self.failures += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


def _scratch_name(primary: str) -> str:
    # Unique, recognisable, and within PostgreSQL's 63 characters.
    return f"{primary[:40]}_restorecheck_{secrets.token_hex(4)}".lower()


def check_backup(
    *, dump: Path, anchor: tuple[int, str] | None, require_anchor: bool = True
) -> CheckReport:
    """Restore ``dump`` into a new database, verify and decrypt everything, drop it."""
    report = CheckReport(dump=dump)
    if anchor is None and require_anchor:
        report.fail(
            "no chain head was given for this backup: without it a log cut back before the "
            "dump cannot be told from a whole one"
        )
        return report
    settings_dict = _postgres_settings()
    env = _libpq_env(settings_dict)
    name = _scratch_name(str(settings_dict["NAME"]))
    report.database = name
    alias = CHECK_ALIAS
    _run([_tool("createdb"), "--template=template0", name], env)
    try:
        try:
            _run(
                [
                    _tool("pg_restore"),
                    "--exit-on-error",
                    "--no-owner",
                    "--no-privileges",
                    f"--dbname={name}",
                    str(dump),
                ],
                env,
            )
        except BackupError as exc:
            report.fail(f"the restore failed: {exc}")
            return report
        with _database(alias, {**settings_dict, "NAME": name}):
            _count_rows(alias, report)
            _verify(alias, anchor, report)
            _decrypt_everything(alias, report)
            _check_blind_indexes(alias, report)
    finally:
        # --force: a connection left open (the check's own, after an error) must not keep a
        # full copy of the case records on the server.
        try:
            _run([_tool("dropdb"), "--force", "--if-exists", name], env)
        except BackupError as exc:
            report.fail(f"the scratch database {name} could not be dropped: {exc}")
    return report


@contextlib.contextmanager
def _database(alias: str, settings_dict: dict[str, Any]) -> Iterator[None]:
    """A connection alias for the restored database, for as long as the check runs (and
    whatever the alias was before, back afterwards: the test settings define it)."""
    before = connections.settings.get(alias)
    test = {**settings_dict.get("TEST", {}), "MIRROR": None, "NAME": None}
    _forget(alias)
    connections.settings[alias] = {**settings_dict, "TEST": test}
    try:
        yield
    finally:
        _forget(alias)
        if before is None:
            connections.settings.pop(alias, None)
        else:
            connections.settings[alias] = before


def _forget(alias: str) -> None:
    if alias in connections.settings:
        connections[alias].close()
        del connections[alias]


def _count_rows(alias: str, report: CheckReport) -> None:
    connection = connections[alias]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        report.tables = len(tables)
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            report.rows += cursor.fetchone()[0]


def _verify(alias: str, anchor: tuple[int, str] | None, report: CheckReport) -> None:
    chain = verify_chain(anchor=anchor, using=alias)
    report.audit_entries = chain.checked
    if not chain.ok:
        report.fail(f"the audit log: {chain.problem}")


def _rows(alias: str, model: Any, columns: list[str], size: int = 1000) -> Iterator[tuple]:
    """(pk, raw column values...) in primary-key order, a batch per query, not decrypted."""
    connection = connections[alias]
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    cols = ", ".join(qn(c) for c in columns)
    last = None
    while True:
        where = f"WHERE {pk} > %s " if last is not None else ""
        params = [last, size] if last is not None else [size]
        with connection.cursor() as cursor:
            sql = f"SELECT {pk}, {cols} FROM {table} {where}ORDER BY {pk} LIMIT %s"  # noqa: S608
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def _decrypt_everything(alias: str, report: CheckReport) -> None:
    for model, fields in encrypted_models():
        for row in _rows(alias, model, [f.column for f in fields]):
            for f, raw in zip(fields, row[1:], strict=True):
                if raw is None:
                    continue
                try:
                    f.decrypt_column(raw)
                except DecryptionError as exc:
                    # The message names the field and key id, never the content.
                    report.fail(f"{model._meta.label} id {row[0]}: {exc}")
                else:
                    report.decrypted += 1
    for store in token_stores():
        decrypted, problems = store.decrypt_all(using=alias)
        report.decrypted += decrypted
        for problem in problems:
            report.fail(f"{store.label}: {problem}")


def _check_blind_indexes(alias: str, report: CheckReport) -> None:
    """Each blind index recomputed from its decrypted source: under another BLIND_INDEX_KEY
    every exact-match search (the duplicate check at intake) would silently find nothing."""
    from django.apps import apps

    if report.failures:
        return  # values that do not decrypt have been reported; their indexes cannot be checked
    for model in apps.get_models():
        meta = model._meta
        indexes = [f for f in blind_index_fields(model) if f.model is model]
        if meta.proxy or not meta.managed or not indexes:
            continue
        rows = model._base_manager.using(alias).order_by("pk")
        last = None
        while batch := list((rows if last is None else rows.filter(pk__gt=last))[:500]):
            for obj in batch:
                for f in indexes:
                    if getattr(obj, f.attname) != f.digest(f.source_value(obj)):
                        report.fail(
                            f"{meta.label} id {obj.pk}: the blind index {f.name} does not "
                            "match its value (was BLIND_INDEX_KEY changed?)"
                        )
            last = batch[-1].pk
