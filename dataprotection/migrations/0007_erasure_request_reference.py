from django.db import migrations, models


def fill_request_reference(apps, schema_editor):
    """Existing erasures made on a request keep its reference (the request may be deleted)."""
    Erasure = apps.get_model("dataprotection", "Erasure")
    AccessRequest = apps.get_model("dataprotection", "AccessRequest")
    reference = AccessRequest.objects.filter(pk=models.OuterRef("request_id")).values(
        "reference"
    )[:1]
    Erasure.objects.filter(request__isnull=False).update(
        request_reference=models.Subquery(reference)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dataprotection", "0006_approved_files"),
    ]

    operations = [
        migrations.AddField(
            model_name="erasure",
            name="request_reference",
            field=models.CharField(
                blank=True, max_length=20, verbose_name="request reference"
            ),
        ),
        migrations.RunPython(fill_request_reference, migrations.RunPython.noop),
    ]
