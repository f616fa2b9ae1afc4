from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import transaction

from victimsupport.access import Role, sync_roles
from victimsupport.accounts.models import Team, User
from victimsupport.audit.commands import AuditedCommand

EMAIL_DOMAIN = "loadtest.invalid"


def account_email(prefix: str, number: int) -> str:
    return f"{prefix}-{number:03d}@{EMAIL_DOMAIN}"


def _tracked_by_git(path: Path) -> bool:
    """True when ``path`` lies in this repository and git would not ignore it."""
    root = Path(settings.BASE_DIR).resolve()
    try:
        path.resolve().relative_to(root)
    except ValueError:
        return False  # outside the repository
    try:
        result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            ["git", "check-ignore", "--quiet", str(path.resolve())],  # noqa: S607
            cwd=root,
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False  # no git: nothing can be committed by mistake
    return result.returncode == 1  # 0 ignored, 1 not ignored, 128 not a repository


def write_password_file(path: Path, rows: list[tuple[str, str, str]]) -> None:
    """Written next to its place and moved there in one step: a failure leaves the old file
    (and, called inside the transaction, the old passwords) as they were."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # also when the file existed with another mode
        handle.write(
            "# Load-test accounts (local trials only): email<TAB>password<TAB>TOTP secret\n"
        )
        handle.writelines("\t".join(row) + "\n" for row in rows)
    os.replace(partial, path)


class Command(AuditedCommand):
    help = (
        "Create or reset N caseworker accounts for the load test, spread over the existing "
        "teams, each with an authenticator app, and write their new random passwords and "
        "authenticator secrets to a file readable by you only. "
        "Refused when DJANGO_ENV=production."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, default=20, help="How many accounts (1-500).")
        parser.add_argument(
            "--password-file",
            type=Path,
            required=True,
            help="Where to write email<TAB>password lines (mode 0600; must not be tracked by git).",
        )
        parser.add_argument(
            "--prefix",
            default="loadtest",
            help="Accounts are PREFIX-001@loadtest.invalid and so on.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError(
                "loadtest_accounts creates users and writes their passwords to a file; it is "
                "refused when DJANGO_ENV=production."
            )
        count = options["count"]
        if not 1 <= count <= 500:
            raise CommandError("--count must be between 1 and 500.")
        prefix = options["prefix"]
        if not prefix.replace("-", "").isalnum():
            raise CommandError("--prefix may hold letters, digits and '-' only.")
        path: Path = options["password_file"]
        if _tracked_by_git(path):
            raise CommandError(
                f"{path} is inside the repository and not ignored by git: choose a path outside "
                "it or in a git-ignored folder such as .prod-local/."
            )
        teams = list(Team.objects.order_by("name"))
        if not teams:
            raise CommandError("There are no teams: run `manage.py seed_demo` first.")

        try:
            with transaction.atomic():
                rows = self._create_or_reset(count=count, prefix=prefix, teams=teams)
                # Inside the transaction: if the file cannot be written, no password changed.
                write_password_file(path, rows)
        except OSError as exc:
            raise CommandError(
                f"Cannot write the password file {path}: {exc.strerror}. No account was changed."
            ) from None
        self.stdout.write(
            f"{count} caseworker accounts over {len(teams)} teams; passwords and authenticator "
            f"secrets written to {path} (mode 0600, local trials only)."
        )

    @transaction.atomic
    def _create_or_reset(
        self, *, count: int, prefix: str, teams: list[Team]
    ) -> list[tuple[str, str, str]]:
        sync_roles()
        caseworker = Group.objects.get(name=Role.CASEWORKER)
        rows = []
        for number in range(1, count + 1):
            email = account_email(prefix, number)
            password = secrets.token_urlsafe(18)
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = User(
                    username=email, email=email, first_name="Load", last_name=f"Test {number}"
                )
            # A reset also undoes anything done to the account since: it is a caseworker of
            # one team, active, and nothing more.
            user.is_active = True
            user.is_staff = False
            user.is_superuser = False
            user.set_password(password)
            user.save()
            user.groups.set([caseworker])
            user.user_permissions.clear()
            user.teams.set([teams[(number - 1) % len(teams)]])
            # Production asks caseworkers for a second factor: a fresh authenticator secret,
            # stored encrypted like anyone's, for the load test to make codes from.
            Authenticator.objects.filter(user=user).delete()
            secret = generate_totp_secret()
            TOTP.activate(user, secret)
            rows.append((email, password, secret))
        return rows
