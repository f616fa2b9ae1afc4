"""The risk app's part of the demo: the shipped instruments, training records, assessments of
the North team's cases (one overridden), a safety plan with actions, a trigger, and a draft
waiting for a trained colleague; and, for the bulk seeder (demo/bulk.py), the new staff's
training and each case's assessments, reassessments and safety plans."""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.conf import settings
from django.utils import timezone

from cases.levels import RiskLevel
from cases.models import Case
from risk import engine
from risk import services as risk
from risk.models import (
    Assessment,
    InstrumentVersion,
    ReassessmentTrigger,
    SafetyAction,
    SafetyPlan,
    TrainingRecord,
)
from risk.services import ensure_shipped_instruments
from victimsupport import bulkinsert
from victimsupport.access import Role
from victimsupport.accounts.models import User
from victimsupport.audit import bulk as audit_bulk


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
            override_level=RiskLevel.HIGH if index == 1 else "",
            override_reason="Police told us of a new threat to kill this week."
            if index == 1
            else "",
        )
    high = Case.objects.filter(team__name="North team", risk_level=RiskLevel.HIGH).order_by(
        "opened_at"
    )
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
            kind=SafetyAction.Kind.PROTECTION_ORDER,
            description="Apply for a protection order with the legal advice centre",
            owner=cara,
            due_on=today - datetime.timedelta(days=2),
        )
        risk.safety_action_add(
            case=first,
            actor=cara,
            kind=SafetyAction.Kind.POLICE,
            description="Report the latest threat",
            owner_other="Herself, with Cara present",
            victim_wishes="Wants to report it herself, at the local station",
            due_on=today + datetime.timedelta(days=5),
        )
        risk.trigger_record(
            case=first, actor=cara, kind=ReassessmentTrigger.Kind.COURT, occurred_on=today
        )
    sam_case = Case.objects.filter(team__name="South team", assessment_needed=True).first()
    if sam_case is not None:
        draft = risk.assessment_start(case=sam_case, actor=sam, version=version)
        risk.assessment_save(
            assessment=draft, actor=sam, version=draft.version, answers={"ongoing_threat": "yes"}
        )


# The bulk seeder's part (demo/bulk.py): training for the new staff, and each case's risk rows.
PLAN_ACTIONS = (
    ("order", "Apply for a protection order with the legal advice centre"),
    ("contact", "Agree safe times and a code word for calls"),
    ("technology", "Check her phone for tracking apps together"),
    ("accommodation", "Ask the refuge network about a place"),
    ("referral", "Referral to the local counselling service"),
    ("children", "Tell the school who may collect the children"),
)


def bulk_training_records(
    new_users: list[tuple[User, Any, str]], rng: random.Random, today: datetime.date
) -> list[TrainingRecord]:
    """Every new supervisor trained, most new caseworkers (some of it expired)."""
    return TrainingRecord.objects.bulk_create(
        [
            TrainingRecord(
                user=u,
                course="Risk assessment at first contact",
                completed_on=today - datetime.timedelta(days=rng.randint(30, 700)),
                provider="Regional training network",
                expires_on=today + datetime.timedelta(days=rng.randint(-60, 700)),
                recorded_by=u,
            )
            for u, _, role in new_users
            if role == Role.SUPERVISOR or rng.random() < 0.85
        ]
    )


def trained_user_ids(today: datetime.date) -> set[int]:
    """Who may finalise an assessment today: training completed and not expired."""
    return set(
        TrainingRecord.objects.filter(completed_on__lte=today)
        .exclude(expires_on__lt=today)
        .values_list("user_id", flat=True)
    )


class BulkRisk:
    """The risk rows of one batch of cases: built case by case with the batch's random
    generator (so that the data stays the same for a seed) and its row lists."""

    def __init__(self, batch: Any) -> None:
        self.rng = batch.rng
        self.now = batch.now
        self._add = batch._add
        self.created_at = batch.created_at
        self.version = InstrumentVersion.objects.get(instrument__key="default", version=1)
        self.definition = self.version.definition
        self.questions = [q for q in engine.questions(self.definition) if q["type"] != "text"]
        self.plans: list[tuple[SafetyPlan, list[SafetyAction]]] = []

    def _answers(self, worried: bool) -> dict[str, Any]:
        rng = self.rng
        answers: dict[str, Any] = {}
        p_yes = 0.45 if worried else 0.1
        for q in self.questions:
            kind = q["type"]
            if kind.startswith("yes_no"):
                roll = rng.random()
                answers[q["key"]] = "yes" if roll < p_yes else ("unknown" if roll > 0.95 else "no")
            elif kind == "multiple":
                options = [o["value"] for o in q["options"]]
                answers[q["key"]] = rng.sample(options, rng.randint(1, 3))
            elif kind == "single":
                answers[q["key"]] = rng.choice([o["value"] for o in q["options"]])
            elif kind == "scale":
                answers[q["key"]] = rng.randint(q.get("min", 1), q.get("max", 5))
        return answers

    def _assessment(
        self, case: Case, team: Any, worker: User, at: datetime.datetime, worried: bool
    ) -> Assessment | None:
        """A finalised assessment, by ``worker`` and finalised by them if trained, otherwise
        by a trained colleague (the training gate); none if the team has nobody trained."""
        finaliser = worker if worker in team.trained else None
        if finaliser is None and team.trained:
            finaliser = self.rng.choice(team.trained)
        if finaliser is None:
            return None
        answers = self._answers(worried)
        result = engine.score(self.definition, answers)
        level = result.level
        override = ""
        if self.rng.random() < 0.03 and level != RiskLevel.HIGH:
            level, override = RiskLevel.HIGH.value, "Police told us of a new threat this week."
        days = self.definition.get("review_days", {}).get(level) or settings.RISK_REVIEW_DAYS[level]
        return self._add(
            Assessment(
                case=case,
                instrument_version=self.version,
                status=Assessment.Status.FINAL,
                answers=answers,
                score=result.score,
                computed_level=result.level,
                level=level,
                red_flags=result.red_flags,
                rationale="Assessed with her at the meeting.",
                override_reason=override,
                assessor=worker,
                finalised_by=finaliser,
                created_at=at,
                updated_at=at,
                finalised_at=at,
                review_due=at.date() + datetime.timedelta(days=days),
            )
        )

    def add(
        self,
        case: Case,
        team: Any,
        worker: User,
        opened: datetime.datetime,
        end: datetime.datetime,
    ) -> None:
        """Assessments (and reassessments) of a case that screening or judgment pointed to, and
        a safety plan for most high-risk ones; sets the case's risk level and review date."""
        rng = self.rng
        screened_positive = case.assessment_needed
        if not screened_positive and rng.random() < 0.5:
            return  # nothing pointed to risk; not assessed
        if screened_positive and case.status == Case.Status.OPEN and rng.random() < 0.06:
            return  # still waiting for its first assessment
        first = opened + datetime.timedelta(hours=rng.randint(1, 24 * 7))
        latest = self._assessment(case, team, worker, min(first, end), screened_positive)
        if latest is None:
            return  # nobody in the team may finalise it yet
        if case.status == Case.Status.OPEN and (self.now - first).days > 30:
            # Reassessed since; most reviews are on time, some are overdue.
            back = rng.randint(0, 40)
            latest = (
                self._assessment(
                    case, team, worker, self.now - datetime.timedelta(days=back), screened_positive
                )
                or latest
            )
        case.assessment_needed = False
        case.risk_level = latest.level
        case.review_due = latest.review_due if case.status == Case.Status.OPEN else None
        if latest.level == RiskLevel.HIGH and (
            case.status == Case.Status.CLOSED or rng.random() < 0.85
        ):
            plan = SafetyPlan(
                case=case,
                summary="Staying safe at home and on the way to work.",
                created_by=worker,
                created_at=latest.finalised_at,
                updated_at=latest.finalised_at,
            )
            actions = []
            for kind, description in rng.sample(PLAN_ACTIONS, rng.randint(1, 3)):
                due = latest.finalised_at.date() + datetime.timedelta(days=rng.randint(3, 30))
                done = case.status == Case.Status.CLOSED or rng.random() < 0.5
                actions.append(
                    SafetyAction(
                        kind=kind,
                        description=description,
                        owner=worker,
                        due_on=due,
                        status=SafetyAction.Status.DONE if done else SafetyAction.Status.OPEN,
                        outcome="Done with her." if done else "",
                        created_at=latest.finalised_at,
                    )
                )
            self.plans.append((plan, actions))

    def save(self, report: Any) -> list[Any]:
        """Write the plans and their actions (after the batch's other rows, the assessments
        among them); return their "create" entries."""
        entries: list[Any] = []
        plans = [p for p, _ in self.plans]
        bulkinsert.insert(SafetyPlan, plans)
        actions = []
        for plan, plan_actions in self.plans:
            for action in plan_actions:
                action.plan = plan
                actions.append(action)
        bulkinsert.insert(SafetyAction, actions)
        entries += audit_bulk.log_created(plans, at=self.created_at)
        entries += audit_bulk.log_created(actions, at=self.created_at)
        for label, objs in (("risk.SafetyPlan", plans), ("risk.SafetyAction", actions)):
            report.counts[label] = report.counts.get(label, 0) + len(objs)
            report.rows += len(objs)
        return entries
