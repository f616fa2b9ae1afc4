"""Fast inserts of many rows for bulk loads (the demo seeder and the audit chain's batches).

On PostgreSQL, rows are streamed with COPY, which is several times faster than
``bulk_create`` for wide rows: Django's bulk insert sends each column as an array, and
quoting long strings (ciphertexts, seals) into array literals is costly. Values are prepared
exactly as ``bulk_create`` prepares them (each field's ``pre_save`` and
``get_db_prep_save``), so encrypted fields are encrypted and blind indexes computed.
Elsewhere ``bulk_create`` is used. No save signals are sent either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models


def insert(model: type[models.Model], objs: Sequence[models.Model], batch_size: int = 1000) -> None:
    """INSERT ``objs`` (new rows of ``model``) and give each its primary key."""
    if not objs:
        return
    # The connection itself, not the proxy: this is read once per value.
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        models.QuerySet(model).bulk_create(list(objs), batch_size=batch_size)
        return
    meta = model._meta
    pk = meta.pk
    with connection.cursor() as cursor:
        keyless = [obj for obj in objs if obj.pk is None]
        if keyless:
            if not isinstance(pk, models.AutoField):
                raise ValueError(f"{meta.label}: rows without a primary key")
            # Take the keys from the column's own sequence, as the INSERT would have.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(keyless)],
            )
            for obj, (value,) in zip(keyless, cursor.fetchall(), strict=True):
                obj.pk = value
        fields = [f for f in meta.concrete_fields if f.column]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(meta.db_table)
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                obj._prepare_related_fields_for_save(operation_name="bulk insert")
                copy.write_row(
                    [_prepared(f, f.pre_save(obj, add=True), connection) for f in fields]
                )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def _prepared(field: models.Field, value: Any, connection: Any) -> Any:
    value = field.get_db_prep_save(value, connection)
    if isinstance(value, memoryview):
        return bytes(value)
    return value
