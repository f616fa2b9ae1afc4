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
