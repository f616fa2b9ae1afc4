"""The cases app's part of the demo: the confidentiality notice, twelve fictional people taken in
through the real intake services and worked on (notes, contacts, a document, consents given and
withdrawn, a closure), and one intake left half-way."""

from __future__ import annotations

import datetime

from django.utils import timezone

from cases import intake, services
from cases.models import (
    Case,
    ConfidentialityNotice,
    Consent,
    ContactLog,
    ContactMethod,
    NoticeAcknowledgement,
    RiskScreen,
)
from referrals import services as referral_services
from referrals.models import OrganisationKind, Purpose
from victimsupport.accounts.models import User
from victimsupport.casefile import Category

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


def seed_notice() -> None:
    ConfidentialityNotice.objects.get_or_create(
        version=1, defaults={"title": DEMO_NOTICE_TITLE, "body": DEMO_NOTICE}
    )


def has_cases() -> bool:
    return Case.objects.exists()


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


def seed_cases(*, cara: User, sam: User) -> None:
    """Twelve cases taken in through the real intake services, then worked on."""
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
        intake.draft_acknowledge_notice(
            draft=draft, notice=notice, method=NoticeAcknowledgement.Method.VERBAL
        )
        person = {
            "given_name": given,
            "family_name": family,
            "preferred_name": alias,
            "date_of_birth": born,
            "phone": phone,
            "email": email,
            # Given, then withheld: the intake's rule, not this seeder, keeps no address.
            "address": f"{10 + i} Example Street, Demo Town",
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
                "victim_view": RiskScreen.VictimView.HIGH if worried else RiskScreen.VictimView.LOW,
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
        intake.draft_save_step(draft=draft, step="consent", answers=consent)
        case = intake.intake_finish(draft_id=draft.pk, actor=worker)
        services.note_add(
            case=case, actor=worker, body="First meeting went well; next call agreed."
        )
        if not case.do_not_contact:
            services.contact_record(
                case=case,
                actor=worker,
                method=ContactMethod.PHONE if phone else ContactMethod.IN_PERSON,
                direction=ContactLog.Direction.INBOUND,
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
        if i % 3 == 0:
            # Asked from the case file once a referral for legal advice was considered.
            sharing = referral_services.sharing_consent_give(
                case=case,
                actor=worker,
                partner_kind=OrganisationKind.LEGAL_AID,
                purpose=Purpose.LEGAL,
                categories=[Category.IDENTITY, Category.CONTACT_DETAILS],
                method=Consent.Method.WRITTEN,
                expires_on=timezone.localdate() + datetime.timedelta(days=183),
            )
            if i == 3:
                referral_services.sharing_consent_withdraw(
                    consent=sharing, actor=worker, version=sharing.version, note="Changed her mind."
                )
        if i == 11:
            services.case_close(case=case, actor=worker, reason="Moved away; support completed.")


def seed_resumable_intake(*, cara: User) -> None:
    """One intake interrupted after the notice, to show resuming."""
    notice = ConfidentialityNotice.objects.get(version=1)
    draft = intake.draft_start(owner=cara, team=cara.teams.get())
    intake.draft_save_step(
        draft=draft,
        step="safety",
        answers={"safe_to_talk": "no", "phone_safe": True, "phone_times": "After 18:00 only"},
    )
    intake.draft_acknowledge_notice(
        draft=draft, notice=notice, method=NoticeAcknowledgement.Method.VERBAL
    )
