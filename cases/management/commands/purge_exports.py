from __future__ import annotations

from typing import Any

from cases.exports import purge_exports
from victimsupport.audit.commands import AuditedCommand


class Command(AuditedCommand):
    help = "Delete expired case-file export jobs and their PDFs. Run it regularly."

    def handle(self, *args: Any, **options: Any) -> None:
        count = purge_exports()
        self.stdout.write(f"Purged {count} export jobs.")
