"""Encrypted fields: round trips, tampering, misplaced tokens, unknown keys (fail closed)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import FieldError
from django.db import connection
from django.test.utils import isolate_apps

from tests.testapp.models import Secret
from victimsupport.crypto import DecryptionError, keyring

pytestmark = pytest.mark.django_db


def raw(pk: int, column: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM testapp_secret WHERE id = %s", [pk])  # noqa: S608
        value = cursor.fetchone()[0]
    return bytes(value) if isinstance(value, memoryview) else value


def write_raw(pk: int, column: str, value) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE testapp_secret SET {column} = %s WHERE id = %s", [value, pk])  # noqa: S608


@pytest.mark.parametrize(
    "value",
    ["", "plain ascii", "Zoë Ñúñez 王秀英 🙂 \u202e", "x" * 1_000_000],
    ids=["empty", "ascii", "unicode", "one-megabyte"],
)
def test_text_round_trip(value):
    secret = Secret.objects.create(text=value)
    assert Secret.objects.get(pk=secret.pk).text == value
    stored = raw(secret.pk, "text")
    assert stored.startswith("v1.k1.")
    if value:
        assert value[:20] not in stored


def test_none_is_stored_as_null():
    secret = Secret.objects.create(text=None, blob=None, answers=None, born=None)
    fresh = Secret.objects.get(pk=secret.pk)
    assert (fresh.text, fresh.blob, fresh.answers, fresh.born) == (None, None, None, None)
    assert raw(secret.pk, "text") is None


def test_json_date_and_binary_round_trip():
    answers = {"threat": True, "score": 14, "notes": ["a", "ß"], "nested": {"x": None}}
    blob = bytes(range(256)) * 4096  # 1 MiB of every byte value
    born = datetime.date(1990, 2, 28)
    secret = Secret.objects.create(answers=answers, blob=blob, born=born)
    fresh = Secret.objects.get(pk=secret.pk)
    assert fresh.answers == answers
    assert fresh.blob == blob
    assert fresh.born == born
    assert raw(secret.pk, "blob").startswith(b"v1.k1.")
    assert "1990" not in raw(secret.pk, "born")


def test_same_value_encrypts_differently_each_time():
    a = Secret.objects.create(text="same")
    b = Secret.objects.create(text="same")
    assert raw(a.pk, "text") != raw(b.pk, "text")


def test_tampered_ciphertext_raises():
    secret = Secret.objects.create(text="the refuge is on Elm Street")
    token = raw(secret.pk, "text")
    body = token.split(".")[2]
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    write_raw(secret.pk, "text", f"v1.k1.{flipped}")
    with pytest.raises(DecryptionError, match="failed authentication"):
        Secret.objects.get(pk=secret.pk)


def test_truncated_or_garbage_token_raises():
    secret = Secret.objects.create(text="x")
    for bad in ["v1.k1.AAAA", "not a token", "v2.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]:
        write_raw(secret.pk, "text", bad)
        with pytest.raises(DecryptionError):
            Secret.objects.get(pk=secret.pk)


def test_token_swapped_between_fields_raises():
    secret = Secret.objects.create(text="a note", name="a name")
    write_raw(secret.pk, "name", raw(secret.pk, "text"))
    with pytest.raises(DecryptionError, match=r"testapp\.secret\.name"):
        Secret.objects.get(pk=secret.pk)


def test_unknown_key_id_raises(settings):
    secret = Secret.objects.create(text="written under k1")
    settings.FIELD_ENCRYPTION_KEYS = {"k2": b"\x09" * 32}
    settings.FIELD_ENCRYPTION_ACTIVE_KEY = "k2"
    with pytest.raises(DecryptionError, match="unknown key id 'k1'"):
        Secret.objects.get(pk=secret.pk)


def test_error_messages_never_contain_the_plaintext(settings):
    secret = Secret.objects.create(text="CANARY-PLAINTEXT")
    settings.FIELD_ENCRYPTION_KEYS = {"k1": b"\x08" * 32}  # same id, wrong key
    with pytest.raises(DecryptionError) as info:
        Secret.objects.get(pk=secret.pk)
    assert "CANARY" not in str(info.value)


def test_lookups_on_encrypted_fields_are_refused():
    with pytest.raises(FieldError):
        list(Secret.objects.filter(text="x"))
    with pytest.raises(FieldError):
        list(Secret.objects.filter(name__icontains="x"))
    assert list(Secret.objects.filter(text__isnull=True)) == []


def test_binary_field_takes_bytes_only():
    with pytest.raises(TypeError):
        Secret.objects.create(blob="a string")


def test_encrypted_values_are_not_serialised():
    from django.core import serializers
    from django.core.exceptions import ImproperlyConfigured

    Secret.objects.create(text="x")
    with pytest.raises(ImproperlyConfigured):
        serializers.serialize("json", Secret.objects.all())


def test_subkeys_differ_by_purpose():
    master = b"\x01" * 32
    assert keyring.derive_subkey(master, b"a") != keyring.derive_subkey(master, b"b")
    assert keyring.derive_subkey(master, b"a") != master


@isolate_apps("tests.testapp")
def test_encrypted_field_rejects_unique_or_index():
    from django.db import models

    from victimsupport.crypto.fields import EncryptedTextField

    class Bad(models.Model):
        name = EncryptedTextField(unique=True)

        class Meta:
            app_label = "testapp"

    errors = Bad._meta.get_field("name").check()
    assert [e.id for e in errors] == ["victimsupport.E001"]


def test_a_value_that_decrypts_but_does_not_parse_fails_closed_without_content():
    secret = Secret.objects.create()
    born = Secret._meta.get_field("born")
    # Same associated data, but text where a date belongs (as after a careless AlterField).
    token = keyring.encrypt(b"12 Elm Street, Jane", born.aad)
    write_raw(secret.pk, "born", token)
    with pytest.raises(DecryptionError) as info:
        Secret.objects.get(pk=secret.pk)
    assert "Elm" not in str(info.value) and "Elm" not in repr(info.value.__cause__)
    assert info.value.__cause__ is None and info.value.__suppress_context__
