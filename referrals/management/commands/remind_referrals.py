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
        due = notifications.referrals_to_remind(now)
        for referral in due:
            notifications.remind(referral, now=now)
        # Counts only: a referral's id says nothing, but the log needs nothing more.
        self.stdout.write(f"{len(due)} referrals reminded.")
