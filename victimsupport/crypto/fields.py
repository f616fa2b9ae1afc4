"""Encrypted model fields and the blind index.

Values are encrypted in ``get_prep_value`` and decrypted in ``from_db_value``; the database only
ever sees tokens. Lookups other than ``isnull`` are refused (a random nonce makes equality
meaningless, and ordering or LIKE would leak): exact-match search goes through a BlindIndexField.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django import forms
from django.core import checks, exceptions
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from victimsupport import limits
from victimsupport.crypto import keyring
from victimsupport.crypto.normalise import NORMALISERS


class EncryptedFieldMixin:
    """Shared behaviour; concrete classes define ``_serialise`` and ``_deserialise``."""

    encrypted = True  # what redaction and the canary scan key on

    def __init__(self, *args: Any, aad_label: str | None = None, **kwargs: Any) -> None:
        # aad_label pins the associated data, so a model or field may be renamed later
        # without re-encrypting: set it to the old "app_label.model.field" before renaming.
        self.aad_label = aad_label
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.aad_label:
            kwargs["aad_label"] = self.aad_label
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if self.unique or self.db_index or self.primary_key:
            errors.append(
                checks.Error(
                    "Encrypted fields cannot be unique, indexed or primary keys.",
                    hint="Add a BlindIndexField for exact-match lookups.",
                    obj=self,
                    id="victimsupport.E001",
                )
            )
        return errors

    @property
    def aad(self) -> str:
        return self.aad_label or f"{self.model._meta.label_lower}.{self.name}"

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return None

    def get_transform(self, name: str) -> Any:
        return None

    # Token <-> column value; the binary field stores the ASCII token as bytes.
    def _to_column(self, token: str) -> Any:
        return token

    def _from_column(self, value: Any) -> str:
        return value

    def encrypt_value(self, value: Any, *, key_id: str | None = None) -> Any:
        """Python value -> column value (used by saves and by key rotation)."""
        return self._to_column(keyring.encrypt(self._serialise(value), self.aad, key_id=key_id))

    def decrypt_column(self, value: Any) -> Any:
        """Column value -> Python value. Raises DecryptionError."""
        plaintext = keyring.decrypt(self._from_column(value), self.aad)
        try:
            return self._deserialise(plaintext)
        except (ValueError, TypeError, UnicodeDecodeError):
            # The parser's own message would quote the plaintext; say only where it failed.
            raise keyring.DecryptionError(
                f"{self.aad}: stored value decrypts but is not a valid {type(self).__name__}"
            ) from None

    def column_key_id(self, value: Any) -> str:
        return keyring.token_key_id(self._from_column(value))

    def get_prep_value(self, value: Any) -> Any:
        value = None if value is None else self.to_python(value)
        if value is None:
            return None
        return self.encrypt_value(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return self.decrypt_column(value)

    def value_to_string(self, obj: Any) -> str:
        raise exceptions.ImproperlyConfigured(
            f"{self.aad} is encrypted and is never serialised in plaintext "
            "(dumpdata and serialisers are refused; back up the database instead)."
        )


class EncryptedTextField(EncryptedFieldMixin, models.TextField):
    """Text whose ``max_length`` limits the plaintext, checked by ``full_clean()`` and by
    the form field: the column holds a longer token and must never be what refuses it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(limits.MaxCharsValidator(self.max_length))

    def formfield(self, **kwargs: Any) -> Any:
        kwargs.setdefault("form_class", limits.LimitedCharField)
        return super().formfield(**kwargs)

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def _serialise(self, value: str) -> bytes:
        return value.encode("utf-8")

    def _deserialise(self, data: bytes) -> str:
        return data.decode("utf-8")


class EncryptedCharField(EncryptedTextField):
    """Short text: a one-line input in forms, a maximum length validated in Python."""

    def formfield(self, **kwargs: Any) -> Any:
        kwargs.setdefault("widget", forms.TextInput)
        return super().formfield(**kwargs)


class EncryptedDateField(EncryptedFieldMixin, models.TextField):
    """A date that identifies a person (date of birth): stored encrypted as ISO 8601."""

    holds_text = False  # a text column, but no text to limit (victimsupport.E020)

    def to_python(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError as exc:
            raise exceptions.ValidationError(_("Enter a valid date."), code="invalid") from exc

    def _serialise(self, value: datetime.date) -> bytes:
        return value.isoformat().encode("ascii")

    def _deserialise(self, data: bytes) -> datetime.date:
        return datetime.date.fromisoformat(data.decode("ascii"))

    def formfield(self, **kwargs: Any) -> Any:
        from victimsupport.widgets import DateInput

        kwargs.setdefault("widget", DateInput)
        return forms.DateField(
            required=not self.blank,
            label=capfirst(self.verbose_name),
            help_text=self.help_text,
            **kwargs,
        )


class EncryptedJSONField(EncryptedFieldMixin, models.TextField):
    """Structured answers (lists, mappings). JSON null is stored as SQL NULL."""

    # The strings inside are limited by the services that write them (check_text_lengths).
    holds_text = False

    def to_python(self, value: Any) -> Any:
        return value

    def _serialise(self, value: Any) -> bytes:
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False).encode("utf-8")

    def _deserialise(self, data: bytes) -> Any:
        return json.loads(data.decode("utf-8"))

    def formfield(self, **kwargs: Any) -> Any:
        return forms.JSONField(
            required=not self.blank, label=self.verbose_name, help_text=self.help_text, **kwargs
        )


class EncryptedBinaryField(EncryptedFieldMixin, models.BinaryField):
    """File contents: the whole file is one token, kept in the database (no local disk)."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, (memoryview, bytearray)):
            return bytes(value)
        return value

    def _to_column(self, token: str) -> bytes:
        return token.encode("ascii")

    def _from_column(self, value: Any) -> str:
        try:
            return bytes(value).decode("ascii")
        except UnicodeDecodeError as exc:
            raise keyring.DecryptionError(f"{self.aad}: stored value is not a token") from exc

    def _serialise(self, value: bytes) -> bytes:
        if not isinstance(value, bytes):
            raise TypeError(f"{self.aad} takes bytes, not {type(value).__name__}")
        return value

    def _deserialise(self, data: bytes) -> bytes:
        return data


def is_encrypted(field: Any) -> bool:
    return getattr(field, "encrypted", False) is True


def encrypted_fields(
    model: type[models.Model], *, local: bool = False
) -> list[EncryptedFieldMixin]:
    """The model's encrypted fields; ``local`` keeps only those stored in its own table."""
    fields = model._meta.local_concrete_fields if local else model._meta.concrete_fields
    return [f for f in fields if is_encrypted(f)]


def blind_index_fields(model: type[models.Model]) -> list[BlindIndexField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]


class BlindIndexField(models.CharField):
    """HMAC-SHA256 of the normalised value of ``source``, under a key for this column only.

    Computed in ``pre_save``, so ``save()`` keeps it current; ``QuerySet.update()`` of the
    source field does not (use a service that saves). Look up with ``blind_match``.
    """

    def __init__(
        self,
        *args: Any,
        source: str | tuple[str, ...] | list[str],
        normaliser: str = "text",
        column_key: str | None = None,
        **kwargs: Any,
    ) -> None:
        if normaliser not in NORMALISERS:
            raise ValueError(f"unknown normaliser {normaliser!r}; use one of {sorted(NORMALISERS)}")
        # A tuple of field names indexes their combination (name + date of birth): the row
        # matches only if every part does, and a missing part means no index at all.
        self.source = tuple(source) if isinstance(source, (tuple, list)) else source
        self.normaliser = normaliser
        # column_key lets two columns share an index key (to match a phone number across
        # tables); by default every column has its own, so indexes cannot be correlated.
        self.column_key = column_key
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = list(self.source) if isinstance(self.source, tuple) else self.source
        kwargs["normaliser"] = self.normaliser
        if self.column_key:
            kwargs["column_key"] = self.column_key
        for default_kw in ("editable",):
            kwargs.pop(default_kw, None)
        return name, path, args, kwargs

    @property
    def key_name(self) -> str:
        return self.column_key or f"{self.model._meta.label_lower}.{self.name}"

    def digest(self, value: Any) -> str | None:
        """``value`` is the source value, or a tuple of values for a combined source."""
        parts = value if isinstance(value, tuple) else (value,)
        normalised = []
        for part in parts:
            if part is None:
                return None
            text = part.isoformat() if hasattr(part, "isoformat") else str(part)
            text = NORMALISERS[self.normaliser](text)
            if not text:
                return None
            normalised.append(text)
        return keyring.blind_digest(self.key_name, "\x1f".join(normalised))

    def source_value(self, instance: models.Model) -> Any:
        if isinstance(self.source, tuple):
            return tuple(getattr(instance, name) for name in self.source)
        return getattr(instance, self.source)

    def pre_save(self, model_instance: models.Model, add: bool) -> str | None:
        value = self.digest(self.source_value(model_instance))
        setattr(model_instance, self.attname, value)
        return value


def blind_match(model: type[models.Model], field_name: str, value: Any) -> Q:
    """A filter matching rows whose ``field_name`` index equals that of ``value``."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, BlindIndexField):
        raise TypeError(f"{model._meta.label}.{field_name} is not a BlindIndexField")
    digest = field.digest(value)
    if digest is None:
        return Q(pk__in=[])
    return Q(**{field_name: digest})
