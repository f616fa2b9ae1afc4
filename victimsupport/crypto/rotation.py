"""Re-encrypting every encrypted column under the active key, in resumable batches.

Encrypted model fields are found by introspection. Tokens kept elsewhere (inside a library's
JSON column, such as allauth's second-factor secrets) are covered by a registered TokenStore,
so that the census, which says when an old key may be removed, counts them too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.apps import apps
from django.db import connection, models, transaction

from victimsupport.crypto import keyring
from victimsupport.crypto.fields import EncryptedFieldMixin, encrypted_fields


@dataclass
class ModelProgress:
    label: str
    rows: int = 0
    checked: int = 0
    rewritten: int = 0


@dataclass
class RotationReport:
    active: str
    before: Counter[str] = field(default_factory=Counter)
    models: list[ModelProgress] = field(default_factory=list)

    @property
    def rewritten(self) -> int:
        return sum(m.rewritten for m in self.models)


class TokenStore(Protocol):
    """Key-ring tokens stored outside encrypted model fields."""

    label: str

    def count(self) -> int:
        """Rows to check."""

    def key_ids(self) -> Iterator[str]:
        """The key id of every stored token."""

    def decrypt_all(self, *, using: str) -> tuple[int, list[str]]:
        """Decrypt every stored token in database ``using``: how many did, and a message
        (where, never what) for each that did not (the backup drill)."""

    def rotate(
        self, *, active: str, batch_size: int, progress: ModelProgress, before: Counter[str]
    ) -> Iterator[None]:
        """Re-encrypt under ``active`` in committed batches, yielding after each one; count
        the key ids found in ``before`` and the work done in ``progress``."""


_stores: dict[str, TokenStore] = {}


def register_store(store: TokenStore) -> None:
    """Include ``store`` in the census and in rotation (once per label)."""
    _stores[store.label] = store


def token_stores() -> list[TokenStore]:
    return list(_stores.values())


def encrypted_models() -> Iterator[tuple[type[models.Model], list[EncryptedFieldMixin]]]:
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        # Only the columns of this model's own table (multi-table inheritance keeps the
        # parent's columns in the parent's table, which is visited on its own).
        fields = encrypted_fields(model, local=True)
        if fields:
            yield model, fields


def _batches(
    model: type[models.Model], fields: list[EncryptedFieldMixin], batch_size: int
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of (pk, raw column values...) in primary-key order, read without decrypting."""
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    pk = qn(model._meta.pk.column)
    cols = ", ".join(qn(f.column) for f in fields)
    last = None
    while True:
        where = f"WHERE {pk} > %s " if last is not None else ""
        sql = f"SELECT {pk}, {cols} FROM {table} {where}ORDER BY {pk} LIMIT %s"  # noqa: S608
        params = [last, batch_size] if last is not None else [batch_size]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def key_census() -> Counter[str]:
    """How many stored values each key id protects."""
    census: Counter[str] = Counter()
    for model, fields in encrypted_models():
        for rows in _batches(model, fields, 1000):
            for row in rows:
                for f, raw in zip(fields, row[1:], strict=True):
                    if raw is not None:
                        census[f.column_key_id(raw)] += 1
    for store in token_stores():
        census.update(store.key_ids())
    return census


def rotate(
    *, batch_size: int = 500, progress: Callable[[ModelProgress], None] | None = None
) -> RotationReport:
    """Re-encrypt every value not under the active key. Safe to interrupt and run again:
    committed batches stay done, and values already under the active key are skipped. Each
    row is rewritten only if it still holds the token we read (a concurrent edit wins)."""
    active = keyring.active_key_id()
    report = RotationReport(active=active)
    qn = connection.ops.quote_name
    for model, fields in encrypted_models():
        progress_row = ModelProgress(label=model._meta.label, rows=model._base_manager.count())
        report.models.append(progress_row)
        table = qn(model._meta.db_table)
        pk_col = qn(model._meta.pk.column)
        for rows in _batches(model, fields, batch_size):
            with transaction.atomic():
                for row in rows:
                    pk, raws = row[0], row[1:]
                    for f, raw in zip(fields, raws, strict=True):
                        if raw is None:
                            continue
                        key_id = f.column_key_id(raw)
                        report.before[key_id] += 1
                        if key_id == active:
                            continue
                        new = f.encrypt_value(f.decrypt_column(raw), key_id=active)
                        column = qn(f.column)
                        with connection.cursor() as cursor:
                            cursor.execute(
                                f"UPDATE {table} SET {column} = %s "  # noqa: S608
                                f"WHERE {pk_col} = %s AND {column} = %s",
                                [new, pk, raw],
                            )
                            progress_row.rewritten += cursor.rowcount
                    progress_row.checked += 1
            if progress:
                progress(progress_row)
        if progress and progress_row.rows == 0:
            progress(progress_row)
    for store in token_stores():
        progress_row = ModelProgress(label=store.label, rows=store.count())
        report.models.append(progress_row)
        batches = store.rotate(
            active=active, batch_size=batch_size, progress=progress_row, before=report.before
        )
        for _batch in batches:
            if progress:
                progress(progress_row)
        if progress and progress_row.rows == 0:
            progress(progress_row)
    return report
