"""The base of every management command of the project: its audit entries name it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from victimsupport.audit.context import acting_as


class AuditedCommand(BaseCommand):
    """Runs ``handle`` inside ``acting_as(system=<the command's name>)``, so every audit entry
    it writes (directly or through services) says which command wrote it."""

    # Defaults to the command's name, the module's last part (rotate_keys).
    audit_label = ""

    def execute(self, *args: Any, **options: Any) -> Any:
        label = self.audit_label or type(self).__module__.rsplit(".", 1)[-1]
        with acting_as(system=label):
            return super().execute(*args, **options)
