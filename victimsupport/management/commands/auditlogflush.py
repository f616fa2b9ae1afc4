from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from victimsupport.audit.commands import AuditedCommand


class Command(AuditedCommand):
    """Replaces django-auditlog's command of the same name: the audit log is append-only."""

    help = "Disabled: the audit log is append-only. Retention is handled by the retention schedule."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("args", nargs="*")
        parser.add_argument("-y", "--yes", action="store_true")
        parser.add_argument("-b", "--before-date")

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError("The audit log is append-only: auditlogflush is disabled here.")
