"""Blind index: exact-match lookup on encrypted values, with normalisation."""

from __future__ import annotations

import pytest

from tests.testapp.models import Secret
from victimsupport.crypto.fields import blind_match
from victimsupport.crypto.normalise import (
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_text,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("José  O'Brien", "jose obrien"),
        ("ANNA-MARIA", "annamaria"),
        ("Zoë\tSmith ", "zoe smith"),
        ("Straße", "strasse"),
    ],
)
def test_names_normalise_alike(a, b):
    assert normalise_name(a) == normalise_name(b)


def test_different_names_stay_different():
    assert normalise_name("Ann Smith") != normalise_name("Anne Smith")


def test_email_normalisation():
    assert normalise_email("  Cara@Example.ORG ") == "cara@example.org"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("+44 20 7946 0000", "0044 (20) 7946-0000"),
        ("020 7946 0000", "02079460000"),
    ],
)
def test_phone_normalisation(a, b):
    assert normalise_phone(a) == normalise_phone(b)


def test_text_normalisation_folds_width_and_space():
    assert normalise_text("\uff21\uff22\uff23   def") == "abc def"  # full-width ABC


@pytest.mark.django_db
def test_lookup_finds_the_record_by_normalised_value():
    secret = Secret.objects.create(email="Cara@Example.org", name="José O'Brien")
    assert list(Secret.objects.filter(blind_match(Secret, "email_index", " cara@example.ORG"))) == [
        secret
    ]
    assert list(Secret.objects.filter(blind_match(Secret, "name_index", "jose obrien"))) == [secret]
    assert not Secret.objects.filter(
        blind_match(Secret, "email_index", "other@example.org")
    ).exists()


@pytest.mark.django_db
def test_index_follows_changes_and_empty_values():
    secret = Secret.objects.create(email="a@example.org")
    secret.email = "b@example.org"
    secret.save()
    assert Secret.objects.filter(blind_match(Secret, "email_index", "b@example.org")).exists()
    assert not Secret.objects.filter(blind_match(Secret, "email_index", "a@example.org")).exists()
    secret.email = ""
    secret.save()
    secret.refresh_from_db()
    assert secret.email_index is None
    assert not Secret.objects.filter(blind_match(Secret, "email_index", "")).exists()


@pytest.mark.django_db
def test_columns_have_their_own_index_keys():
    secret = Secret.objects.create(email="same value", name="same value")
    secret.refresh_from_db()
    assert secret.email_index != secret.name_index
    assert len(secret.email_index) == 64


def test_blind_match_refuses_other_fields():
    with pytest.raises(TypeError):
        blind_match(Secret, "text", "x")
