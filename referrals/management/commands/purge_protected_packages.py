"""Hourly or daily, from cron: delete the protected PDFs of referral packages that have
expired (README, "Scheduled jobs"). Those of a referral that ended went with it already."""

from __future__ import annotations

from typing import Any

from referrals import services
from victimsupport.audit.commands import AuditedCommand


class Command(AuditedCommand):
    help = "Delete the protected PDFs of referral packages whose download time has run out."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = services.protected_packages_purge()
        # A count only: the log needs nothing more.
        self.stdout.write(f"{deleted} expired protected packages deleted.")
