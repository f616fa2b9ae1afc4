"""Daily, from cron: record the closed cases due for erasure, purge the technical records past
their period, and list the DPO's records past theirs. Prints counts only, never a name."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import CommandError

from dataprotection.services.retention import retention_due
from victimsupport.audit.commands import AuditedCommand


class Command(AuditedCommand):
    help = (
        "Record what the retention schedule says is due (closed cases wait for the DPO's "
        "approval), purge expired drafts and exports, and count the records to review."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count, write nothing.")
        parser.add_argument("--today", metavar="YYYY-MM-DD", help="Run as on another day.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = datetime.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError("--today takes a date as YYYY-MM-DD.") from None
        try:
            report = retention_due(today=today, dry_run=options["dry_run"])
        except Exception as exc:  # a cron job's failure must show in its exit code
            raise CommandError(f"Retention check failed: {type(exc).__name__}.") from exc
        would = "would be " if options["dry_run"] else ""
        self.stdout.write(
            f"Closed cases due for erasure: {report.cases_due} "
            f"({report.erasures_recorded} {would}newly recorded, waiting for approval)."
        )
        self.stdout.write(f"Closed cases past their period but on legal hold: {report.on_hold}.")
        self.stdout.write(
            f"Of the cases due, waiting for an open request or referral: {report.blocked} "
            "(each erasure's page says which)."
        )
        for label, count in sorted(report.purged.items()):
            self.stdout.write(
                f"Purged {label}: {count}" if not would else f"To purge {label}: {count}"
            )
        for kind, references in sorted(report.listed.items()):
            self.stdout.write(f"To review ({kind}): {len(references)}")
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
