"""Encrypt the second-factor secrets allauth stored in the clear before MFAAdapter existed.

Idempotent: values that are already key-ring tokens are left as they are. Reversible: going
back decrypts them again, for the code before this change (which read them in the clear);
that puts the secrets back in the clear, so only do it to roll back that change.
"""

from django.db import migrations


def _rewrite(apps, change):
    Authenticator = apps.get_model("mfa", "Authenticator")
    # One row per staff member and factor: few enough to read at once.
    for pk, kind, data in list(Authenticator.objects.values_list("pk", "type", "data")):
        new = change(kind, data)
        if new != data:
            Authenticator.objects.filter(pk=pk).update(data=new)


def encrypt_secrets(apps, schema_editor):
    from victimsupport.accounts import mfa_secrets

    _rewrite(apps, mfa_secrets.encrypt_plaintext)


def decrypt_secrets(apps, schema_editor):
    from victimsupport.accounts import mfa_secrets

    _rewrite(apps, mfa_secrets.decrypt_to_plaintext)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_secrets, decrypt_secrets, elidable=False)]
