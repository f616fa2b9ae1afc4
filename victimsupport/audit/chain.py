"""Sealing audit entries into a hash chain, and verifying the chain."""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

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


def compute_seal(entry: AuditEntry) -> str:
    content = {name: _canonical_value(name, getattr(entry, name)) for name in SEALED_FIELDS}
    message = b"\n".join(
        [
            entry.prev_seal.encode(),
            str(entry.seq).encode(),
            json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode(),
        ]
    )
    return hmac.digest(keyring.audit_seal_key(), message, hashlib.sha256).hex()


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


def seal_and_insert(entry: AuditEntry, insert: Callable[[], None]) -> None:
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        _apply_request_context(entry)
        _redact(entry)
        _normalise(entry)
        entry.seq = head.seq + 1
        entry.prev_seal = head.seal
        entry.seal = compute_seal(entry)
        insert()
        head.seq = entry.seq
        head.seal = entry.seal
        head.save(update_fields=["seq", "seal"])


def seal_many(entries: list[AuditEntry], *, batch_size: int = 2000) -> int:
    """Seal and insert many entries in one transaction, holding the chain lock once.

    For bulk loads (the demo seeder). Each entry goes through the same context, redaction,
    normalisation and sealing as a single ``save()``; only the INSERTs are batched.
    """
    if not entries:
        return 0
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        seq, seal = head.seq, head.seal
        for entry in entries:
            if not entry._state.adding or entry.seq is not None:
                raise AuditLogImmutable("Only new entries can be sealed.")
            _apply_request_context(entry)
            _redact(entry)
            _normalise(entry)
            seq += 1
            entry.seq = seq
            entry.prev_seal = seal
            entry.seal = seal = compute_seal(entry)
        # The entries' queryset refuses bulk_create to everyone else; this is the sealed path.
        bulkinsert.insert(AuditEntry, entries, batch_size=batch_size)
        head.seq, head.seal = seq, seal
        head.save(update_fields=["seq", "seal"])
    return len(entries)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    problem: str = ""
    head_seq: int = 0
    head_seal: str = ""


def verify_chain(*, chunk_size: int = 2000, anchor: tuple[int, str] | None = None) -> ChainReport:
    """Walk the chain in order and report the first entry that was changed, removed or
    inserted out of order.

    The head is read first and only entries up to it are walked, so entries written while
    the check runs are left for the next check instead of being reported as tampering.
    ``anchor`` is a (seq, seal) pair recorded earlier outside the database: it proves that
    the log was not cut back or rewritten up to that point, which the chain alone cannot.
    """
    head = ChainHead.objects.filter(pk=1).first()
    head_seq, head_seal = (head.seq, head.seal) if head else (0, "")

    def fail(checked: int, problem: str) -> ChainReport:
        return ChainReport(False, checked, problem, head_seq, head_seal)

    outside = AuditEntry.objects.filter(seq__isnull=True).order_by("pk").first()
    if outside is not None:
        return fail(
            0, f"entry id {outside.pk} is not sealed: it was inserted outside the application"
        )
    if anchor is not None:
        anchored = AuditEntry.objects.filter(seq=anchor[0]).first()
        if anchored is None or not hmac.compare_digest(anchored.seal, anchor[1]):
            return fail(
                0,
                f"entry {anchor[0]} no longer has the seal recorded for it: the log was rewritten",
            )
    expected = 1
    prev_seal = ""
    prev_pk = None
    checked = 0
    entries = AuditEntry.objects.filter(seq__lte=head_seq).order_by("seq")
    for entry in entries.iterator(chunk_size=chunk_size):
        where = f"entry {entry.seq} (id {entry.pk})"
        if entry.seq > expected:
            missing = (
                f"entry {expected}"
                if entry.seq == expected + 1
                else f"entries {expected} to {entry.seq - 1}"
            )
            return fail(checked, f"{missing} removed (the chain jumps to {where})")
        if entry.prev_seal != prev_seal or (prev_pk is not None and entry.pk < prev_pk):
            return fail(
                checked, f"{where} is out of order: it does not follow entry {expected - 1}"
            )
        if not hmac.compare_digest(entry.seal, compute_seal(entry)):
            return fail(checked, f"{where} was changed after it was written")
        checked += 1
        expected = entry.seq + 1
        prev_seal = entry.seal
        prev_pk = entry.pk
    if head_seq > checked:
        return fail(checked, f"entries {checked + 1} to {head_seq} removed from the end of the log")
    if head_seq and head_seal != prev_seal:
        return fail(checked, f"entry {head_seq} does not match the chain head")
    # Entries committed by the application always move the head in the same transaction;
    # anything beyond the head as it is now was added around the application.
    now_head = ChainHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    beyond = AuditEntry.objects.filter(seq__gt=now_head).order_by("seq").first()
    if beyond is not None:
        return fail(
            checked, f"entry {beyond.seq} (id {beyond.pk}) was added outside the application"
        )
    return ChainReport(True, checked, "", head_seq, head_seal)
