"""One definition per concept: the risk level, the statuses and the intake's victim mapping are
each defined once, and every other place reads that definition."""

from __future__ import annotations

from cases.levels import ASSESSED_VALUES, RiskLevel
from cases.models import Case
from risk import engine
from risk.forms import FinaliseForm
from risk.models import Assessment


def test_the_case_and_the_assessments_share_one_risk_level():
    assert Case.RiskLevel is RiskLevel
    assert Case._meta.get_field("risk_level").choices == RiskLevel.choices
    for name in ("level", "computed_level"):
        assert [v for v, _ in Assessment._meta.get_field(name).choices] == ASSESSED_VALUES


def test_the_engine_ranks_the_levels_of_the_one_definition():
    assert engine.LEVELS == ASSESSED_VALUES == [v for v in RiskLevel.values if v != "unknown"]


def test_the_override_choices_are_the_assessed_levels():
    choices = FinaliseForm.base_fields["override_level"].choices
    assert [v for v, _ in choices][1:] == ASSESSED_VALUES
