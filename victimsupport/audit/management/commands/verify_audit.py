from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from victimsupport.audit.chain import verify_chain


class Command(BaseCommand):
    help = "Check the audit log's hash chain; report the first entry changed, removed or inserted."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit log check FAILED after {report.checked} good entries: {report.problem}."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit log intact: {report.checked} entries verified.")
        )
