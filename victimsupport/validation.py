"""Model validation for services: ``full_clean`` without re-reading the rows a service holds.

``Model.full_clean`` checks each foreign key with a query (``SELECT 1 ... WHERE id = %s``),
even when the service was handed the related object itself, loaded by ``get_for_user`` a
moment before. On an audited write that query was the largest single cost after the
inserts. Here a foreign key whose object is in hand, saved, and matches the key is not
queried again; every other check (the other fields, ``clean()``, unique and constraint
checks, on every field including these) runs as in ``full_clean``. The database's own
foreign-key constraint still refuses a row that was deleted in the meantime.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models


def _held(instance: models.Model, field: models.Field) -> bool:
    """Whether ``field`` is a foreign key whose related object ``instance`` already holds,
    saved, with nothing left for ``ForeignKey.validate`` to find out by a query."""
    if not (field.many_to_one or field.one_to_one) or not field.concrete:
        return False
    remote = field.remote_field
    # A restricted choice or an extra validator needs the database, or the field's own check.
    if remote.parent_link or remote.limit_choices_to or field.validators:
        return False
    if not field.is_cached(instance):
        return False
    related = field.get_cached_value(instance)
    key = getattr(instance, field.attname)
    return (
        key is not None
        and isinstance(related, remote.model)
        and not related._state.adding
        and getattr(related, field.target_field.attname) == key
    )


def full_clean(instance: models.Model) -> None:
    """``instance.full_clean()``, less the existence query for a related object in hand."""
    held = {f.name for f in instance._meta.fields if _held(instance, f)}
    errors: dict[str, list[ValidationError]] = {}
    try:
        instance.clean_fields(exclude=held)
    except ValidationError as e:
        errors = e.update_error_dict(errors)
    try:
        instance.clean()
    except ValidationError as e:
        errors = e.update_error_dict(errors)
    # As in full_clean: unique and constraint checks for the fields that passed, the held
    # ones included (a unique constraint over (case, method) still needs its query).
    failed = {name for name in errors if name != NON_FIELD_ERRORS}
    try:
        instance.validate_unique(exclude=failed)
    except ValidationError as e:
        errors = e.update_error_dict(errors)
    failed = {name for name in errors if name != NON_FIELD_ERRORS}
    try:
        instance.validate_constraints(exclude=failed)
    except ValidationError as e:
        errors = e.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
