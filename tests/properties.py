"""Hypothesis strategies for bad input, derived from a form's own fields: what a person, a
broken browser or an attacker may post to any page. The profiles (``ci``, ``thorough``) are
registered in tests/conftest.py.

A strategy gives the raw values a request carries (strings, lists of strings, uploaded files),
never Python values: the form must make sense of them, or refuse them."""

from __future__ import annotations

import datetime
import importlib
import inspect
import io
import pkgutil
import struct
import zlib
from typing import Any

from django import forms
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import strategies as st

# --- Text ----------------------------------------------------------------------------------

# Characters that have broken applications before: NUL (PostgreSQL refuses it in text),
# other controls, bidirectional overrides, zero-width and combining marks, a BOM, letters of
# right-to-left scripts, astral characters. Surrogates cannot be sent in UTF-8 and are left out.
NASTY = [
    "\x00",
    "\x01",
    "\x07",
    "\x08",
    "\x1b",
    "\x7f",
    "\x85",
    "\r",
    "\n",
    "\t",
    "\u00a0",
    "\u200b",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202e",
    "\u2066",
    "\u2069",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\ufffd",
    "\uffff",
    "\u0301",
    "\u05d0",
    "\u0627",
    "\u0644",
    "\U0001f600",
    "\U0010ffff",
    "%",
    "'",
    '"',
    "<",
    ">",
    "&",
    "\\",
    "{{",
    "{%",
    "../",
]
_letters = st.characters(codec="utf-8")
_pieces = st.one_of(st.text(alphabet=_letters, max_size=8), st.sampled_from(NASTY))
small_text = st.lists(_pieces, max_size=8).map("".join)


def long_text(limit: int | None) -> st.SearchStrategy[str]:
    """A text at, just under or over ``limit``, or far over any: built by repeating a short
    piece (Hypothesis would take long to make a 100,000-character text one by one)."""
    sizes = [1_000_001] if limit is None else [limit - 1, limit, limit + 1, limit * 10]
    return st.builds(
        lambda piece, size: (piece * (size // len(piece) + 1))[:size],
        st.lists(_pieces, min_size=1, max_size=3).map("".join).filter(bool),
        st.sampled_from([s for s in sizes if s > 0]),
    )


def any_text(limit: int | None = None) -> st.SearchStrategy[str]:
    return st.one_of(
        small_text,
        st.sampled_from(["", " ", "\x00", "a\x00b", "\u202egnp.exe", "   \t\n", "null", "None"]),
        long_text(limit),
    )


# --- Numbers, dates, files ---------------------------------------------------------------

NUMBER_WORDS = [
    "NaN",
    "nan",
    "-NaN",
    "inf",
    "-inf",
    "Infinity",
    "1e999",
    "-1e999",
    "1e-999",
    "0x10",
    "1_000",
    "١٢٣",  # Arabic-Indic digits: int() reads them
    "²",  # a digit to str.isdigit(), not to int()
    "①",
    "+0",
    "-0",
    "00",
    "1.5",
    "1,5",
    " 7 ",
    "9" * 5000,
]
numbers = st.one_of(
    st.integers(0, 3).map(str),  # a record's version, now and then the right one
    st.integers().map(str),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(NUMBER_WORDS),
)

DATE_WORDS = [
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-0001-01-01",
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "2026-1-1",
    "26-01-01",
    "01/02/2026",
    "2026-01-01T00:00",
    "2026-01-01T24:00",
    "2026-01-01T23:59:60",
    "2026-01-01 25:61",
    "2026-03-29T02:30",  # a time that does not exist in Europe's spring-forward gap
    "2026-10-25T02:30",  # and one that happens twice in autumn
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2026-01-01T00:00:00+99:00",
    "today",
]
dates = st.one_of(
    st.dates().map(datetime.date.isoformat),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M")),
    st.sampled_from(DATE_WORDS),
    small_text,
)


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\x80" * width * 3 for _ in range(min(height, 4)))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(out, format="JPEG")
    return out.getvalue()


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
SAMPLES = [
    b"",
    b"\x00",
    _png(4, 4),
    _png(4, 4)[:30],  # truncated after its header
    _png(100_000, 100_000),  # claims ten billion pixels: a decompression bomb's header
    _png(0, 0),
    _jpeg(),
    _jpeg()[:20],
    _jpeg()[:-2],
    PDF,
    PDF[:12],
    b"%PDF-1.7\n" + b"\x00" * 64,
    b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    b"<html><script>alert(1)</script></html>",
    b"MZ\x90\x00",  # an executable
    b"PK\x03\x04",  # a zip (and every office document)
    "plain text, café\n".encode(),
    b"\xff\xfe\x00\x00",
]
FILE_NAMES = [
    "photo.jpg",
    "photo.JPG",
    "plan.png",
    "letter.pdf",
    "notes.txt",
    "photo.jpg.exe",
    "image.png.pdf",
    "noextension",
    ".hidden",
    "../../etc/passwd",
    "C:\\fakepath\\letter.pdf",
    "\u202egpj.exe",
    "a" * 300 + ".pdf",
    "nul\x00.pdf",
    "ééé.jpeg",
    "",
]
CONTENT_TYPES = [
    "image/jpeg",
    "image/png",
    "application/pdf",
    "text/plain",
    "application/octet-stream",
    "image/svg+xml",
    "text/html",
    "",
    "image/jpeg; charset=utf-8",
]


@st.composite
def uploads(draw: Any) -> SimpleUploadedFile:
    content = draw(st.one_of(st.sampled_from(SAMPLES), st.binary(max_size=2048)))
    name = draw(st.one_of(st.sampled_from(FILE_NAMES), small_text))
    # A name a browser could not send is not a test of the form (the test client would fail).
    name = name.replace("\x00", "").replace("\r", "").replace("\n", "").replace('"', "") or "f"
    return SimpleUploadedFile(name, content, content_type=draw(st.sampled_from(CONTENT_TYPES)))


# --- From a form's fields ----------------------------------------------------------------


def _choice_values(field: forms.Field) -> list[str]:
    values: list[str] = []
    for value, label in getattr(field, "choices", []):
        if isinstance(label, (list, tuple)):  # a group of choices
            values += [str(v) for v, _label in label]
        else:
            values.append(str(getattr(value, "value", value)))
    return values


def value_for(field: forms.Field) -> st.SearchStrategy[Any]:
    """The raw values a request may carry for ``field``: sensible ones and nonsense."""
    if isinstance(field, forms.FileField):
        return st.one_of(uploads(), st.just(""), small_text)
    if isinstance(field, forms.BooleanField):
        return st.one_of(st.sampled_from(["on", "true", "1", "", "false", "0", "off"]), small_text)
    if isinstance(field, (forms.ModelChoiceField, forms.ChoiceField)):
        valid = _choice_values(field)
        one = st.one_of(
            st.sampled_from(valid) if valid else st.nothing(), numbers, small_text, st.just("")
        )
        if isinstance(field, (forms.MultipleChoiceField, forms.ModelMultipleChoiceField)):
            return st.lists(one, max_size=6)
        return one
    if isinstance(field, (forms.IntegerField, forms.DecimalField, forms.FloatField)):
        return st.one_of(numbers, small_text)
    if isinstance(field, (forms.DateField, forms.DateTimeField, forms.TimeField)):
        return dates
    if isinstance(field, forms.JSONField):
        return st.one_of(json_texts, any_text())
    if isinstance(field, forms.CharField):
        return any_text(field.max_length)
    return any_text()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | small_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(small_text, inner, max_size=4),
    max_leaves=12,
)


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value)


json_texts = json_values.map(_dumps)


@st.composite
def form_data(draw: Any, form: forms.BaseForm) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data, files) for ``form``: each field's value or nothing at all, with its prefix, and
    now and then a field the form does not have."""
    data: dict[str, Any] = {}
    files: dict[str, Any] = {}
    for name, field in form.fields.items():
        if draw(st.integers(0, 9)) == 0:
            continue  # left out, as a hand-made request may
        key = form.add_prefix(name)
        value = draw(value_for(field))
        if isinstance(value, SimpleUploadedFile):
            files[key] = value
        else:
            data[key] = value
        if field.show_hidden_initial:
            data[form.add_initial_prefix(name)] = draw(value_for(field))
    if draw(st.booleans()):
        data.update(draw(st.dictionaries(small_text.filter(bool), small_text, max_size=2)))
    return data, files


def post_body(data: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
    """What the test client posts: the files among the fields."""
    return {**data, **files}


# --- Finding every form ---------------------------------------------------------------------


def form_modules() -> list[Any]:
    """Each installed project app's forms (module or package) and admin module."""
    found = []
    for config in apps.get_app_configs():
        root = config.name.split(".")[0]
        if root not in {
            "victimsupport",
            "cases",
            "risk",
            "referrals",
            "premises",
            "dataprotection",
        }:
            continue
        for leaf in ("forms", "admin"):
            try:
                module = importlib.import_module(f"{config.name}.{leaf}")
            except ModuleNotFoundError:
                continue
            found.append(module)
            if hasattr(module, "__path__"):
                for info in pkgutil.iter_modules(module.__path__):
                    found.append(importlib.import_module(f"{module.__name__}.{info.name}"))
    # The core's shared forms module is not an app of its own.
    found.append(importlib.import_module("victimsupport.forms"))
    return list(dict.fromkeys(found))


def form_classes() -> list[type[forms.BaseForm]]:
    classes = []
    for module in form_modules():
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, forms.BaseForm)
                and cls.__module__ == module.__name__
                and not cls.__name__.startswith("_")
            ):
                classes.append(cls)
    return sorted(set(classes), key=lambda c: f"{c.__module__}.{c.__qualname__}")
