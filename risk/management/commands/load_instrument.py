from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import CommandError

from risk.engine import InstrumentError
from risk.services import instrument_load
from victimsupport.audit.commands import AuditedCommand


class Command(AuditedCommand):
    help = "Load a risk instrument from a JSON or YAML file as its next version."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--draft", action="store_true", help="Store as a draft instead of publishing it."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        try:
            if path.suffix.lower() in {".yaml", ".yml"}:
                definition = yaml.safe_load(text)
            else:
                definition = json.loads(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            raise CommandError(f"{path} is not valid {path.suffix[1:].upper()}: {exc}") from exc
        try:
            version, created = instrument_load(definition, publish=not options["draft"])
        except InstrumentError as exc:
            raise CommandError(
                f"{path} is not a valid instrument:\n  - " + "\n  - ".join(exc.errors)
            ) from exc
        if created:
            state = "draft" if options["draft"] else "published"
            self.stdout.write(self.style.SUCCESS(f"Loaded {version} ({state})."))
        else:
            self.stdout.write(f"{version} already holds this definition; nothing changed.")
