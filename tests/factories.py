"""Small builders for test data. Named people, as in the specifications:
Cara is a caseworker in the North team, Sofia supervises North, Sam works in South,
Oscar has no role at all."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth.models import Group

from cases.models import Case
from cases.services import case_create
from victimsupport.access import Role, sync_roles
from victimsupport.accounts.models import Team, User

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def make_team(name: str | None = None) -> Team:
    return Team.objects.get_or_create(name=name or f"Team {next(_seq)}")[0]


def make_user(
    name: str = "user",
    *,
    role: str | None = None,
    teams: tuple[Team, ...] = (),
    password: str = PASSWORD,
    **extra: Any,
) -> User:
    sync_roles()
    email = f"{name.lower()}{next(_seq)}@test.example"
    user = User.objects.create_user(
        username=email, email=email, password=password, first_name=name, **extra
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    if teams:
        user.teams.add(*teams)
    return user


def make_case(*, team: Team, assigned_to: User | None = None) -> Case:
    return case_create(team=team, assigned_to=assigned_to)


def caseworker(team: Team, name: str = "Cara") -> User:
    return make_user(name, role=Role.CASEWORKER, teams=(team,))


def with_totp(user: User) -> str:
    """Give ``user`` an activated authenticator app; return its secret (to make codes)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def supervisor(team: Team, name: str = "Sofia") -> User:
    """A supervisor who has set up two-factor authentication, as their role requires."""
    user = make_user(name, role=Role.SUPERVISOR, teams=(team,))
    with_totp(user)
    return user


def make_full_case(worker: User, *, team: Team | None = None, **person: Any) -> Case:
    """A case taken in through every intake step, as a caseworker would."""
    from cases import intake
    from cases.models import ConfidentialityNotice

    notice = ConfidentialityNotice.objects.first() or ConfidentialityNotice.objects.create(
        version=1, title="Confidentiality", body="What we keep and when we must share it."
    )
    draft = intake.draft_start(owner=worker, team=team or worker.teams.first())
    intake.draft_save_step(
        draft=draft,
        step="safety",
        answers={"safe_to_talk": "yes", "phone_safe": True, "phone_times": "Mornings"},
    )
    intake.draft_acknowledge_notice(draft=draft, notice=notice, method="verbal")
    n = next(_seq)
    answers = {
        "given_name": f"Given{n}",
        "family_name": f"Family{n}",
        "phone": f"+3260000{n:04d}",
        "email": f"person{n}@example.org",
        "date_of_birth": "1990-01-01",
        **person,
    }
    intake.draft_save_step(draft=draft, step="person", answers=answers)
    intake.draft_save_step(
        draft=draft,
        step="screening",
        answers={
            "ongoing_threat": "no",
            "ongoing_victimisation": "no",
            "fearful": "no",
            "victim_view": "low",
        },
    )
    intake.draft_save_step(draft=draft, step="needs", answers={"crime_reported": "no"})
    intake.draft_save_step(
        draft=draft, step="consent", answers={"processing": "yes", "method": "verbal"}
    )
    return intake.intake_finish(draft_id=draft.pk, actor=worker)
