"""Fast inserts of many rows for bulk loads (the demo seeder and the audit chain's batches).

On PostgreSQL, rows are streamed with COPY, which is several times faster than
``bulk_create`` for wide rows: Django's bulk insert sends each column as an array, and
quoting long strings (ciphertexts, seals) into array literals is costly. Values are prepared
exactly as ``bulk_create`` prepares them (each field's ``pre_save`` and
``get_db_prep_save``), so encrypted fields are encrypted and blind indexes computed.
Elsewhere ``bulk_create`` is used. No save signals are sent either way.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from collections.abc import Callable, Sequence
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
        plan = _plan(model)
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([prepare(obj, connection) for prepare in plan])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


# Field classes whose values, of these exact types, go to PostgreSQL as they are: what
# ``get_db_prep_save`` would give back unchanged (psycopg adapts them itself). Anything else
# (encrypted fields and blind indexes, JSON, fields that fill themselves in ``pre_save``, a
# value of another type) takes the full path, exactly as ``bulk_create`` prepares it.
_TEXT = (str,)
_PLAIN: dict[type, tuple[type, ...]] = {
    models.CharField: _TEXT,
    models.TextField: _TEXT,
    models.SlugField: _TEXT,
    models.EmailField: _TEXT,
    models.BooleanField: (bool,),
    models.IntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.BigIntegerField: (int,),
    models.AutoField: (int,),
    models.BigAutoField: (int,),
    models.FloatField: (float, int),
    models.DateField: (datetime.date,),
    models.DateTimeField: (datetime.datetime,),
    models.UUIDField: (uuid.UUID,),
}


@functools.cache
def _plan(model: type[models.Model]) -> list[Callable[[Any, Any], Any]]:
    """How each column's value is taken from an object, field by field."""
    plan: list[Callable[[Any, Any], Any]] = []
    for field in model._meta.concrete_fields:
        if not field.column:
            continue
        if field.is_relation and type(field) in (models.ForeignKey, models.OneToOneField):
            plan.append(functools.partial(_related, field, field.attname))
            continue
        types = _PLAIN.get(type(field))
        fills_itself = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        if types is None or fills_itself:
            plan.append(functools.partial(_full, field))
        elif types is _TEXT:
            plan.append(functools.partial(_text, field, field.attname))
        else:
            plan.append(functools.partial(_plain, field, field.attname, frozenset(types)))
    return plan


def _full(field: models.Field, obj: models.Model, connection: Any) -> Any:
    value = field.get_db_prep_save(field.pre_save(obj, add=True), connection)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _plain(
    field: models.Field, attname: str, types: frozenset, obj: models.Model, connection: Any
) -> Any:
    value = obj.__dict__.get(attname)
    if value is None or type(value) in types:
        if type(value) is datetime.datetime and value.tzinfo is None:
            return _full(field, obj, connection)  # Django's warning and conversion
        return value
    return _full(field, obj, connection)


def _text(field: models.Field, attname: str, obj: models.Model, connection: Any) -> Any:
    # A str subclass (a TextChoices member) is what ``get_db_prep_save`` gives back too.
    value = obj.__dict__.get(attname)
    if value is None or isinstance(value, str):
        return value
    return _full(field, obj, connection)


def _related(field: models.Field, attname: str, obj: models.Model, connection: Any) -> Any:
    """The related row's key, as ``Model._prepare_related_fields_for_save`` takes it: from
    the related object when it was saved after being assigned (a batch's own rows)."""
    value = obj.__dict__.get(attname)
    if value is None and field.is_cached(obj):
        related = field.get_cached_value(obj)
        if related is not None:
            if related.pk is None:
                raise ValueError(
                    f"bulk insert of {type(obj)._meta.label} prohibited to prevent data loss "
                    f"due to unsaved related object '{field.name}'."
                )
            value = getattr(related, field.target_field.attname)
            setattr(obj, attname, value)
    if value is None or type(value) in (int, str, uuid.UUID):
        return value
    return field.get_db_prep_save(value, connection)
