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

from victimsupport import limits, texts
from victimsupport.texts import FALLBACK_LANGUAGE as FALLBACK_LANGUAGE
from victimsupport.texts import base_language as base_language
from victimsupport.texts import text_in as text_in

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
            problem = texts.text_problem(holder[name])
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


def translation_gaps(definition: dict[str, Any], languages: Any) -> list[str]:
    """Every text of the checklist missing in one of ``languages``, each with where it is."""
    return texts.translation_gaps(definition, languages, _text_places)


def localise(definition: dict[str, Any], language: str | None) -> dict[str, Any]:
    """A copy of the checklist with each text in ``language`` as one string, for showing."""
    return texts.localise(definition, language, _text_places)
