from __future__ import annotations

from typing import Any

from dataprotection.services.delivery import delivery_purge
from victimsupport.audit.commands import AuditedCommand


class Command(AuditedCommand):
    help = (
        "Clear the protected PDF and the passphrase of every delivered copy, and of every "
        "one-time link that has expired. Run it daily (cron), with purge_exports."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = delivery_purge()
        self.stdout.write(f"Cleared {count} deliveries.")
