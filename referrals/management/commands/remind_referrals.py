"""Daily, from cron: remind partners of the referrals they have not answered in time, and the
caseworkers who sent them (README, "Scheduled jobs")."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from referrals import notifications
from victimsupport.audit.commands import AuditedCommand


class Command(AuditedCommand):
    help = (
        "Remind partners of sent referrals not answered within REFERRAL_RESPONSE_DAYS working "
        "days (by urgency), and the caseworkers who sent them. Run once a day."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        reminded = 0
        for referral in notifications.referrals_to_remind(now):
            # Read again and saved one at a time: one answered meanwhile is skipped, and an
            # e-mail that fails (logged by its kind, without its address) stops no other.
            if notifications.remind(referral, now=now):
                reminded += 1
        # Counts only: a referral's id says nothing, but the log needs nothing more.
        self.stdout.write(f"{reminded} referrals reminded.")
