"""One definition per concept: the risk level, the statuses and the intake's victim mapping are
each defined once, and every other place reads that definition."""

from __future__ import annotations

import pytest

from cases import intake
from cases import services as case_services
from cases.forms import PersonForm, SafetyForm, VictimForm
from cases.levels import ASSESSED_VALUES, RiskLevel
from cases.models import Case, ConfidentialityNotice, IntakeDraft, Victim
from demo.seed import seed_demo
from risk import engine
from risk.forms import FinaliseForm
from risk.models import Assessment
from tests import factories
from victimsupport.audit.models import AuditEntry


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


# The intake's one mapping and the one address_withheld rule.

WITHHELD = {"address": "3 Hidden Road", "address_withheld": True}


def test_the_intake_asks_for_every_detail_the_record_keeps():
    person = set(Victim.DETAILS) - set(Victim.SAFETY_DETAILS)
    assert person <= set(PersonForm.base_fields)
    assert set(Victim.SAFETY_DETAILS) <= set(SafetyForm.base_fields)
    assert VictimForm._meta.fields == Victim.DETAILS


def test_the_mapping_turns_the_answers_into_every_detail():
    values = intake.victim_values(
        person={"given_name": "Mira", "interpreter_needed": "on", **WITHHELD},
        safety={"code_word": "blue umbrella"},
    )
    assert set(values) == set(Victim.DETAILS)
    assert values["address"] == "" and values["address_withheld"] is True
    assert values["interpreter_needed"] is True and values["date_of_birth"] is None
    assert values["code_word"] == "blue umbrella"


@pytest.mark.django_db
def test_the_draft_keeps_no_withheld_address_whoever_saves_the_step(cara, north):
    ConfidentialityNotice.objects.create(version=1, title="Confidentiality", body="We keep…")
    draft = intake.draft_start(owner=cara, team=north)
    intake.draft_acknowledge_notice(
        draft=draft, notice=ConfidentialityNotice.objects.get(), method="verbal"
    )
    draft = intake.draft_save_step(
        draft=draft, step="person", answers={"given_name": "Mira", **WITHHELD}
    )
    assert IntakeDraft.objects.get(pk=draft.pk).data["person"]["address"] == ""


@pytest.mark.django_db
def test_a_withheld_address_is_kept_nowhere_after_intake(cara):
    case = factories.make_full_case(cara, **WITHHELD)
    victim = Victim.objects.get(case=case)
    assert victim.address == "" and victim.address_withheld
    assert AuditEntry.objects.get_for_object(victim).filter(action=0).exists()


@pytest.mark.django_db
def test_withholding_the_address_on_edit_drops_it(cara):
    case = factories.make_full_case(cara, address="12 Quiet Lane")
    victim = Victim.objects.get(case=case)
    assert victim.address == "12 Quiet Lane"
    victim = case_services.victim_update(
        victim=victim, actor=cara, version=victim.version, **WITHHELD
    )
    assert Victim.objects.get(pk=victim.pk).address == ""
    assert AuditEntry.objects.get_for_object(victim).filter(action=1).exists()


@pytest.mark.django_db
def test_the_demo_seeder_withholds_through_the_intakes_rule():
    seed_demo()
    withheld = Victim.objects.filter(address_withheld=True)
    assert withheld.exists()
    assert all(v.address == "" for v in withheld)
    assert any(v.address for v in Victim.objects.filter(address_withheld=False))
