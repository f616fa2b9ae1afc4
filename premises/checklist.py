"""Premises security checklists are data: sections of questions, each with guidance, each text
in English and, where given, other languages. This module validates that data and shows it in
one language; it touches no database, so every rule is tested directly.

Every question is answered yes, partly, no or not applicable (``premises.models.AnswerKind``),
each with a note: the checklist itself holds no answer kinds. A question may name ``seed``, the
question of the standard's "Put into place safety and security measures" it comes from, so
that the service can show which of its items answer which of the standard's questions.
"""

from __future__ import annotations

import json
import re
from typing import Any

from victimsupport import limits

FALLBACK_LANGUAGE = "en"
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")
KEY_RE = re.compile(r"[a-z0-9_]{1,50}")

# The standard's questions on the security of premises and procedures, in its order.
SEED_QUESTIONS = (
    "locked_door",
    "appointments_only",
    "who_could_pose_risk",
    "walk_in_implications",
    "dangerous_situation_measures",
    "staff_trained_practised",
    "confidential_information",
    "escape_plan",
)


class ChecklistError(ValueError):
    """The checklist definition is not valid; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def questions(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for section in definition.get("sections", []) for q in section.get("questions", [])]


def seeds_covered(definition: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each of the standard's questions with the checklist questions that name it."""
    covered: dict[str, list[dict[str, Any]]] = {seed: [] for seed in SEED_QUESTIONS}
    for q in questions(definition):
        if q.get("seed") in covered:
            covered[q["seed"]].append(q)
    return covered


def validate(definition: Any, *, languages: tuple[str, ...] | list[str] = ()) -> None:
    """Raise ChecklistError listing every problem, each with where it is.

    With ``languages``, also every text missing in one of them: a checklist put before staff
    in a language must speak it, not fall back mid-page.
    """
    if not isinstance(definition, dict):
        raise ChecklistError(["the checklist must be a mapping (a JSON object)"])
    try:
        size = len(json.dumps(definition, ensure_ascii=False))
    except (TypeError, ValueError):
        raise ChecklistError(
            ["every value must be text, a number, true/false, a list or a mapping"]
        ) from None
    if size > limits.INSTRUMENT:
        raise ChecklistError(
            [f"the checklist is {size} characters long as JSON; keep it under {limits.INSTRUMENT}"]
        )
    errors: list[str] = []
    key = definition.get("key")
    if not isinstance(key, str) or not re.fullmatch(r"[-a-zA-Z0-9_]{1,50}", key):
        errors.append("'key' must be letters, digits, '-' or '_', at most 50 characters")
    if "name" not in definition:
        errors.append("'name' is required")
    sections = definition.get("sections")
    if not isinstance(sections, list) or not sections:
        errors.append("'sections' must be a non-empty list")
        sections = []
    section_keys: set[str] = set()
    section_titles: set[str] = set()
    question_keys: set[str] = set()
    for s_index, section in enumerate(sections, start=1):
        where = f"section {s_index}"
        if not isinstance(section, dict):
            errors.append(f"{where}: must be a mapping")
            continue
        errors.extend(_key_problem(section.get("key"), where, section_keys))
        title = text_in(section.get("title"), FALLBACK_LANGUAGE)
        if title and title in section_titles:
            errors.append(f"{where}: the title '{title}' is used by another section")
        section_titles.add(title)
        qs = section.get("questions")
        if not isinstance(qs, list) or not qs:
            errors.append(f"{where}: 'questions' must be a non-empty list")
            continue
        for q_index, q in enumerate(qs, start=1):
            at = f"{where}, question {q_index}"
            if not isinstance(q, dict):
                errors.append(f"{at}: must be a mapping")
                continue
            errors.extend(_key_problem(q.get("key"), at, question_keys))
            seed = q.get("seed")
            if seed is not None and seed not in SEED_QUESTIONS:
                errors.append(f"{at}: 'seed' must be one of {', '.join(SEED_QUESTIONS)}")
    for where, holder, name, required in _text_places(definition):
        if name in holder:
            problem = _text_problem(holder[name])
            if problem:
                errors.append(f"{where}: '{name}' {problem}")
        elif required:
            errors.append(f"{where}: '{name}' is required")
    if not errors and languages:
        errors.extend(translation_gaps(definition, languages))
    if errors:
        raise ChecklistError(errors)


def _key_problem(key: Any, where: str, seen: set[str]) -> list[str]:
    if not isinstance(key, str) or not KEY_RE.fullmatch(key):
        return [f"{where}: 'key' must be small letters, digits and underscores (at most 50)"]
    if key in seen:
        return [f"{where}: key '{key}' is used twice"]
    seen.add(key)
    return []


def _text_places(definition: dict[str, Any]):
    """(where, the mapping holding it, its name, required) for every text of ``definition``."""
    yield "the checklist", definition, "name", True
    yield "the checklist", definition, "description", False
    sections = definition.get("sections")
    for s_index, section in enumerate(sections if isinstance(sections, list) else [], start=1):
        if not isinstance(section, dict):
            continue
        where = f"section {s_index}"
        yield where, section, "title", True
        qs = section.get("questions")
        for q_index, q in enumerate(qs if isinstance(qs, list) else [], start=1):
            if isinstance(q, dict):
                yield f"{where}, question {q_index}", q, "text", True
                yield f"{where}, question {q_index}", q, "guidance", False


def _text_problem(value: Any) -> str:
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


def base_language(language: str | None) -> str:
    """'fr' for 'fr-be' or 'fr_CH': a checklist's French serves every French."""
    return (language or FALLBACK_LANGUAGE).lower().replace("_", "-").split("-")[0]


def _has_text(value: Any, language: str) -> bool:
    if isinstance(value, str):
        return language == FALLBACK_LANGUAGE and bool(value.strip())
    return isinstance(value, dict) and bool(str(value.get(language) or "").strip())


def translation_gaps(definition: dict[str, Any], languages: Any) -> list[str]:
    """Every text of ``definition`` missing in one of ``languages``, each with where it is."""
    wanted = list(dict.fromkeys(base_language(code) for code in languages))
    gaps = []
    for where, holder, name, _required in _text_places(definition):
        if name not in holder:
            continue
        missing = [code for code in wanted if not _has_text(holder[name], code)]
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


def localise(definition: dict[str, Any], language: str | None) -> dict[str, Any]:
    """A copy of ``definition`` with each text in ``language`` as one string, for showing."""
    shown = json.loads(json.dumps(definition))
    for _where, holder, name, _required in _text_places(shown):
        if name in holder:
            holder[name] = text_in(holder[name], language)
    return shown
