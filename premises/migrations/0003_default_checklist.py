"""Install the premises security checklist shipped with the application, as published
version 1. A template that already exists is left alone: later versions are the
organisation's, made in the administration."""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone


def load(apps, schema_editor):
    ChecklistTemplate = apps.get_model("premises", "ChecklistTemplate")
    ChecklistVersion = apps.get_model("premises", "ChecklistVersion")
    path = Path(__file__).resolve().parent.parent / "checklists" / "default.json"
    definition = json.loads(path.read_text(encoding="utf-8"))
    if ChecklistTemplate.objects.filter(key=definition["key"]).exists():
        return
    name = definition["name"]
    template = ChecklistTemplate.objects.create(
        key=definition["key"], name=name["en"] if isinstance(name, dict) else name
    )
    ChecklistVersion.objects.create(
        template=template,
        version=1,
        status="published",
        definition=definition,
        published_at=timezone.now(),
    )


class Migration(migrations.Migration):
    dependencies = [("premises", "0002_safety")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
