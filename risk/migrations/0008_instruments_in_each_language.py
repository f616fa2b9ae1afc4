"""Each instrument text in every language; the shipped instruments in English and French.

The definitions stay JSON: a text is now either a string (English) or a mapping of language
code to text. Stored versions are not rewritten: a published version is never changed, and an
English-only one still reads as before (English is every language's fallback).

A database whose shipped instrument is still the shipped English-only text gets the bilingual
text as its next published version, which new assessments use; assessments made under the
old version keep it. An instrument the organisation has changed since (its newest published
version differs from what was shipped) is left as it is: its translation is theirs to load.
"""

import json
from pathlib import Path

import risk.models
from django.db import migrations, models
from django.db.models import Max
from django.utils import timezone

FILES = ["default.json", "checklist_24.json"]
# Texts added with the translations: the English-only definitions shipped before had none.
ADDED = {"red_flag_label", "explanation"}


def _english(value):
    """The definition as it was shipped before: each text in English, the added ones left out."""
    if isinstance(value, dict):
        if value and all(isinstance(k, str) and len(k) <= 11 for k in value) and "en" in value:
            if all(isinstance(v, str) for v in value.values()):
                return value["en"]
        return {k: _english(v) for k, v in value.items() if k not in ADDED}
    if isinstance(value, list):
        return [_english(v) for v in value]
    return value


def translate(apps, schema_editor):
    Instrument = apps.get_model("risk", "Instrument")
    InstrumentVersion = apps.get_model("risk", "InstrumentVersion")
    folder = Path(__file__).resolve().parent.parent / "instruments"
    for name in FILES:
        definition = json.loads((folder / name).read_text(encoding="utf-8"))
        instrument = Instrument.objects.filter(key=definition["key"]).first()
        if instrument is None:
            continue
        published = instrument.versions.filter(status="published").order_by("-version").first()
        if published is None or published.definition == definition:
            continue
        if published.definition != _english(definition):
            continue  # changed by the organisation: not ours to replace
        number = (instrument.versions.aggregate(n=Max("version"))["n"] or 0) + 1
        InstrumentVersion.objects.create(
            instrument=instrument,
            version=number,
            status="published",
            definition=definition,
            published_at=timezone.now(),
        )


class Migration(migrations.Migration):
    dependencies = [("risk", "0007_certificate_quarantine")]
    operations = [
        migrations.AlterField(
            model_name="instrumentversion",
            name="definition",
            field=models.JSONField(validators=[risk.models.validate_definition_size]),
        ),
        migrations.RunPython(translate, migrations.RunPython.noop),
    ]
