from __future__ import annotations

from typing import Any

from cases.intake import purge_drafts
from victimsupport.audit.commands import AuditedCommand


class Command(AuditedCommand):
    help = "Delete expired intake drafts (and finished ones after a day). Run it regularly."

    def handle(self, *args: Any, **options: Any) -> None:
        count = purge_drafts()
        self.stdout.write(f"Purged {count} intake drafts.")
