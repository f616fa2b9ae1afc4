"""How long each kind of text may be: one list for forms, models and services.

Unbounded text is a denial of service waiting to happen (an address of 2,000,000 characters
made the case's PDF take seconds to build) and hides nothing a caseworker needs. Each limit
fits its use, generously; a form or model field takes one of these names, never a number.
The same message is given wherever a limit is passed, in a form or from a service.

Limits are checked on writing only: a value stored before a limit existed is still shown,
and must be shortened only when its record is next saved.

A system check (victimsupport.E020, in checks.py) and tests/core/test_limits.py fail for a text
field, model or form, that has no limit.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

NAME = 100  # a given, family or preferred name; a relationship
LONG_NAME = 200  # a full name, an organisation, a course, a witness
PHONE = 40
EMAIL = 254  # RFC 5321's limit for an address in use
LANGUAGE = 60
CODE_WORD = 60
ADDRESS = 500
SHORT_TEXT = 200  # safe times or conditions, a one-line note or search
REFERENCE = 20  # VS-2026-00042
FILE_NAME = 255  # what file systems allow; longer upload names are shortened
# Bytes of headers one part of an upload form may have (Django's default is 1 KiB, which a
# long file name exceeds): still small, as web servers' limit for one header line is 8 KiB.
UPLOAD_PART_HEADERS = 8192
REASON = 2000  # a reason, purpose or withdrawal note
DESCRIPTION = 500  # what an attached document is
DETAILS = 10_000  # free text about a person, a plan or an action; an assessment's answers
NOTE = 20_000  # a case note, a contact summary, a notice's body
# A risk instrument version's whole definition as JSON, every language included: the shipped
# default is about 20,000; a long licensed checklist in several languages fits many times over.
INSTRUMENT = 300_000
# A referral package as it was sent: the chosen parts of a case file rendered as HTML.
PACKAGE = 2_000_000

TOO_LONG = _("Keep this under %(limit_value)d characters; it has %(show_value)d.")


@deconstructible
class MaxCharsValidator(MaxLengthValidator):
    """Django's length validator with the message said the same way everywhere."""

    message = TOO_LONG


class _NoSilentCut:
    """No ``maxlength`` attribute in the page: a browser would cut pasted text at the limit
    without a word, and what was cut is lost. The server refuses it instead, saying so next
    to the field, with the whole text kept for the person to shorten."""

    def widget_attrs(self, widget: Any) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)  # type: ignore[misc]
        attrs.pop("maxlength", None)
        return attrs


class LimitedCharField(_NoSilentCut, forms.CharField):
    """A form's text field whose length refusal says the limit and how long the text is."""

    default_error_messages = {"max_length": TOO_LONG}


class LimitedEmailField(_NoSilentCut, forms.EmailField):
    default_error_messages = {"max_length": TOO_LONG}


def check_text_lengths(value: Any, *, limit: int, field: str | None = None) -> None:
    """Refuse any string in a JSON value (answers, lists) longer than ``limit``.

    For JSON kept whole in one encrypted column, where no form field stands in front of the
    service (a tampered or hand-built draft, a script calling the service).
    """
    for text in _strings(value):
        if len(text) > limit:
            message = TOO_LONG % {"limit_value": limit, "show_value": len(text)}
            raise ValidationError({field: message} if field else message, code="max_length")


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def is_limited_text(field: Any) -> bool:
    """A model field holding free text (encrypted or not), which must have a limit."""
    return isinstance(field, (models.CharField, models.TextField)) and getattr(
        field, "holds_text", True
    )


def validate_text(instance: models.Model, fields: list[str] | None = None) -> None:
    """Check ``instance``'s text fields (or only ``fields``) against their limits.

    For services that write a few fields with ``save(update_fields=...)`` or ``create()``:
    only what is written is checked, so an older row longer than a later limit can still be
    changed elsewhere. Raises ValidationError keyed by field name.
    """
    wanted = set(fields) if fields is not None else None
    exclude = [
        f.name
        for f in instance._meta.concrete_fields
        if not is_limited_text(f) or (wanted is not None and f.name not in wanted)
    ]
    instance.clean_fields(exclude=exclude)
