"""Mend the e-mail rows an anonymous password-reset request used to leave behind.

allauth's reset token wrote the user's own address as an unverified EmailAddress row, which
then refused the user's two-factor set-up ("verify your e-mail address first"). A staff
member's own address was set by an administrator: it counts as verified, and as primary when
the user has none.
"""

from __future__ import annotations

from django.db import migrations


def verify_own_addresses(apps, schema_editor):
    EmailAddress = apps.get_model("account", "EmailAddress")
    for address in EmailAddress.objects.filter(verified=False).select_related("user"):
        if address.email.lower() != (address.user.email or "").lower():
            continue  # an address the person added themselves stays as it is
        address.verified = True
        fields = ["verified"]
        if not EmailAddress.objects.filter(user_id=address.user_id, primary=True).exists():
            address.primary = True
            fields.append("primary")
        address.save(update_fields=fields)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_encrypt_mfa_secrets"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(verify_own_addresses, migrations.RunPython.noop)]
