"""Normalisers for blind-index lookups: two spellings a person would call "the same" must
normalise to the same string, or the duplicate check misses a record."""

from __future__ import annotations

import re
import unicodedata

_SPACE_RE = re.compile(r"\s+")


def normalise_text(value: str) -> str:
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", value)).strip().casefold()


def normalise_name(value: str) -> str:
    """Case, accents, punctuation and spacing are ignored: 'José  O'Brien' == 'jose obrien'."""
    decomposed = unicodedata.normalize("NFKD", value)
    letters = "".join(
        ch for ch in decomposed if not unicodedata.combining(ch) and (ch.isalnum() or ch.isspace())
    )
    return normalise_text(letters)


def normalise_email(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().casefold()


def normalise_phone(value: str) -> str:
    """Digits only, with an international prefix written as '+' ('0044 20' == '+44 20')."""
    value = unicodedata.normalize("NFKC", value).strip()
    digits = "".join(ch for ch in value if ch.isdigit())
    if value.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    return digits


NORMALISERS = {
    "text": normalise_text,
    "name": normalise_name,
    "email": normalise_email,
    "phone": normalise_phone,
}
