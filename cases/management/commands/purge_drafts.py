from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cases.intake import purge_drafts


class Command(BaseCommand):
    help = "Delete expired intake drafts (and finished ones after a day). Run it regularly."

    def handle(self, *args: Any, **options: Any) -> None:
        count = purge_drafts()
        self.stdout.write(f"Purged {count} intake drafts.")
