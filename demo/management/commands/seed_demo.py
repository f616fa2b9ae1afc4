from __future__ import annotations

import os
import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, OutputWrapper

from demo.seed import seed_demo
from victimsupport.audit.commands import AuditedCommand


class Command(AuditedCommand):
    help = "Create demo users (one per role), teams and cases for a local trial. Idempotent."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the demo users new passwords and print them.",
        )
        parser.add_argument(
            "--address",
            default=os.environ.get("SEED_DEMO_ADDRESS", "http://127.0.0.1:8000/"),
            help="The address the app is served on, printed with the passwords (default: "
            "$SEED_DEMO_ADDRESS, else http://127.0.0.1:8000/; `make run PORT=...` passes its own).",
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=0,
            metavar="N",
            help="Also add N fictional cases, spread over teams of about 5,000 cases, with "
            "their notes, assessments, plans, consents, referrals, requests, grants, the teams' "
            "sites and partners, and audit entries. Each run adds N more; a run that was "
            "interrupted continues where it stopped when the same command is given again.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Cases written per transaction with --cases (default 500).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=0,
            help="Processes writing cases in parallel on PostgreSQL (default: one per core; "
            "SQLite always uses one).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError(
                "seed_demo creates users with printed passwords; it is refused when "
                "DJANGO_ENV=production."
            )
        if options["cases"] < 0 or options["batch_size"] < 1 or options["workers"] < 0:
            raise CommandError(
                "--cases and --workers must be 0 or more and --batch-size at least 1."
            )
        accounts = seed_demo(reset_passwords=options["reset_passwords"])
        created = [a for a in accounts if a.password]
        if created:
            self.stdout.write(self.style.WARNING("Demo accounts, for local trials only:"))
            for account in created:
                self.stdout.write(f"  {account.role:<24} {account.email:<32} {account.password}")
            self.stdout.write(f"These passwords are shown once. Sign in at {options['address']}")
        elif not options["cases"]:
            self.stdout.write(
                "Demo data already present; nothing changed. Passwords were printed when the "
                "users were created (run `manage.py seed_demo --reset-passwords` for new ones)."
            )
        if options["cases"]:
            workers = options["workers"] or os.cpu_count() or 1
            self._seed_cases(options["cases"], options["batch_size"], workers)

    def _seed_cases(self, n: int, batch_size: int, workers: int) -> None:
        from demo.bulk import RunPending, pending_run, seed_cases

        run = pending_run()
        if run is not None:
            self.stdout.write(
                f"Continuing the interrupted run of {run.cases:,} cases (batches of "
                f"{run.batch_size}); the batches already written are kept."
            )
        bar = ProgressBar(self.stdout)
        try:
            report = seed_cases(n, batch_size=batch_size, workers=workers, progress=bar.update)
        except RunPending as pending:
            raise CommandError(str(pending)) from pending
        bar.finish()
        self.stdout.write(
            f"Added {report.cases:,} cases ({report.rows:,} rows, {report.audit_entries:,} "
            f"audit entries) over {report.teams} teams, {report.staff} new staff accounts, "
            f"in {report.seconds:.0f} s ({report.cases / max(report.seconds, 0.001):,.0f} "
            "cases/s)."
        )
        if report.resumed_from:
            self.stdout.write(
                f"With the {report.resumed_from:,} cases written before the interruption, the "
                f"run's {report.resumed_from + report.cases:,} cases are all there."
            )
        self.stdout.write(
            "The new staff accounts cannot sign in (no password): they hold the cases. The demo "
            "accounts above see their teams' share."
        )


class ProgressBar:
    """Cases done of the run's total, the rate of this call and the time left: a one-line bar
    on a terminal; otherwise a line each hundredth of the way or every ten seconds (logs)."""

    def __init__(self, stream: OutputWrapper, width: int = 30, every: float = 10.0) -> None:
        self.stream = stream
        self.width = width
        self.every = every
        self.tty = stream.isatty()
        self.started = time.perf_counter()
        self.first: int | None = None  # where this call started (a resumed run is not at 0)
        self.last_line = 0.0
        self.last_hundredth = -1

    def update(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first, self.started = done, now
        elapsed = now - self.started
        rate = (done - self.first) / elapsed if elapsed else 0.0
        eta = (total - done) / rate if rate else 0.0
        filled = int(self.width * done / total)
        line = (
            f"[{'#' * filled}{'.' * (self.width - filled)}] {done:,}/{total:,} cases "
            f"{rate:,.0f}/s, {_duration(eta)} left"
        )
        if self.tty:
            self.stream.write("\r" + line, ending="")
            self.stream.flush()
        elif done * 100 // total > self.last_hundredth or now - self.last_line >= self.every:
            self.last_hundredth = done * 100 // total
            self.last_line = now
            self.stream.write(line)
            self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("")
            self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds // 60 % 60:02d} min"
