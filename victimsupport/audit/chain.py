"""Sealing audit entries into a hash chain, and verifying the chain."""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connection, models, transaction

from victimsupport import bulkinsert
from victimsupport.audit.context import current_actor_and_address, current_system
from victimsupport.audit.models import AuditEntry, AuditLogImmutable, ChainHead
from victimsupport.audit.redaction import REDACTED
from victimsupport.crypto import keyring
from victimsupport.crypto.fields import blind_index_fields, encrypted_fields

SEALED_FIELDS = (
    "timestamp",
    "content_type_id",
    "object_pk",
    "object_id",
    "object_repr",
    "action",
    "changes",
    "changes_text",
    "actor_id",
    "actor_email",
    "remote_addr",
    "remote_port",
    "cid",
    "additional_data",
    "serialized_data",
)


def _canonical_value(name: str, value: Any) -> Any:
    if name == "timestamp" and value is not None:
        return value.astimezone(datetime.UTC).isoformat()
    if name == "object_pk" and value is not None:
        return str(value)
    return value


def _canonical_content(entry: AuditEntry) -> bytes:
    """The sealed fields of ``entry`` as canonical JSON (what the seal and the MAC cover)."""
    content = {name: _canonical_value(name, getattr(entry, name)) for name in SEALED_FIELDS}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


def _seal(prev_seal: str, seq: int, content: bytes) -> str:
    message = b"\n".join([prev_seal.encode(), str(seq).encode(), content])
    return hmac.digest(keyring.audit_seal_key(), message, hashlib.sha256).hex()


def compute_seal(entry: AuditEntry) -> str:
    return _seal(entry.prev_seal, entry.seq, _canonical_content(entry))


def _apply_request_context(entry: AuditEntry) -> None:
    """Attribute the entry to the signed-in user and address of the current request, or,
    outside one, to the user and label given by ``acting_as`` (a command, a task)."""
    actor, address = current_actor_and_address()
    if entry.actor_id is None and actor is not None:
        entry.actor = actor
        entry.actor_email = getattr(actor, "email", None)
    if entry.remote_addr is None and address:
        entry.remote_addr = address
    system = current_system()
    if system is not None:
        entry.additional_data = {"system": system, **(entry.additional_data or {})}


@functools.cache
def secret_field_names(model: type[models.Model] | None) -> frozenset[str]:
    """The fields of ``model`` whose values never enter the log: encrypted and blind index."""
    if model is None:
        return frozenset()
    return frozenset(
        {f.name for f in encrypted_fields(model)} | {f.name for f in blind_index_fields(model)}
    )


def _redact(entry: AuditEntry) -> None:
    """Second line of defence, keyed on field type: registration already masks encrypted
    fields, but a model registered by hand, or a field added later, must not leak either."""
    ct = ContentType.objects.get_for_id(entry.content_type_id)
    entry.object_repr = f"{ct.app_label}.{ct.model} {entry.object_pk}"
    secret = secret_field_names(ct.model_class())
    if not secret:
        return
    if isinstance(entry.changes, dict):
        for name in secret & set(entry.changes):
            value = entry.changes[name]
            if isinstance(value, (list, tuple)):
                entry.changes[name] = [v if v in ("[empty]", None) else REDACTED for v in value]
            else:
                entry.changes[name] = REDACTED
    entry.changes_text = ""
    entry.serialized_data = None


def _normalise(entry: AuditEntry) -> None:
    # Make the in-memory values equal to what the database will give back on reading.
    entry.remote_addr = AuditEntry._meta.get_field("remote_addr").to_python(entry.remote_addr)
    if entry.object_pk is not None:
        entry.object_pk = str(entry.object_pk)
    if isinstance(entry.changes, dict) and not _is_plain_json(entry.changes):
        entry.changes = json.loads(json.dumps(entry.changes, default=str))


def _is_plain_json(changes: dict) -> bool:
    """Whether ``changes`` reads back from JSON as it is (text keys, lists of text or None:
    what auditlog and the bulk path write), so the round trip can be left out."""
    for key, value in changes.items():
        if type(key) is not str or type(value) is not list:
            return False
        for item in value:
            if item is not None and type(item) is not str:
                return False
    return True


def _lock_head() -> tuple[int, str]:
    """Lock the chain head until the transaction ends; its (seq, seal). Plain SQL: this runs
    for every audited write, while every other audited write waits."""
    table = connection.ops.quote_name(ChainHead._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, seal FROM {table} WHERE id = 1{lock}")  # noqa: S608
        row = cursor.fetchone()
    if row is None:  # the first entry ever
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        return head.seq, head.seal
    return row[0], row[1]


def _move_head(seq: int, seal: str) -> None:
    table = connection.ops.quote_name(ChainHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET seq = %s, seal = %s WHERE id = 1", [seq, seal])  # noqa: S608


class _Moved:
    """Whether the head was moved by the entry's INSERT (see ``_head_moved_by_insert``)."""

    def __init__(self) -> None:
        self.done = False

    def __bool__(self) -> bool:
        return self.done


@contextmanager
def _head_moved_by_insert(seq: int, seal: str) -> Iterator[_Moved]:
    """On PostgreSQL, move the chain head in the entry's own INSERT statement.

    One round trip fewer while the head is locked: ``WITH moved AS (UPDATE head ...)
    INSERT INTO entries ...``, PostgreSQL runs the UPDATE exactly once with the INSERT, in
    the same statement, so the head can never be moved without its entry, nor the reverse.
    The INSERT itself is still ``Model.save``'s (its signals, its returned id): only the
    first INSERT into the entries' table inside the block is extended. Elsewhere (SQLite
    has no UPDATE inside WITH), or if no such INSERT was seen, the caller moves the head with
    an UPDATE of its own.
    """
    moved = _Moved()
    if connection.vendor != "postgresql":
        yield moved
        return
    insert = f"INSERT INTO {connection.ops.quote_name(AuditEntry._meta.db_table)} "
    head = connection.ops.quote_name(ChainHead._meta.db_table)

    def extend(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if moved.done or many or not sql.startswith(insert):
            return execute(sql, params, many, context)
        moved.done = True
        sql = f"WITH moved AS (UPDATE {head} SET seq = %s, seal = %s WHERE id = 1) {sql}"  # noqa: S608
        return execute(sql, (seq, seal, *(params or ())), many, context)

    with connection.execute_wrapper(extend):
        yield moved


def _prepare(entry: AuditEntry) -> None:
    _apply_request_context(entry)
    _redact(entry)
    _normalise(entry)


def batch_sealing() -> bool:
    """Whether entries are written pending and sealed after commit (``AUDIT_SEALING=batch``)."""
    return settings.AUDIT_SEALING == "batch"


def seal_and_insert(entry: AuditEntry, insert: Callable[..., None]) -> None:
    """Write ``entry``: sealed into the chain at once (inline), or pending (batch).

    Inline, the chain head stays locked from here until the caller's transaction commits:
    every audited transaction of the application waits for the one before to commit. In
    batch, the entry is written with a MAC of its own and no place in the chain, without the
    lock; ``seal_pending`` chains it, many at a time, once the transaction has committed.
    """
    if batch_sealing():
        _insert_pending(entry, insert)
        return
    # Everything that does not depend on the head is done before taking its lock: every
    # other audited transaction waits while it is held.
    _prepare(entry)
    content = _canonical_content(entry)
    # No savepoint: an error here marks the caller's transaction for rollback anyway.
    with transaction.atomic(savepoint=False):
        seq, seal = _lock_head()
        entry.seq = seq + 1
        entry.prev_seal = seal
        entry.seal = _seal(entry.prev_seal, entry.seq, content)
        with _head_moved_by_insert(entry.seq, entry.seal) as moved:
            insert()
        if not moved:
            _move_head(entry.seq, entry.seal)


def seal_many(entries: list[AuditEntry], *, batch_size: int = 2000) -> int:
    """Seal and insert many entries in one transaction, holding the chain lock once.

    For bulk loads (the demo seeder). Each entry goes through the same context, redaction,
    normalisation and sealing as a single ``save()``; only the INSERTs are batched.
    """
    if not entries:
        return 0
    with transaction.atomic():
        seq, seal = _lock_head()
        for entry in entries:
            if not entry._state.adding or entry.seq is not None:
                raise AuditLogImmutable("Only new entries can be sealed.")
            _prepare(entry)
            seq += 1
            entry.seq = seq
            entry.prev_seal = seal
            entry.seal = seal = compute_seal(entry)
        # The entries' queryset refuses bulk_create to everyone else; this is the sealed path.
        bulkinsert.insert(AuditEntry, entries, batch_size=batch_size)
        _move_head(seq, seal)
    return len(entries)


# --- Batch sealing ---------------------------------------------------------------------------


def compute_pending_mac(entry: AuditEntry) -> str:
    """The MAC a pending entry carries until it is chained: over its id and content, so it
    cannot be changed, forged or copied (a copy has another id) without the key."""
    content = {name: _canonical_value(name, getattr(entry, name)) for name in SEALED_FIELDS}
    message = b"\n".join(
        [
            b"pending",
            str(entry.pk).encode(),
            json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode(),
        ]
    )
    return hmac.new(keyring.audit_seal_key(), message, hashlib.sha256).hexdigest()


def _raw_update(sql: str, rows: list[tuple[Any, ...]]) -> None:
    # The entries' queryset refuses update() to everyone; giving a pending entry its MAC or
    # its place in the chain is the one change allowed, and it is made here only.
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(sql.replace("{t}", table), rows)


def _insert_pending(entry: AuditEntry, insert: Callable[..., None]) -> None:
    _prepare(entry)
    entry.seq = None
    entry.prev_seal = ""
    entry.seal = ""
    with transaction.atomic(savepoint=False):
        insert(force_insert=True)
        entry.seal = compute_pending_mac(entry)
        _raw_update(
            "UPDATE {t} SET seal = %s WHERE id = %s AND seq IS NULL", [(entry.seal, entry.pk)]
        )
    _seal_after_commit()


def _seal_after_commit() -> None:
    """Seal this transaction's pending entries as soon as it commits (once per transaction)."""
    if connection.in_atomic_block and any(
        func is _seal_committed for _, func, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(_seal_committed, robust=True)


def _seal_committed() -> None:
    # Waits for a sealer already at work rather than leaving this transaction's entries to
    # it: that sealer may have made its last look for pending entries before they committed,
    # and would end without them (they would wait for the next seal_audit). Only one sealer
    # runs at a time and each is short, so the wait is short too.
    seal_pending(wait=True)


def pending_entries() -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(seq__isnull=True)


# One sealer of pending entries at a time: a transaction-scoped advisory lock (PostgreSQL),
# which unlike a row lock can be tried without waiting, without an error in the server's log,
# and without making a transaction that found nothing to seal write anything.
_SEALER_LOCK = 0x5EA1


def _take_sealer_lock(*, wait: bool) -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: every transaction takes the database's write lock up front
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEALER_LOCK])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_SEALER_LOCK])
        return bool(cursor.fetchone()[0])


def seal_pending(*, wait: bool = True, batch_size: int = 2000) -> int:
    """Chain the committed pending entries, ``batch_size`` at a time; return how many.

    Runs after each transaction that wrote pending entries, so that a request's entries are
    normally sealed before its answer, and from ``manage.py seal_audit`` (at start-up and on
    a timer) for entries a crash left pending. After a commit it does not wait
    (``wait=False``): when another process is sealing, it returns at once, and that process
    seals this one's entries too, as it goes on until none are left; it sees them, because
    they committed before it let go of the lock. Under load, one short transaction seals
    the entries of many.

    An entry whose own MAC does not hold was not written by the application, or was changed
    while pending: it is never sealed, and ``verify_audit`` reports it.
    """
    sealed = 0
    while True:
        with transaction.atomic():
            if not _take_sealer_lock(wait=wait):
                return sealed
            # Only the holder of the sealer lock chains pending entries, so the batch read
            # here stays pending until it is sealed below.
            batch = list(pending_entries().order_by("pk")[:batch_size])
            good = [e for e in batch if hmac.compare_digest(e.seal, compute_pending_mac(e))]
            if not good:
                return sealed
            seq, seal = _lock_head()
            rows = []
            for entry in good:
                seq += 1
                entry.seq, entry.prev_seal = seq, seal
                entry.seal = seal = compute_seal(entry)
                rows.append((entry.seq, entry.prev_seal, entry.seal, entry.pk))
            _raw_update(
                "UPDATE {t} SET seq = %s, prev_seal = %s, seal = %s WHERE id = %s AND seq IS NULL",
                rows,
            )
            _move_head(seq, seal)
        sealed += len(good)
        if len(good) < len(batch):
            return sealed  # what is left is not the application's: verify_audit reports it


def _in_order(entries: models.QuerySet[AuditEntry], chunk_size: int, *, key: str = "seq") -> Any:
    """The entries ordered by ``key`` a chunk at a time, each chunk its own query: memory stays
    bounded without a server-side cursor, which a pooler in transaction mode cannot keep."""
    entries = entries.order_by(key)
    last = None
    while True:
        page = entries if last is None else entries.filter(**{f"{key}__gt": last})
        chunk = list(page[:chunk_size])
        if not chunk:
            return
        yield from chunk
        last = getattr(chunk[-1], key)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    problem: str = ""
    head_seq: int = 0
    head_seal: str = ""
    # Entries written but not yet chained (batch sealing): not tampering, but not yet
    # protected against removal either; ``manage.py seal_audit`` chains them.
    pending: int = 0


def verify_chain(
    *,
    chunk_size: int = 2000,
    anchor: tuple[int, str] | None = None,
    since: tuple[int, str] | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> ChainReport:
    """Walk the chain in order and report the first entry that was changed, removed or
    inserted out of order.

    The head is read first and only entries up to it are walked, so entries written while
    the check runs are left for the next check instead of being reported as tampering.
    ``anchor`` is a (seq, seal) pair recorded earlier outside the database: it proves that
    the log was not cut back or rewritten up to that point, which the chain alone cannot.
    ``since`` is such a pair too: the walk starts after it instead of at the first entry
    (checking what was written since a known-good head, without reading the whole log).
    ``using`` is the database to check (a restored backup: ``backup_check``).
    """
    heads = ChainHead.objects.using(using)
    log = AuditEntry.objects.using(using)
    head = heads.filter(pk=1).first()
    head_seq, head_seal = (head.seq, head.seal) if head else (0, "")

    def fail(checked: int, problem: str) -> ChainReport:
        return ChainReport(False, checked, problem, head_seq, head_seal)

    # Entries not yet in the chain: pending ones carry the application's MAC (they are
    # sealed by seal_pending); any other was written around the application, or changed.
    pending = 0
    for entry in _in_order(log.filter(seq__isnull=True), chunk_size, key="pk"):
        if not hmac.compare_digest(entry.seal, compute_pending_mac(entry)):
            return fail(
                0,
                f"entry id {entry.pk} is not sealed: it was inserted outside the application"
                " or changed while pending",
            )
        pending += 1
    if anchor is not None:
        anchored = log.filter(seq=anchor[0]).first()
        if anchored is None or not hmac.compare_digest(anchored.seal, anchor[1]):
            return fail(
                0,
                f"entry {anchor[0]} no longer has the seal recorded for it: the log was rewritten",
            )
    expected = 1
    prev_seal = ""
    checked = 0
    entries = log.filter(seq__lte=head_seq)
    if since is not None:
        start = log.filter(seq=since[0]).first()
        if start is None or not hmac.compare_digest(start.seal, since[1]):
            return fail(0, f"entry {since[0]} no longer has the seal it had: the log was rewritten")
        expected, prev_seal = since[0] + 1, since[1]
        entries = entries.filter(seq__gt=since[0])
    for entry in _in_order(entries, chunk_size):
        where = f"entry {entry.seq} (id {entry.pk})"
        if entry.seq > expected:
            missing = (
                f"entry {expected}"
                if entry.seq == expected + 1
                else f"entries {expected} to {entry.seq - 1}"
            )
            return fail(checked, f"{missing} removed (the chain jumps to {where})")
        # The order is the seals' own (seq and prev_seal are sealed), not the ids': with
        # batch sealing, a transaction that commits late is chained after later ids.
        if entry.prev_seal != prev_seal:
            return fail(
                checked, f"{where} is out of order: it does not follow entry {expected - 1}"
            )
        if not hmac.compare_digest(entry.seal, compute_seal(entry)):
            return fail(checked, f"{where} was changed after it was written")
        checked += 1
        expected = entry.seq + 1
        prev_seal = entry.seal
    if head_seq >= expected:
        return fail(checked, f"entries {expected} to {head_seq} removed from the end of the log")
    if head_seq and head_seal != prev_seal:
        return fail(checked, f"entry {head_seq} does not match the chain head")
    # Entries committed by the application always move the head in the same transaction;
    # anything beyond the head as it is now was added around the application.
    now_head = heads.filter(pk=1).values_list("seq", flat=True).first() or 0
    beyond = log.filter(seq__gt=now_head).order_by("seq").first()
    if beyond is not None:
        return fail(
            checked, f"entry {beyond.seq} (id {beyond.pk}) was added outside the application"
        )
    return ChainReport(True, checked, "", head_seq, head_seal, pending)
