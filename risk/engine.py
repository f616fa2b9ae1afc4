"""One scoring engine for every risk instrument.

An instrument is data: sections of questions, a scoring method (count of positive answers,
weighted sum, or likelihood x impact), thresholds that map a score to a level, and red-flag
questions that raise the level whatever the score. This module validates that data and scores
answers against it; it touches no database, so every rule is tested directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cases.levels import ASSESSED_VALUES

# Plain strings, lowest first: the engine works on data, not on Django's choices.
LEVELS = list(ASSESSED_VALUES)
QUESTION_TYPES = {"yes_no", "yes_no_unknown", "scale", "single", "multiple", "text"}
METHODS = {"count", "weighted", "matrix"}
YES = "yes"


class InstrumentError(ValueError):
    """The instrument definition is not valid; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def questions(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for section in definition.get("sections", []) for q in section.get("questions", [])]


def validate(definition: Any) -> None:
    """Raise InstrumentError listing every problem, each with where it is."""
    errors: list[str] = []
    if not isinstance(definition, dict):
        raise InstrumentError(["the instrument must be a mapping (a JSON object)"])
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


def readable_answers(definition: dict[str, Any], answers: dict[str, Any]) -> list[tuple[str, str]]:
    """(question, answer in words) for each question of ``definition``, in its order."""
    rows = []
    for q in questions(definition):
        value = answers.get(q["key"])
        options = {o["value"]: o["label"] for o in q.get("options", [])}
        options.update({"yes": "Yes", "no": "No", "unknown": "Don't know"})
        if isinstance(value, list):
            shown = ", ".join(options.get(v, v) for v in value)
        elif value is None:
            shown = "Not answered"
        else:
            shown = options.get(value, value)
        rows.append((q["text"], shown))
    return rows
