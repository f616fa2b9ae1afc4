from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from victimsupport.audit.commands import AuditedCommand
from victimsupport.crypto import DecryptionError
from victimsupport.crypto.rotation import ModelProgress, key_census, rotate


class Command(AuditedCommand):
    help = (
        "Re-encrypt every encrypted column under FIELD_ENCRYPTION_ACTIVE_KEY, in batches. "
        "Interrupt at any time and run again to resume."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--report",
            action="store_true",
            help="Only count the stored values under each key id; change nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        active = settings.FIELD_ENCRYPTION_ACTIVE_KEY
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if options["report"]:
            census = key_census()
            self._census(census, active)
            return

        def show(progress: ModelProgress) -> None:
            self.stdout.write(
                f"  {progress.label}: {progress.checked}/{progress.rows} rows checked, "
                f"{progress.rewritten} values re-encrypted"
            )

        self.stdout.write(f"Re-encrypting under key {active!r}...")
        try:
            report = rotate(batch_size=options["batch_size"], progress=show)
        except KeyboardInterrupt as exc:
            raise CommandError(
                "Interrupted. Finished batches are saved; run rotate_keys again to resume."
            ) from exc
        except DecryptionError as exc:
            raise CommandError(
                f"Stopped: a stored value could not be decrypted ({exc}). Nothing after it was "
                "changed. Is a key missing from FIELD_ENCRYPTION_KEYS?"
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Done: {report.rewritten} values re-encrypted under {active!r}.")
        )
        self._census(key_census(), active)

    def _census(self, census: Any, active: str) -> None:
        if not census:
            self.stdout.write("No encrypted values are stored yet.")
            return
        for key_id, count in sorted(census.items()):
            marker = " (active)" if key_id == active else ""
            self.stdout.write(f"  key {key_id}{marker}: {count} values")
        old = sorted(set(settings.FIELD_ENCRYPTION_KEYS) - set(census))
        if set(census) == {active}:
            self.stdout.write(
                "Every value uses the active key. Keys no longer needed: "
                + (", ".join(old) if old else "none")
            )
        else:
            self.stdout.write("Some values still use older keys: keep those keys for now.")
