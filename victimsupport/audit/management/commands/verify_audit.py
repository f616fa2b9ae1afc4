from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from victimsupport.audit.chain import verify_chain
from victimsupport.audit.commands import AuditedCommand


class Command(AuditedCommand):
    help = "Check the audit log's hash chain; report the first entry changed, removed or inserted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--anchor",
            metavar="SEQ:SEAL",
            help="A chain head printed by an earlier run and kept outside the database.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchor = None
        if options["anchor"]:
            seq, sep, seal = options["anchor"].partition(":")
            if not sep or not seq.isdigit() or len(seal) != 64:
                raise CommandError("--anchor takes SEQ:SEAL as printed by verify_audit.")
            anchor = (int(seq), seal)
        report = verify_chain(anchor=anchor)
        if not report.ok:
            raise CommandError(
                f"Audit log check FAILED after {report.checked} good entries: {report.problem}."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit log intact: {report.checked} entries verified.")
        )
        if report.pending:
            self.stdout.write(
                self.style.WARNING(
                    f"{report.pending} entries are pending: written by the application (their "
                    "own MACs hold) but not yet chained, so their removal would not show. "
                    "`manage.py seal_audit` chains them."
                )
            )
        if report.head_seq:
            self.stdout.write(
                f"Chain head: {report.head_seq}:{report.head_seal}\n"
                "Keep this line outside the database (an operations log, write-once storage); "
                "a later `verify_audit --anchor` with it proves the log was not cut back or "
                "rewritten."
            )
