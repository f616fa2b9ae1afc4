from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("dataprotection", "0002_request_reference_counter")]

    operations = [
        migrations.AddField(
            model_name="accessrequest",
            name="documents_confirmed",
            field=models.JSONField(
                blank=True, default=list, verbose_name="documents checked by eye"
            ),
        ),
    ]
