"""Demo data for local trials: one user per role, two teams, a dozen fictional cases."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from cases.models import Case, ConfidentialityNotice
from victimsupport.access import Role, sync_roles
from victimsupport.accounts.models import Team, User

TEAMS = ("North team", "South team")

# (email, first name, last name, role, teams, staff)
DEMO_USERS = (
    ("caseworker@demo.example", "Cara", "Caseworker", Role.CASEWORKER, ("North team",), False),
    ("south.caseworker@demo.example", "Sam", "South", Role.CASEWORKER, ("South team",), False),
    ("supervisor@demo.example", "Sofia", "Supervisor", Role.SUPERVISOR, ("North team",), False),
    ("dpo@demo.example", "Dara", "Protection", Role.DATA_PROTECTION_OFFICER, (), False),
    ("auditor@demo.example", "Ari", "Auditor", Role.AUDITOR, (), False),
    ("admin@demo.example", "Alex", "Admin", Role.ADMINISTRATOR, (), True),
)


DEMO_NOTICE_TITLE = "How we keep what you tell us confidential"
DEMO_NOTICE = """\
What you tell us stays within this service. Only the staff supporting you, and their
supervisors, can read your file. We keep it locked and encrypted, and we record every time
someone opens it.

We do not pass your information to anyone else, including the police, without your
agreement, except in these circumstances, which we will explain to you first wherever we can:
- someone's life is in immediate danger;
- a child or an adult at risk is being harmed or is in danger of serious harm;
- a court orders us to.

You can ask to see your file, ask us to correct it, and withdraw your agreement to share it at
any time. Ask us how long we keep it."""


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    password: str | None  # None: the account existed and its password was left alone


def _password() -> str:
    return "demo-" + secrets.token_urlsafe(12)


@transaction.atomic
def seed_demo(*, reset_passwords: bool = False) -> list[DemoAccount]:
    """Create what is missing; change nothing that exists (unless asked to reset passwords)."""
    sync_roles()
    from risk.services import ensure_shipped_instruments

    ensure_shipped_instruments()
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in TEAMS}
    accounts = []
    for email, first, last, role, team_names, staff in DEMO_USERS:
        user = User.objects.filter(email__iexact=email).first()
        password = None
        if user is None:
            password = _password()
            user = User.objects.create_user(
                username=email,
                email=email,
                password=password,
                first_name=first,
                last_name=last,
                is_staff=staff,
            )
            user.groups.add(Group.objects.get(name=role))
            user.teams.add(*(teams[t] for t in team_names))
        elif reset_passwords:
            password = _password()
            user.set_password(password)
            user.save(update_fields=["password"])
        accounts.append(DemoAccount(email=email, role=role, password=password))
    ConfidentialityNotice.objects.get_or_create(
        version=1, defaults={"title": DEMO_NOTICE_TITLE, "body": DEMO_NOTICE}
    )
    if not Case.objects.exists():
        _demo_cases(
            cara=User.objects.get(email__iexact="caseworker@demo.example"),
            sam=User.objects.get(email__iexact="south.caseworker@demo.example"),
        )
    return accounts


# Fictional people; any likeness is accidental. (given, family, alias, birth, phone, email)
DEMO_PEOPLE = [
    ("Amara", "Okoye", "", "1987-03-14", "+32 470 10 20 01", "amara.okoye@mail.example"),
    ("Lena", "Vos", "L", "1992-11-02", "+32 470 10 20 02", ""),
    ("Sofie", "Janssens", "", "1979-06-21", "", "s.janssens@mail.example"),
    ("Marta", "Kowalska", "Marta K", "2001-01-30", "+32 470 10 20 04", ""),
    ("Yasmin", "El Idrissi", "", "1995-08-09", "+32 470 10 20 05", "yasmin@mail.example"),
    ("Ines", "Pereira", "", "1984-12-12", "", ""),
    ("Hanna", "Berg", "Hanne", "1969-04-04", "+32 470 10 20 07", ""),
    ("Chloe", "Martin", "", "1999-09-19", "+32 470 10 20 08", "chloe.m@mail.example"),
    ("Nadia", "Haddad", "", "1990-02-27", "+32 470 10 20 09", ""),
    ("Eva", "Novak", "E", "1975-07-07", "", "eva.novak@mail.example"),
    ("Rosa", "Lindqvist", "", "1988-05-15", "+32 470 10 20 11", ""),
    ("Joy", "Mensah", "", "2003-10-01", "+32 470 10 20 12", "joy.m@mail.example"),
]


def _demo_cases(*, cara: User, sam: User) -> None:
    """Twelve cases taken in through the real intake services, then worked on."""
    from cases import intake, services
    from cases.models import Consent

    notice = ConfidentialityNotice.objects.get(version=1)
    for i, (given, family, alias, born, phone, email) in enumerate(DEMO_PEOPLE):
        worker = cara if i % 3 != 2 else sam
        worried = i % 2 == 0
        draft = intake.draft_start(owner=worker, team=worker.teams.get())
        safety = {
            "safe_to_talk": "yes",
            "phone_safe": bool(phone) and i != 5,
            "phone_times": "Weekday mornings" if phone else "",
            "email_safe": bool(email),
            "code_word": "sunflower" if worried else "",
            "do_not_contact": i == 5,
        }
        intake.draft_save_step(draft=draft, step="safety", answers=safety)
        intake.draft_acknowledge_notice(draft=draft, notice=notice, method="verbal")
        person = {
            "given_name": given,
            "family_name": family,
            "preferred_name": alias,
            "date_of_birth": born,
            "phone": phone,
            "email": email,
            "address": "" if i % 4 == 0 else f"{10 + i} Example Street, Demo Town",
            "address_withheld": i % 4 == 0,
            "language": "French" if i % 5 == 0 else "Dutch",
            "interpreter_needed": i % 5 == 0,
            "feared_name": "A. Demo-Person" if worried else "",
            "feared_relationship": "former partner" if worried else "",
        }
        intake.draft_save_step(draft=draft, step="person", answers=person)
        level = "yes" if worried else "no"
        intake.draft_save_step(
            draft=draft,
            step="screening",
            answers={
                "ongoing_threat": level,
                "ongoing_victimisation": "unknown",
                "fearful": level,
                "victim_view": "high" if worried else "low",
                "victim_words": "I check the street before I leave" if worried else "",
            },
        )
        intake.draft_save_step(
            draft=draft,
            step="needs",
            answers={
                "categories": ["emotional", "legal"] + (["housing"] if worried else []),
                "details": "Would like to understand her options.",
                "crime_reported": "yes" if i % 3 == 0 else "no",
            },
        )
        consent = {"processing": "yes", "method": "verbal", "witness": ""}
        if i % 3 == 0:
            consent.update(
                sharing=True,
                sharing_recipient="Demo Legal Advice Centre",
                sharing_purpose="Advice on a protection order",
                sharing_categories=["identity", "contact"],
            )
        intake.draft_save_step(draft=draft, step="consent", answers=consent)
        case = intake.intake_finish(draft_id=draft.pk, actor=worker)
        services.note_add(
            case=case, actor=worker, body="First meeting went well; next call agreed."
        )
        if not case.do_not_contact:
            services.contact_record(
                case=case,
                actor=worker,
                method="phone" if phone else "in_person",
                direction="in",
                summary="Called to confirm the appointment.",
            )
        if i == 0:
            services.document_add(
                case=case,
                actor=worker,
                name="appointment-letter.txt",
                content_type="text/plain",
                data=b"Appointment confirmed for Tuesday at 10:00.",
                description="Letter from the housing office",
            )
        if i == 3:
            sharing = Consent.objects.filter(case=case, kind=Consent.Kind.SHARING).first()
            if sharing is None:
                sharing = services.consent_give(
                    case=case,
                    actor=worker,
                    kind=Consent.Kind.SHARING,
                    purpose="Referral to counselling",
                    recipient="Demo Counselling Service",
                    data_categories=["identity", "contact"],
                    method=Consent.Method.WRITTEN,
                )
            services.consent_withdraw(
                consent=sharing, actor=worker, version=sharing.version, note="Changed her mind."
            )
        if i == 11:
            services.case_close(case=case, actor=worker, reason="Moved away; support completed.")
    _demo_risk(cara=cara, sam=sam)
    # One intake interrupted after the notice, to show resuming.
    draft = intake.draft_start(owner=cara, team=cara.teams.get())
    intake.draft_save_step(
        draft=draft,
        step="safety",
        answers={"safe_to_talk": "no", "phone_safe": True, "phone_times": "After 18:00 only"},
    )
    intake.draft_acknowledge_notice(draft=draft, notice=notice, method="verbal")


def _demo_risk(*, cara: User, sam: User) -> None:
    """Training records, finalised assessments, a safety plan and a trigger."""
    import datetime

    from django.utils import timezone

    from risk import engine
    from risk import services as risk
    from risk.models import InstrumentVersion, TrainingRecord

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
