"""Partner-organisation accounts for the load test (``make loadtest PARTNERS=10``)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count

from referrals.models import PartnerMembership, PartnerOrganisation
from victimsupport.access import Role, sync_roles
from victimsupport.accounts.models import User
from victimsupport.audit.commands import AuditedCommand
from victimsupport.management.commands.loadtest_accounts import (
    _tracked_by_git,
    account_email,
    write_password_file,
)

# The organisations whose inboxes have the most to read share the accounts.
BUSIEST = 5


class Command(AuditedCommand):
    help = (
        "Create or reset N partner-organisation accounts for the load test, members of the "
        "partners that received the most referrals, each with an authenticator app; write their "
        "new random passwords and secrets to a file readable by you only. "
        "Refused when DJANGO_ENV=production."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, default=10, help="How many accounts (1-100).")
        parser.add_argument("--password-file", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("loadtest_partners is refused when DJANGO_ENV=production.")
        count = options["count"]
        if not 1 <= count <= 100:
            raise CommandError("--count must be between 1 and 100.")
        path: Path = options["password_file"]
        if _tracked_by_git(path):
            raise CommandError(f"{path} is inside the repository and not ignored by git.")
        partners = list(
            PartnerOrganisation.objects.annotate(received=Count("referrals")).order_by(
                "-received", "pk"
            )[:BUSIEST]
        )
        if not partners:
            raise CommandError("There are no partner organisations: run `manage.py seed_demo`.")
        try:
            with transaction.atomic():
                rows = self._create_or_reset(count=count, partners=partners)
                write_password_file(path, rows)
        except OSError as exc:
            raise CommandError(
                f"Cannot write the password file {path}: {exc.strerror}. No account was changed."
            ) from None
        self.stdout.write(
            f"{count} partner accounts over {len(partners)} organisations; written to {path}."
        )

    def _create_or_reset(
        self, *, count: int, partners: list[PartnerOrganisation]
    ) -> list[tuple[str, str, str]]:
        sync_roles()
        partner_role = Group.objects.get(name=Role.PARTNER)
        rows = []
        for number in range(1, count + 1):
            email = account_email("loadtest-partner", number)
            password = secrets.token_urlsafe(18)
            user = User.objects.filter(email__iexact=email).first() or User(
                username=email, email=email, first_name="Load", last_name=f"Partner {number}"
            )
            user.is_active, user.is_staff, user.is_superuser = True, False, False
            user.set_password(password)
            user.save()
            user.groups.set([partner_role])
            user.user_permissions.clear()
            user.teams.set([])
            PartnerMembership.objects.filter(user=user).delete()
            PartnerMembership.objects.create(
                user=user, partner=partners[(number - 1) % len(partners)]
            )
            Authenticator.objects.filter(user=user).delete()
            secret = generate_totp_secret()
            TOTP.activate(user, secret)
            rows.append((email, password, secret))
        return rows
