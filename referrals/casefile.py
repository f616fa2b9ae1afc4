"""The referrals app's part of the case file.

The consents to share (``referrals.consents``): what the person agreed may go to which
partner, for what and until when, shown to staff and to the person; and in the timeline,
each consent given and withdrawn.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from referrals.models import SharingConsent
from victimsupport.casefile import (
    Audience,
    Category,
    Contributor,
    Section,
    TimelineItem,
    TimelineSource,
)

# --- Consents to share -------------------------------------------------------------------------

# The person may read their own consents (what they agreed to, and its withdrawal).
CONSENTS_AUDIENCES = Audience.STAFF | Audience.PERSON


def consent_state(consent: SharingConsent, today: Any) -> str:
    """valid, withdrawn, expired, or legacy (carried over from free text: authorises
    nothing)."""
    if consent.withdrawn_at is not None:
        return "withdrawn"
    if not consent.authorises:
        return "legacy"
    if consent.expires_on is not None and consent.expires_on < today:
        return "expired"
    return "valid"


def contribute_consents(case: Any) -> tuple[list[Section], list[TimelineItem]]:
    today = timezone.localdate()
    consents = list(
        SharingConsent.objects.filter(case=case).select_related(
            "partner", "notice", "recorded_by", "withdrawn_by"
        )
    )
    for consent in consents:
        consent.state = consent_state(consent, today)
    sections = [
        Section(
            "sharing_consents",
            _("Consents to share"),
            Category.CONSENTS,
            CONSENTS_AUDIENCES,
            "casefile/sections/sharing_consents.html",
            {"sharing_consents": consents},
            # After the consents to keep their information (80), before documents (90).
            order=88,
            page_template="casefile/page/sharing_consents.html",
        )
    ]
    timeline = [
        *(
            TimelineItem(c.given_at, "sharing_consent", c, Category.CONSENTS, CONSENTS_AUDIENCES)
            for c in consents
        ),
        *(
            TimelineItem(
                c.withdrawn_at, "sharing_withdrawal", c, Category.CONSENTS, CONSENTS_AUDIENCES
            )
            for c in consents
            if c.withdrawn_at
        ),
    ]
    return sections, timeline


CONSENTS = Contributor(
    name="referrals.consents",
    contribute=contribute_consents,
    models={SharingConsent: "case"},
    timeline_sources=(
        TimelineSource(SharingConsent, "case"),
        TimelineSource(SharingConsent, "case", {"withdrawn_at__isnull": False}),
    ),
)
