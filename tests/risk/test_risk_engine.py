"""The scoring engine: validation with clear errors, three methods, bands, red flags."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from risk import engine

INSTRUMENTS = Path(__file__).resolve().parents[2] / "risk" / "instruments"


def shipped(name: str) -> dict:
    return json.loads((INSTRUMENTS / name).read_text())


def yes_to(definition: dict, n: int) -> dict:
    keys = [q["key"] for q in engine.questions(definition) if q["type"] != "text"]
    return {k: ("yes" if i < n else "no") for i, k in enumerate(keys)}


def test_shipped_instruments_are_valid():
    for name in ("default.json", "checklist_24.json"):
        engine.validate(shipped(name))


def test_checklist_has_24_questions_and_no_licensed_wording():
    checklist = shipped("checklist_24.json")
    qs = engine.questions(checklist)
    assert len(qs) == 24
    assert all("licensed wording not included" in q["text"]["en"] for q in qs)
    assert all("formulation sous licence non incluse" in q["text"]["fr"] for q in qs)


@pytest.mark.parametrize(
    ("yes", "level"),
    [(0, "standard"), (9, "standard"), (10, "medium"), (13, "medium"), (14, "high")],
)
def test_count_scoring_with_the_14_band(yes, level):
    checklist = shipped("checklist_24.json")
    result = engine.score(checklist, yes_to(checklist, yes))
    assert (result.score, result.level) == (yes, level)
    assert result.missing == []


def test_an_organisation_may_set_high_at_17():
    checklist = shipped("checklist_24.json")
    checklist["levels"][-1]["min"] = 17
    assert engine.score(checklist, yes_to(checklist, 14)).level == "medium"
    assert engine.score(checklist, yes_to(checklist, 17)).level == "high"


def test_dont_know_is_an_answer_not_a_yes():
    checklist = shipped("checklist_24.json")
    answers = {q["key"]: "unknown" for q in engine.questions(checklist)}
    result = engine.score(checklist, answers)
    assert result.score == 0 and result.missing == []


def test_weighted_scoring_and_red_flags_escalate_regardless_of_score():
    default = shipped("default.json")
    calm = {q["key"]: "no" for q in engine.questions(default) if q["type"].startswith("yes")}
    calm.update(recent="longer", likely_again=1, own_fear=1, kinds=[])
    assert engine.score(default, calm).level == "standard"
    flagged = {**calm, "strangulation": "yes"}
    result = engine.score(default, flagged)
    assert result.score == 5 and result.level == "high"
    assert result.red_flags == ["strangulation"]


def test_weighted_choices_and_scales():
    default = shipped("default.json")
    answers = {"kinds": ["physical", "stalking", "other"], "recent": "week", "likely_again": 4}
    # physical 2 + stalking 2 + other 0 + recent week 3 + likely_again (>= 4) weight 3
    assert engine.score(default, answers).score == 10


def test_missing_answers_are_listed():
    default = shipped("default.json")
    result = engine.score(default, {"ongoing_threat": "yes"})
    assert "ongoing_harm" in result.missing and "own_words" not in result.missing
    assert "kinds" not in result.missing  # optional question


def test_matrix_scoring():
    matrix = {
        "scoring": {"method": "matrix", "likelihood": "likely", "impact": "impact"},
        "levels": [
            {"level": "standard", "min": 0},
            {"level": "medium", "min": 8},
            {"level": "high", "min": 15},
        ],
        "sections": [
            {
                "title": "Extent and likelihood",
                "questions": [
                    {"key": "likely", "type": "scale", "min": 1, "max": 5, "text": "Likelihood"},
                    {"key": "impact", "type": "scale", "min": 1, "max": 5, "text": "Impact"},
                ],
            }
        ],
    }
    engine.validate(matrix)
    assert engine.score(matrix, {"likely": 3, "impact": 5}).score == 15
    assert engine.score(matrix, {"likely": 3, "impact": 5}).level == "high"
    assert engine.score(matrix, {"likely": 2, "impact": 3}).level == "standard"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(sections=[]), "'sections' must be a non-empty list"),
        (lambda d: d["scoring"].update(method="sum"), "'scoring.method' must be one of"),
        (lambda d: d.update(levels=[{"level": "high", "min": 3}]), "first level must start"),
        (
            lambda d: d["levels"].reverse(),
            "'levels' must be in increasing order",
        ),
        (
            lambda d: d["sections"][0]["questions"][0].update(type="essay"),
            "section 1, question 1: 'type' must be one of",
        ),
        (
            lambda d: d["sections"][0]["questions"][1].update(key="ongoing_threat"),
            "section 1, question 2: key 'ongoing_threat' is used twice",
        ),
        (
            lambda d: d["sections"][0]["questions"][0].update(red_flag="extreme"),
            "'red_flag' must be one of",
        ),
        (
            lambda d: d["sections"][1]["questions"][0].update(options=[{"value": "a"}]),
            "needs at least two 'options'",
        ),
        (lambda d: d.update(review_days={"high": 0}), "'review_days' must map levels"),
    ],
)
def test_invalid_definitions_are_refused_with_where_and_why(change, message):
    definition = copy.deepcopy(shipped("default.json"))
    change(definition)
    with pytest.raises(engine.InstrumentError) as info:
        engine.validate(definition)
    assert any(message in e for e in info.value.errors), info.value.errors


def test_every_problem_is_reported_at_once():
    with pytest.raises(engine.InstrumentError) as info:
        engine.validate({"sections": [], "scoring": {}, "levels": []})
    assert len(info.value.errors) == 3


def test_non_mapping_is_refused():
    with pytest.raises(engine.InstrumentError):
        engine.validate(["not", "a", "mapping"])


def test_a_repeated_option_counts_once():
    default = shipped("default.json")
    once = engine.score(default, {"kinds": ["physical"]}).score
    assert engine.score(default, {"kinds": ["physical"] * 6}).score == once == 2


def test_weighted_thresholds_compare_the_exact_total():
    definition = {
        "scoring": {"method": "weighted"},
        "levels": [{"level": "standard", "min": 0}, {"level": "high", "min": 3}],
        "sections": [
            {
                "title": "S",
                "questions": [
                    {"key": "a", "type": "yes_no", "weight": 1.3, "text": "A"},
                    {"key": "b", "type": "yes_no", "weight": 1.3, "text": "B"},
                ],
            }
        ],
    }
    engine.validate(definition)
    result = engine.score(definition, {"a": "yes", "b": "yes"})  # 2.6: below 3
    assert result.level == "standard" and result.score == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["sections"][1]["questions"][0]["options"][0].update(weight="two"),
            "'weight' must be a number",
        ),
        (
            lambda d: d["sections"][1]["questions"][0]["options"][0].pop("label"),
            "'label' is required",
        ),
        (
            lambda d: d.update(
                levels=[
                    {"level": "standard", "min": 0},
                    {"level": "high", "min": 10},
                    {"level": "medium", "min": 20},
                ]
            ),
            "from less to more serious",
        ),
    ],
)
def test_options_and_level_order_are_validated(change, message):
    definition = copy.deepcopy(shipped("default.json"))
    change(definition)
    with pytest.raises(engine.InstrumentError) as info:
        engine.validate(definition)
    assert any(message in e for e in info.value.errors), info.value.errors
