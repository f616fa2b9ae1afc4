from __future__ import annotations

from typing import Any

from victimsupport.audit.commands import AuditedCommand
from victimsupport.pdfjobs import fail_stalled_jobs, job_models, purge_expired_jobs


class Command(AuditedCommand):
    help = (
        "Delete expired background documents (every kind: case-file exports and any other) "
        "and their PDFs, and mark failed those whose worker stopped. Run it regularly."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        stalled = fail_stalled_jobs()
        count = purge_expired_jobs()
        kinds = ", ".join(sorted(m._meta.label for m in job_models()))
        self.stdout.write(f"Purged {count} export jobs.")
        self.stdout.write(f"Marked {stalled} stalled export jobs failed.")
        self.stdout.write(f"Kinds checked: {kinds}.")
