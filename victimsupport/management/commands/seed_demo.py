from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from victimsupport.demo import seed_demo


class Command(BaseCommand):
    help = "Create demo users (one per role), teams and cases for a local trial. Idempotent."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the demo users new passwords and print them.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError(
                "seed_demo creates users with printed passwords; it is refused when "
                "DJANGO_ENV=production."
            )
        accounts = seed_demo(reset_passwords=options["reset_passwords"])
        created = [a for a in accounts if a.password]
        if not created:
            self.stdout.write(
                "Demo data already present; nothing changed. Passwords were printed when the "
                "users were created (run `manage.py seed_demo --reset-passwords` for new ones)."
            )
            return
        self.stdout.write(self.style.WARNING("Demo accounts, for local trials only:"))
        for account in created:
            self.stdout.write(f"  {account.role:<24} {account.email:<32} {account.password}")
        self.stdout.write("These passwords are shown once. Sign in at http://127.0.0.1:8000/")
