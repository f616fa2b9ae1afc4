"""Install the two instruments shipped with the application, as published version 1.

Later changes to the shipped files are loaded with `manage.py load_instrument`, which makes a
new version; this migration never touches an instrument that already exists.
"""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

FILES = ["default.json", "checklist_24.json"]


def load(apps, schema_editor):
    Instrument = apps.get_model("risk", "Instrument")
    InstrumentVersion = apps.get_model("risk", "InstrumentVersion")
    folder = Path(__file__).resolve().parent.parent / "instruments"
    for name in FILES:
        definition = json.loads((folder / name).read_text(encoding="utf-8"))
        if Instrument.objects.filter(key=definition["key"]).exists():
            continue
        instrument = Instrument.objects.create(
            key=definition["key"],
            name=definition["name"],
            description=definition.get("description", ""),
        )
        InstrumentVersion.objects.create(
            instrument=instrument,
            version=1,
            status="published",
            definition=definition,
            published_at=timezone.now(),
        )


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
