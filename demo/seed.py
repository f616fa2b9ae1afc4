"""Demo data for local trials: one user per role, two teams, a dozen fictional cases.

The accounts and teams are made here; each app's data comes from its own module (demo/cases.py,
demo/risk.py), called in turn by ``seed_demo``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from demo import cases, dataprotection, premises, referrals, risk
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
    # A member of a partner organisation (demo/referrals.py makes her the refuge's).
    (referrals.PARTNER_USER_EMAIL, "Pia", "Partner", Role.PARTNER, (), False),
)


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
    risk.seed_instruments()
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
    cases.seed_notice()
    if not cases.has_cases():
        # The worked examples, once: each app's part in turn (an app adds its call here; a part
        # may use what an earlier one made: risk assesses the cases' intakes).
        cara = User.objects.get(email__iexact="caseworker@demo.example")
        sam = User.objects.get(email__iexact="south.caseworker@demo.example")
        cases.seed_cases(cara=cara, sam=sam)
        risk.seed_risk(cara=cara, sam=sam)
        cases.seed_resumable_intake(cara=cara)
    if not referrals.has_network():
        # Once, on a new database or one seeded before the network existed.
        referrals.seed_network(
            supervisor=User.objects.get(email__iexact="supervisor@demo.example"),
            cara=User.objects.get(email__iexact="caseworker@demo.example"),
        )
    if cases.has_cases() and not dataprotection.has_requests():
        # Once, after the cases and the network: requests at each stage, retention, breaches.
        dataprotection.seed_dataprotection(
            dara=User.objects.get(email__iexact="dpo@demo.example"),
            sofia=User.objects.get(email__iexact="supervisor@demo.example"),
            cara=User.objects.get(email__iexact="caseworker@demo.example"),
        )
    if not premises.has_sites():
        # Once, on a new database or one seeded before the premises existed.
        premises.seed_premises(
            sofia=User.objects.get(email__iexact="supervisor@demo.example"),
            cara=User.objects.get(email__iexact="caseworker@demo.example"),
        )
    return accounts
