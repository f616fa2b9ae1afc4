"""Sharing consents recorded before the partner directory move here.

A consent recorded with its recipient in free text is carried over as a consent to share:
matched to a partner whose name is exactly the recipient, and authorising sharing only when its
purpose is, word for word, one of the list (a purpose in other words cannot be checked against
a referral, so it fails closed); otherwise kept readable and marked as authorising nothing. What it said (recipient
and purpose) stays readable on the case page. The originals are removed so that one consent
is not shown twice; their history stays in the audit log.
"""

from django.db import migrations

# The old consent's categories and the case file's.
CATEGORIES = {
    "identity": "identity",
    "contact": "contact_details",
    "risk": "risk",
    "needs": "needs",
    "notes": "notes",
}

# The purposes of the list when this migration was written, by value and by English label.
PURPOSES = {
    "specialist_support": "specialist support for the person",
    "safety": "safety planning and protection",
    "housing": "safe housing or a refuge place",
    "legal": "legal advice or representation",
    "health": "health care",
    "children": "the safety and care of children",
    "justice": "reporting a crime and the justice process",
}
BY_WORDS = {**{v: v for v in PURPOSES}, **{label: v for v, label in PURPOSES.items()}}


def carry_over(apps, schema_editor):
    Consent = apps.get_model("cases", "Consent")
    SharingConsent = apps.get_model("referrals", "SharingConsent")
    PartnerOrganisation = apps.get_model("referrals", "PartnerOrganisation")
    partners = {p.name: p for p in PartnerOrganisation.objects.all()}
    for old in Consent.objects.filter(kind="sharing").iterator():
        recipient = (old.recipient or "").strip()
        partner = partners.get(recipient)
        purpose = BY_WORDS.get((old.purpose or "").strip().rstrip(".").lower(), "")
        SharingConsent.objects.create(
            case_id=old.case_id,
            partner=partner,
            partner_kind="",
            purpose=purpose if partner else "",
            categories=[CATEGORIES[c] for c in old.data_categories or [] if c in CATEGORIES],
            notice_id=old.notice_id,
            method=old.method,
            witness=old.witness,
            given_at=old.given_at,
            expires_on=old.expires_on,
            recorded_by_id=old.recorded_by_id,
            withdrawn_at=old.withdrawn_at,
            withdrawn_by_id=old.withdrawn_by_id,
            withdrawal_note=old.withdrawal_note,
            legacy_recipient=recipient,
            legacy_purpose=old.purpose,
            authorises=bool(partner and purpose),
        )
        old.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0001_initial"),
        ("cases", "0015_labels"),
    ]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
