from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError

from risk.models import InstrumentVersion
from victimsupport.audit.commands import AuditedCommand


class Command(AuditedCommand):
    help = "Print an instrument version as JSON (the newest one unless --number is given)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("key")
        parser.add_argument("--number", type=int, help="The version number to print.")

    def handle(self, *args: Any, **options: Any) -> None:
        versions = InstrumentVersion.objects.filter(instrument__key=options["key"])
        if options["number"]:
            versions = versions.filter(version=options["number"])
        version = versions.order_by("-version").first()
        if version is None:
            raise CommandError(f"No instrument version found for {options['key']!r}.")
        self.stdout.write(json.dumps(version.definition, indent=2, ensure_ascii=False))
