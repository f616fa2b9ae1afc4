"""Demo data for local trials: one user per role, two teams, and a couple of cases."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from cases.models import Case, ConfidentialityNotice
from cases.services import case_create
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
        cara = User.objects.get(email__iexact="caseworker@demo.example")
        sam = User.objects.get(email__iexact="south.caseworker@demo.example")
        case_create(team=teams["North team"], assigned_to=cara)
        case_create(team=teams["North team"], assigned_to=cara)
        case_create(team=teams["South team"], assigned_to=sam)
    return accounts
