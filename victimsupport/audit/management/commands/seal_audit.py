from __future__ import annotations

from typing import Any

from victimsupport.audit.chain import seal_pending
from victimsupport.audit.commands import AuditedCommand


class Command(AuditedCommand):
    help = (
        "Chain the audit entries left pending (AUDIT_SEALING=batch): run at start-up, before "
        "the app serves, and on a timer, for entries a crash left unsealed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sealed = seal_pending()
        self.stdout.write(f"{sealed} pending audit entries sealed into the chain.")
