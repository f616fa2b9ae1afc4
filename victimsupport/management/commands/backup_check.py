from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from victimsupport.audit.commands import AuditedCommand
from victimsupport.backup import (
    ANCHOR_SUFFIX,
    BackupError,
    check_backup,
    latest_dump,
    read_anchor,
)


class Command(AuditedCommand):
    help = (
        "The backup drill: restore the latest dump of BACKUP_DIR into a scratch database, "
        "verify the audit chain from the chain head recorded with it, decrypt every encrypted "
        "value with this environment's keys, report counts, drop the scratch database. "
        "Fails on any error."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dir", help="Where the dumps are (default: BACKUP_DIR).")
        parser.add_argument("--dump", help="Check this dump instead of the latest one.")
        anchor = parser.add_mutually_exclusive_group()
        anchor.add_argument("--anchor", metavar="SEQ:SEAL", help="The chain head recorded.")
        anchor.add_argument(
            "--anchor-file",
            help="The .anchor file written with the dump (default: the one of the same name "
            "in BACKUP_ANCHOR_DIR, else beside the dump).",
        )
        anchor.add_argument(
            "--no-anchor",
            action="store_true",
            help="Check without a recorded chain head (proves less: see docs/operations.md).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            dump = self._dump(options)
            anchor = None if options["no_anchor"] else read_anchor(self._anchor_text(dump, options))
            self.stdout.write(f"Checking {dump} ...")
            report = check_backup(dump=dump, anchor=anchor, require_anchor=not options["no_anchor"])
        except BackupError as exc:
            raise CommandError(f"Backup check FAILED: {exc}") from exc
        self.stdout.write(
            f"  restored into {report.database or '-'} (dropped again)\n"
            f"  tables: {report.tables}\n"
            f"  rows: {report.rows}\n"
            f"  encrypted values decrypted: {report.decrypted}\n"
            f"  audit entries verified: {report.audit_entries}"
        )
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"  - {problem}")
            more = report.failures - len(report.problems)
            if more > 0:
                self.stderr.write(f"  ... and {more} more")
            raise CommandError(f"Backup check FAILED: {report.failures} problem(s), listed above.")
        self.stdout.write(self.style.SUCCESS("Backup check passed: restorable and readable."))

    def _dump(self, options: dict[str, Any]) -> Path:
        if options["dump"]:
            dump = Path(options["dump"])
            if not dump.is_file():
                raise BackupError(f"{dump} does not exist.")
            return dump
        directory = options["dir"] or settings.BACKUP_DIR
        if not directory:
            raise BackupError("Set BACKUP_DIR (or give --dir): where the dumps are kept.")
        return latest_dump(Path(directory))

    def _anchor_text(self, dump: Path, options: dict[str, Any]) -> str:
        if options["anchor"]:
            return options["anchor"]
        if options["anchor_file"]:
            path = Path(options["anchor_file"])
        else:
            name = dump.with_suffix(ANCHOR_SUFFIX).name
            apart = settings.BACKUP_ANCHOR_DIR
            path = Path(apart) / name if apart else dump.with_suffix(ANCHOR_SUFFIX)
        if not path.is_file():
            raise BackupError(
                f"No chain head for this dump ({path}): give --anchor or --anchor-file from "
                "where the chain heads are kept."
            )
        return path.read_text()
