"""Optimistic locking for records that two people may edit from pages loaded at the same time.

A record keeps a ``version``. The page puts the version it was read at in a hidden field; the
service claims the row with one conditional UPDATE (``version = N`` becomes ``N + 1``) inside
its transaction, then writes the change. If someone saved in between, the UPDATE matches no
row, ``EditConflict`` is raised, the transaction rolls back and nothing is written: the second
editor is told (409, with what they typed and what is saved now) instead of silently
overwriting the first.

Three parts, one per layer:

- ``Versioned``: the abstract model with the ``version`` field;
- ``claim``: the compare-and-increment, for services;
- ``VersionedFormMixin`` and ``render_conflict``: the hidden field and the 409 page.

Only saves made from a page need to claim: a write that changes no field a form shows (a
finalised assessment setting a case's risk level) may leave the version alone.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db import models, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

# The largest value the column holds on every database: beyond it a tampered value would be
# a database error rather than a form error.
MAX_VERSION = 2**31 - 1

EDIT_CONFLICT_MESSAGE = _(
    "Someone else saved changes here while you were editing. Your changes are below but were "
    "not saved: compare them with what is saved now, then save again."
)
# A hidden field's error is shown at the top of the form: it must say what happened and what
# to do, since the person cannot see or correct the field itself.
VERSION_INVALID_MESSAGE = _(
    "We could not tell which saved version these changes were made to, so nothing was saved. "
    "Your changes are below: compare them with what is saved now, then save again."
)


class EditConflict(Exception):
    """Someone else saved the record since this edit began. ``current`` is the record as it
    is now saved (None if it is gone), to show next to what was typed."""

    def __init__(self, current: models.Model | None = None) -> None:
        super().__init__(_("The record was saved by someone else since this edit began."))
        self.current = current


class Versioned(models.Model):
    """A record edited through forms by more than one person."""

    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        editable=False,
        help_text=_("Raised by one at each save from a form; a save names the version it read."),
    )

    class Meta:
        abstract = True


def claim(model: type[models.Model] | models.QuerySet, *, pk: Any, version: int) -> Any:
    """Move the row ``pk`` from ``version`` to the next one and return it, read afresh.

    Call inside the service's transaction, before writing the change: the conditional UPDATE
    takes the row's lock until the transaction ends, so of two concurrent claims on one
    version exactly one succeeds, and the other raises ``EditConflict`` with the row as now
    saved. The returned instance already holds the new version; save the change on it.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        # Outside a transaction the claim would commit alone and the change could be lost.
        raise RuntimeError("claim() must run inside the service's transaction")
    queryset = model if isinstance(model, models.QuerySet) else model._default_manager.all()
    claimed = queryset.filter(pk=pk, version=version).update(version=F("version") + 1)
    if claimed != 1:
        raise EditConflict(current=queryset.filter(pk=pk).first())
    return queryset.get(pk=pk)


class VersionField(forms.IntegerField):
    """The version a page was read at. 0 stands for "there was no record yet"."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_VERSION)
        super().__init__(**kwargs)


class VersionedFormMixin:
    """Adds the hidden ``version`` field to a form (put it before the form class in the
    bases). Give its value with ``initial={"version": record.version}``.

    The field is not trusted: a missing or altered value is a form error, shown at the top of
    the form (a hidden field has no place of its own to show it), and the value only ever
    selects the row to claim, so a wrong number is refused as a conflict, never saved. After
    a missing or altered value the form is based on the version the page was given as
    ``initial`` (the one saved now), so that saving again, after comparing, works and nothing
    typed has to be typed twice. ``version_lost`` tells the view this happened.
    """

    version_message = VERSION_INVALID_MESSAGE
    version_lost = False
    # The lowest version a page can have been read at: 0 only where "there was no record
    # yet" is a state the form knows (a safety plan not made yet).
    version_min = 1

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"] = VersionField(min_value=self.version_min)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        errors = self._errors  # type: ignore[attr-defined]
        if errors and "version" in errors:
            del errors["version"]
            self.version_lost = True
            self.add_error(None, self.version_message)  # type: ignore[attr-defined]
            saved = self.initial.get("version")  # type: ignore[attr-defined]
            if saved is not None:
                self.rebase(saved)
        return cleaned

    def rebase(self, version: int) -> None:
        """Base the next save on the version saved now, keeping everything typed."""
        data = self.data.copy()  # type: ignore[attr-defined]
        data[self.add_prefix("version")] = str(version)  # type: ignore[attr-defined]
        self.data = data


def saved_values(form: Any, current: models.Model | None) -> list[tuple[Any, Any]]:
    """(label, value as saved now) for every field the form edits: the whole record is shown
    beside what was typed, so that saving again never quietly undoes a colleague's change to
    a field the comparison left out."""
    if current is None:
        return []
    rows = []
    for name, field in form.fields.items():
        if name == "version" or not hasattr(current, name):
            continue
        display = getattr(current, f"get_{name}_display", None)
        value = display() if callable(display) else getattr(current, name)
        if isinstance(value, bool):
            value = _("Yes") if value else _("No")
        elif isinstance(value, datetime.date):
            value = date_format(value)
        rows.append((field.label or name, value))
    return rows


def render_refused(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    form: Any,
    current: models.Model | None,
    status: int = 400,
) -> HttpResponse:
    """The page of a form that did not validate. If its version was missing or altered, the
    answer is that of a conflict (409, with ``current``, the record as now saved, to compare
    against what was typed): the form is already based on the saved version, so saving again
    works. Otherwise the usual refusal, with the errors next to the fields."""
    if getattr(form, "version_lost", False):
        context = {**context, "current": current, "current_rows": saved_values(form, current)}
        return render(request, template, context, status=409)
    return render(request, template, context, status=status)


def render_conflict(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    form: Any,
    conflict: EditConflict,
    message: Any = EDIT_CONFLICT_MESSAGE,
) -> HttpResponse:
    """The 409 page of a refused save: the form as typed, with the message on top and based
    on the version saved now (so saving again after comparing works), and ``current``, the
    record as the other person saved it, for the template to show."""
    form.add_error(None, message)
    if conflict.current is not None:
        form.rebase(conflict.current.version)
    context = {
        **context,
        "current": conflict.current,
        "current_rows": saved_values(form, conflict.current),
    }
    return render(request, template, context, status=409)
