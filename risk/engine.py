"""One scoring engine for every risk instrument.

An instrument is data: sections of questions, a scoring method (count of positive answers,
weighted sum, or likelihood x impact), thresholds that map a score to a level, and red-flag
questions that raise the level whatever the score. This module validates that data and scores
answers against it; it touches no database, so every rule is tested directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from cases.levels import ASSESSED_VALUES
from victimsupport import limits, texts
from victimsupport.texts import FALLBACK_LANGUAGE as FALLBACK_LANGUAGE
from victimsupport.texts import base_language as base_language
from victimsupport.texts import text_in as text_in

# Plain strings, lowest first: the engine works on data, not on Django's choices.
LEVELS = list(ASSESSED_VALUES)
QUESTION_TYPES = {"yes_no", "yes_no_unknown", "scale", "single", "multiple", "text"}
METHODS = {"count", "weighted", "matrix"}
YES = "yes"

# Every text of an instrument is either one string (English) or a mapping of language code to
# text: {"en": "Is the harm still happening?", "fr": "..."}. English is what any language
# missing a text falls back to, so every text has it. Keys, values and numbers are never
# translated: the scoring reads only them, and gives the same result in every language.


class InstrumentError(ValueError):
    """The instrument definition is not valid; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def questions(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for section in definition.get("sections", []) for q in section.get("questions", [])]


def validate(definition: Any, *, languages: tuple[str, ...] | list[str] = ()) -> None:
    """Raise InstrumentError listing every problem, each with where it is.

    With ``languages``, also every text missing in one of them (see ``translation_gaps``):
    an instrument put before people in a language must speak it, not fall back mid-page.
    """
    errors: list[str] = []
    if not isinstance(definition, dict):
        raise InstrumentError(["the instrument must be a mapping (a JSON object)"])
    try:
        size = len(json.dumps(definition, ensure_ascii=False))
    except (TypeError, ValueError):
        size = 0  # reported by the loader, which names what cannot be stored
    if size > limits.INSTRUMENT:
        # Checked first: a definition this large is refused before it is walked.
        raise InstrumentError(
            [f"the instrument is {size} characters long as JSON; keep it under {limits.INSTRUMENT}"]
        )
    sections = definition.get("sections")
    if not isinstance(sections, list) or not sections:
        errors.append("'sections' must be a non-empty list")
        sections = []
    seen: set[str] = set()
    for s_index, section in enumerate(sections, start=1):
        where = f"section {s_index}"
        if not isinstance(section, dict):
            errors.append(f"{where}: must be a mapping")
            continue
        if not section.get("title"):
            errors.append(f"{where}: 'title' is required")
        qs = section.get("questions")
        if not isinstance(qs, list) or not qs:
            errors.append(f"{where}: 'questions' must be a non-empty list")
            continue
        for q_index, q in enumerate(qs, start=1):
            errors.extend(_validate_question(q, f"{where}, question {q_index}", seen))
    scoring = definition.get("scoring")
    if not isinstance(scoring, dict) or scoring.get("method") not in METHODS:
        errors.append(f"'scoring.method' must be one of {', '.join(sorted(METHODS))}")
    elif scoring["method"] == "matrix":
        for axis in ("likelihood", "impact"):
            key = scoring.get(axis)
            target = next((q for q in questions(definition) if q.get("key") == key), None)
            if target is None or target.get("type") != "scale":
                errors.append(f"'scoring.{axis}' must name a scale question")
    levels = definition.get("levels")
    if not isinstance(levels, list) or not levels:
        errors.append("'levels' must list at least one level with its minimum score")
    else:
        minimums = []
        names = []
        for l_index, level in enumerate(levels, start=1):
            if not isinstance(level, dict) or level.get("level") not in LEVELS:
                errors.append(f"level {l_index}: 'level' must be one of {', '.join(LEVELS)}")
                continue
            if not isinstance(level.get("min"), int) or isinstance(level.get("min"), bool):
                errors.append(f"level {l_index}: 'min' must be a whole number")
                continue
            minimums.append(level["min"])
            names.append(level["level"])
        if minimums and (minimums != sorted(minimums) or len(set(minimums)) != len(minimums)):
            errors.append("'levels' must be in increasing order of 'min'")
        ranks = [LEVELS.index(n) for n in names]
        if ranks != sorted(ranks) or len(set(ranks)) != len(ranks):
            errors.append("'levels' must go from less to more serious (standard, medium, high)")
        if minimums and minimums[0] != 0:
            errors.append("the first level must start at 'min': 0")
    review = definition.get("review_days", {})
    if not isinstance(review, dict) or any(
        k not in LEVELS or not isinstance(v, int) or v < 1 for k, v in review.items()
    ):
        errors.append("'review_days' must map levels to a number of days (at least 1)")
    for where, holder, name, required in _text_places(definition):
        if name in holder:
            problem = texts.text_problem(holder[name])
            if problem:
                errors.append(f"{where}: '{name}' {problem}")
        elif required and name == "red_flag_label":
            errors.append(
                f"{where}: a red-flag question needs a 'red_flag_label' (the few words results "
                "name it by, such as 'threats to kill')"
            )
    if not errors and languages:
        errors.extend(translation_gaps(definition, languages))
    if errors:
        raise InstrumentError(errors)


def _validate_question(q: Any, where: str, seen: set[str]) -> list[str]:
    errors = []
    if not isinstance(q, dict):
        return [f"{where}: must be a mapping"]
    key = q.get("key")
    if not isinstance(key, str) or not key.replace("_", "").isalnum():
        errors.append(f"{where}: 'key' must be letters, digits and underscores")
    elif key in seen:
        errors.append(f"{where}: key '{key}' is used twice")
    else:
        seen.add(key)
    if not q.get("text"):
        errors.append(f"{where}: 'text' is required")
    kind = q.get("type")
    if kind not in QUESTION_TYPES:
        errors.append(f"{where}: 'type' must be one of {', '.join(sorted(QUESTION_TYPES))}")
    if kind in {"single", "multiple"}:
        options = q.get("options")
        if not isinstance(options, list) or len(options) < 2:
            errors.append(f"{where}: a choice question needs at least two 'options'")
        else:
            values = [o.get("value") for o in options if isinstance(o, dict)]
            if len(values) != len(options) or not all(values) or len(set(values)) != len(values):
                errors.append(f"{where}: every option needs a distinct 'value' and a 'label'")
            for o_index, option in enumerate(options, start=1):
                if not isinstance(option, dict):
                    continue
                if not option.get("label"):
                    errors.append(f"{where}, option {o_index}: 'label' is required")
                weight = option.get("weight", 0)
                if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
                    errors.append(
                        f"{where}, option {o_index}: 'weight' must be a number of at least 0"
                    )
    if kind == "scale":
        low, high = q.get("min", 1), q.get("max", 5)
        if not (isinstance(low, int) and isinstance(high, int) and low < high):
            errors.append(f"{where}: a scale needs whole numbers 'min' < 'max'")
    weight = q.get("weight", 1)
    if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
        errors.append(f"{where}: 'weight' must be a number of at least 0")
    if "red_flag" in q and q["red_flag"] not in LEVELS:
        errors.append(f"{where}: 'red_flag' must be one of {', '.join(LEVELS)}")
    return errors


# --- Texts in several languages ------------------------------------------------------------


def _text_places(definition: dict[str, Any]):
    """(where, the mapping holding it, its name, required) for every text of ``definition``."""
    yield "the instrument", definition, "name", False
    yield "the instrument", definition, "description", False
    sections = definition.get("sections")
    for s_index, section in enumerate(sections if isinstance(sections, list) else [], start=1):
        if not isinstance(section, dict):
            continue
        where = f"section {s_index}"
        yield where, section, "title", True
        qs = section.get("questions")
        for q_index, q in enumerate(qs if isinstance(qs, list) else [], start=1):
            if not isinstance(q, dict):
                continue
            at = f"{where}, question {q_index}"
            yield at, q, "text", True
            yield at, q, "help", False
            yield at, q, "red_flag_label", bool(q.get("red_flag"))
            options = q.get("options")
            for o_index, option in enumerate(options if isinstance(options, list) else [], 1):
                if isinstance(option, dict):
                    yield f"{at}, option {o_index}", option, "label", True
    levels = definition.get("levels")
    for l_index, level in enumerate(levels if isinstance(levels, list) else [], start=1):
        if isinstance(level, dict):
            yield f"level {l_index}", level, "explanation", False


def red_flag_labels(shown: dict[str, Any], keys: list[str]) -> list[str]:
    """The labels of the red flags ``keys`` under a localised definition, in their order.

    A version stored before red flags had labels is named by its question.
    """
    by_key = {q["key"]: q for q in questions(shown)}
    labels = []
    for key in keys:
        q = by_key.get(key)
        labels.append(
            (q.get("red_flag_label") or q.get("text") or key) if q else _("an unknown question")
        )
    return labels


def level_explanation(shown: dict[str, Any], level: str) -> str:
    """What ``level`` means under this instrument, if it says."""
    for band in shown.get("levels", []):
        if band.get("level") == level:
            return band.get("explanation", "")
    return ""


@dataclass(frozen=True)
class Result:
    score: int
    level: str
    red_flags: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _positive(q: dict[str, Any], answer: Any) -> bool:
    kind = q["type"]
    if kind in {"yes_no", "yes_no_unknown"}:
        return answer == YES
    if kind == "scale":
        return isinstance(answer, int) and answer >= q.get("positive_from", q.get("max", 5))
    if kind == "single":
        return answer not in (None, "") and _option_weight(q, answer) > 0
    if kind == "multiple":
        return any(_option_weight(q, a) > 0 for a in _distinct(answer))
    return False


def _distinct(answer: Any) -> list[Any]:
    """A multiple-choice answer counts each option once, however often it was sent."""
    return list(dict.fromkeys(answer)) if isinstance(answer, list) else []


def _option_weight(q: dict[str, Any], value: Any) -> float:
    for option in q.get("options", []):
        if option["value"] == value:
            return float(option.get("weight", 0))
    return 0.0


def _weighted(q: dict[str, Any], answer: Any) -> float:
    kind = q["type"]
    if kind in {"single"}:
        return _option_weight(q, answer)
    if kind == "multiple":
        return sum(_option_weight(q, a) for a in _distinct(answer))
    return float(q.get("weight", 1)) if _positive(q, answer) else 0.0


def score(definition: dict[str, Any], answers: dict[str, Any]) -> Result:
    """Score ``answers`` (question key -> answer) under ``definition``."""
    qs = questions(definition)
    method = definition["scoring"]["method"]
    missing = [
        q["key"]
        for q in qs
        if q.get("required", True)
        and q["type"] != "text"
        and answers.get(q["key"]) in (None, "", [])
    ]
    if method == "count":
        total: float = sum(
            1 for q in qs if q["type"] != "text" and _positive(q, answers.get(q["key"]))
        )
    elif method == "weighted":
        # Compared with the thresholds as it is; rounded only for display.
        total = sum(_weighted(q, answers.get(q["key"])) for q in qs)
    else:
        likelihood = answers.get(definition["scoring"]["likelihood"])
        impact = answers.get(definition["scoring"]["impact"])
        total = (
            likelihood * impact if isinstance(likelihood, int) and isinstance(impact, int) else 0
        )
    level = LEVELS[0]
    for band in definition["levels"]:
        if total >= band["min"]:
            level = band["level"]
    flags = [q["key"] for q in qs if q.get("red_flag") and _positive(q, answers.get(q["key"]))]
    for key in flags:
        flagged = next(q["red_flag"] for q in qs if q["key"] == key)
        if LEVELS.index(flagged) > LEVELS.index(level):
            level = flagged
    return Result(score=round(total), level=level, red_flags=flags, missing=missing)


def readable_answers(shown: dict[str, Any], answers: dict[str, Any]) -> list[tuple[str, str]]:
    """(question, answer in words) for each question of a localised definition, in its order."""
    rows = []
    for q in questions(shown):
        value = answers.get(q["key"])
        options = {o["value"]: o["label"] for o in q.get("options", [])}
        if q["type"] in {"yes_no", "yes_no_unknown"}:
            options.update({"yes": _("Yes"), "no": _("No"), "unknown": _("Don't know")})
        if isinstance(value, list):
            words = ", ".join(str(options.get(v, v)) for v in value)
        elif value is None:
            words = _("Not answered")
        else:
            words = str(options.get(value, value))
        rows.append((q["text"], words))
    return rows


def translation_gaps(definition: dict[str, Any], languages: Any) -> list[str]:
    """Every text of the instrument missing in one of ``languages``, each with where it is."""
    return texts.translation_gaps(definition, languages, _text_places)


def localise(definition: dict[str, Any], language: str | None) -> dict[str, Any]:
    """A copy of the instrument with each text in ``language`` as one string, for showing."""
    return texts.localise(definition, language, _text_places)
