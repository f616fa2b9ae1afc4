"""Texts of versioned definitions (risk instruments, premises checklists) in several languages.

A text is either a string (English) or a mapping of language codes to text. An app's
definition says where its texts are with a ``places`` function yielding (where, the mapping
holding the text, its key, required); the rest is the same for every kind of definition, so it
lives here once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

FALLBACK_LANGUAGE = "en"
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")

Places = Callable[[dict[str, Any]], Iterable[tuple[str, dict[str, Any], str, bool]]]


def text_problem(value: Any) -> str:
    """What is wrong with one text as stored ("" when nothing)."""
    if isinstance(value, str):
        return "" if value.strip() else "must not be empty"
    if not isinstance(value, dict) or not value:
        return "must be text, or a mapping of language codes to text"
    for language, text in value.items():
        if not isinstance(language, str) or not LANGUAGE_RE.fullmatch(language):
            return f"has {language!r}, which is not a language code such as 'en' or 'fr'"
        if not isinstance(text, str) or not text.strip():
            return f"has no text in {language!r}"
    if FALLBACK_LANGUAGE not in value:
        return f"needs its English text ('{FALLBACK_LANGUAGE}'): other languages fall back to it"
    return ""


def has_text(value: Any, language: str) -> bool:
    if isinstance(value, str):
        return language == FALLBACK_LANGUAGE and bool(value.strip())
    return isinstance(value, dict) and bool(str(value.get(language) or "").strip())


def base_language(language: str | None) -> str:
    """'fr' for 'fr-be' or 'fr_CH': a definition's French serves every French."""
    return (language or FALLBACK_LANGUAGE).lower().replace("_", "-").split("-")[0]


def translation_gaps(definition: dict[str, Any], languages: Any, places: Places) -> list[str]:
    """Every text of ``definition`` missing in one of ``languages``, each with where it is."""
    wanted = list(dict.fromkeys(base_language(code) for code in languages))
    gaps = []
    for where, holder, name, _required in places(definition):
        if name not in holder:
            continue
        missing = [code for code in wanted if not has_text(holder[name], code)]
        if missing:
            gaps.append(f"{where}: '{name}' has no text in {', '.join(missing)}")
    return gaps


def text_in(value: Any, language: str | None) -> str:
    """``value`` in ``language``: its own text, else its language's, else the English."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return ""
    wanted = (language or FALLBACK_LANGUAGE).lower().replace("_", "-")
    for code in (wanted, base_language(wanted), FALLBACK_LANGUAGE):
        if str(value.get(code) or "").strip():
            return str(value[code])
    return next((t for t in value.values() if isinstance(t, str) and t.strip()), "")


def localise(definition: dict[str, Any], language: str | None, places: Places) -> dict[str, Any]:
    """A copy of ``definition`` with each text in ``language`` as one string, for showing."""
    shown = json.loads(json.dumps(definition))
    for _where, holder, name, _required in places(shown):
        if name in holder:
            holder[name] = text_in(holder[name], language)
    return shown
