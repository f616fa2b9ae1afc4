from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from victimsupport.audit.commands import AuditedCommand
from victimsupport.backup import BackupError, make_backup


class Command(AuditedCommand):
    help = (
        "Write a pg_dump (custom format) of the database into BACKUP_DIR, and the audit "
        "chain's head at that moment into a separate .anchor file (keep it apart: "
        "docs/operations.md)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dir", help="Where to write the dump (default: BACKUP_DIR).")
        parser.add_argument(
            "--anchor-dir",
            help="Where to write the chain head (default: BACKUP_ANCHOR_DIR, else beside "
            "the dump, to be copied elsewhere).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["dir"] or settings.BACKUP_DIR
        if not directory:
            raise CommandError("Set BACKUP_DIR (or give --dir): where the dumps are kept.")
        anchor_dir = options["anchor_dir"] or settings.BACKUP_ANCHOR_DIR or None
        try:
            backup = make_backup(
                directory=Path(directory), anchor_directory=Path(anchor_dir) if anchor_dir else None
            )
        except BackupError as exc:
            raise CommandError(f"Backup FAILED: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Backup written: {backup.dump}"))
        self.stdout.write(f"Chain head: {backup.anchor or '(the audit log is empty)'}")
        self.stdout.write(
            f"Written to {backup.anchor_file}. Keep a copy apart from the dumps and the keys: "
            "`backup_check` proves with it that the log was not cut back."
        )
