"""The referrals' part of the case file: a section listing the case's referrals (to whom,
why, in what state, when), and in the timeline each referral sent, answered and revoked.

Kept apart from ``referrals/casefile.py`` (the consents to share): one contributor per part.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from referrals.models import ProtectedPackage, Referral
from victimsupport.casefile import (
    STAFF_ONLY,
    Category,
    Contributor,
    Section,
    TimelineItem,
    TimelineSource,
)

# A referral record says which outside organisation was told about the person, why and when:
# it is about a third party, so THIRD_PARTIES, and it is shown to staff only. Not to the
# person in it (their copy says what was shared through their consents; a refused override or
# a revoked draft is an internal step), and never to a partner (what they get is the package,
# and another partner's referrals are none of theirs). INTERNAL would be wrong: that is the
# category of staff notes, and a referral is a record of the file, in the staff PDF too.
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
            # After the documents: the record of what went out, last of the file.
            order=95,
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
    # A protected PDF of a package is a short-lived copy of what the referral already shows
    # (its package), kept for its requester's download only: no part of the file.
    technical={ProtectedPackage: "referral__case"},
)
