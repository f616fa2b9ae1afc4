"""The risk app's part of the demo: the shipped instruments, training records, assessments of
the North team's cases (one overridden), a safety plan with actions, a trigger, and a draft
waiting for a trained colleague."""

from __future__ import annotations

import datetime

from django.utils import timezone

from cases.models import Case
from risk import engine
from risk import services as risk
from risk.models import InstrumentVersion, TrainingRecord
from risk.services import ensure_shipped_instruments
from victimsupport.accounts.models import User


def seed_instruments() -> None:
    ensure_shipped_instruments()


def seed_risk(*, cara: User, sam: User) -> None:
    """Training records, finalised assessments, a safety plan and a trigger."""
    today = timezone.localdate()
    sofia = User.objects.get(email__iexact="supervisor@demo.example")
    for person, expires in ((cara, today + datetime.timedelta(days=40)), (sofia, None)):
        TrainingRecord.objects.create(
            user=person,
            course="Risk assessment at first contact",
            completed_on=today - datetime.timedelta(days=200),
            provider="Demo regional network",
            expires_on=expires,
            recorded_by=sofia,
        )
    # Sam has no training: his drafts wait for a trained colleague.
    version = InstrumentVersion.objects.get(instrument__key="default", version=1)
    definition = version.definition
    base = {q["key"]: "no" for q in engine.questions(definition) if q["type"].startswith("yes")}
    base.update(recent="month", likely_again=3, own_fear=3, kinds=["control"])
    north_cases = list(Case.objects.filter(team__name="North team", assessment_needed=True))
    for index, case in enumerate(north_cases):
        answers = dict(base)
        if index % 2 == 0:
            answers.update(strangulation="yes", ongoing_threat="yes", own_fear=5)
        assessment = risk.assessment_start(case=case, actor=cara, version=version)
        risk.assessment_finalise(
            assessment=assessment,
            actor=cara,
            version=assessment.version,
            answers=answers,
            rationale="Assessed with her at the first meeting.",
            override_level="high" if index == 1 else "",
            override_reason="Police told us of a new threat to kill this week."
            if index == 1
            else "",
        )
    high = Case.objects.filter(team__name="North team", risk_level="high").order_by("opened_at")
    first = high.first()
    if first is not None:
        risk.safety_plan_save(
            case=first,
            actor=cara,
            version=0,
            summary="Staying safe at home and on the way to work.",
        )
        risk.safety_action_add(
            case=first,
            actor=cara,
            kind="order",
            description="Apply for a protection order with the legal advice centre",
            owner=cara,
            due_on=today - datetime.timedelta(days=2),
        )
        risk.safety_action_add(
            case=first,
            actor=cara,
            kind="police",
            description="Report the latest threat",
            owner_other="Herself, with Cara present",
            victim_wishes="Wants to report it herself, at the local station",
            due_on=today + datetime.timedelta(days=5),
        )
        risk.trigger_record(case=first, actor=cara, kind="court", occurred_on=today)
    sam_case = Case.objects.filter(team__name="South team", assessment_needed=True).first()
    if sam_case is not None:
        draft = risk.assessment_start(case=sam_case, actor=sam, version=version)
        risk.assessment_save(
            assessment=draft, actor=sam, version=draft.version, answers={"ongoing_threat": "yes"}
        )
