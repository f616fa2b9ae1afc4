"""The referrals' part of the case file: a section listing the case's referrals (to whom,
why, in what state, when), and in the timeline each referral sent, answered and revoked.

Kept apart from ``referrals/casefile.py`` (the consents to share): one contributor per part.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from referrals.models import Referral
from victimsupport.casefile import (
    STAFF_ONLY,
    Category,
    Contributor,
    Section,
    TimelineItem,
    TimelineSource,
)

# A referral record says which outside organisation was told about the person, why and when:
# it is about a third party, and it is staff's only. The person is not shown it here (their
# copy tells them what was shared through their consents, and a refused or revoked referral is
# an internal step), and a partner never reads another partner's referral, nor its own record:
# the package is what they get. INTERNAL would keep it from the staff PDF's readers who may
# see third parties; THIRD_PARTIES with STAFF_ONLY says both things at once.
CATEGORY = Category.THIRD_PARTIES


def contribute(case: Any) -> tuple[list[Section], list[TimelineItem]]:
    referrals = list(
        Referral.objects.filter(case=case)
        .select_related("partner", "sent_by", "answered_by", "revoked_by")
        .defer("package")
        .order_by("-created_at")
    )
    sections = [
        Section(
            "referrals",
            _("Referrals"),
            CATEGORY,
            STAFF_ONLY,
            "referrals/casefile_section.html",
            {"case_referrals": referrals},
            order=85,
            page_template="referrals/casefile_page.html",
        )
    ]
    timeline = [
        *(TimelineItem(r.sent_at, "referral_sent", r, CATEGORY) for r in referrals if r.sent_at),
        *(
            TimelineItem(r.answered_at, "referral_answered", r, CATEGORY)
            for r in referrals
            if r.answered_at
        ),
        *(
            TimelineItem(r.revoked_at, "referral_revoked", r, CATEGORY)
            for r in referrals
            if r.revoked_at
        ),
    ]
    return sections, timeline


CONTRIBUTOR = Contributor(
    name="referrals.referrals",
    contribute=contribute,
    models={Referral: "case"},
    timeline_sources=(
        TimelineSource(Referral, "case", {"sent_at__isnull": False}),
        TimelineSource(Referral, "case", {"answered_at__isnull": False}),
        TimelineSource(Referral, "case", {"revoked_at__isnull": False}),
    ),
)
