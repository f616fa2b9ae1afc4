"""The package of a referral: what of a case file goes to a partner, as the partner sees it.

One function renders it, from the one case-file projection (``victimsupport.casefile``),
filtered to what a partner may be shown and to the categories chosen. The preview page shows
exactly this HTML, and at sending the same HTML is stored on the referral, so the partner
later reads what was sent, not what the file says by then.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from cases.models import Case, Victim
from referrals.models import SHAREABLE, Referral
from victimsupport import casefile
from victimsupport.casefile import Audience, Category

TEMPLATE = "referrals/package.html"


def package_file(case: Case, categories: Iterable[str]) -> casefile.CaseFile:
    """The projection cut down to a package: a partner's audience, the chosen categories, and
    never internal staff notes whatever was chosen (a second lock behind sharing_check)."""
    chosen = (set(categories) & SHAREABLE) - {Category.INTERNAL}
    projection = casefile.build(case).for_audience(Audience.PARTNER)
    return projection.without(*(c for c in Category.values if c not in chosen))


def render_package(case: Case, categories: Iterable[str], referral: Referral) -> str:
    """The package's HTML: a header (partner, purpose, urgency, the message, the categories
    sent, the date) and the chosen parts of the file.

    The person's section is staff's and the person's only in the projection; a package adds
    their identity under the consent it goes with: the name (or the alias, where one is set,
    in its place) and the date of birth, when 'identity' is among the categories.
    """
    chosen = sorted(set(categories))
    projection = package_file(case, chosen)
    identity = None
    if Category.IDENTITY in chosen:
        identity = Victim.objects.filter(case=case).first()
    context: dict[str, Any] = {
        **projection.context(),
        "case": case,
        "referral": referral,
        "categories": chosen,
        "category_labels": referral.category_labels() if referral else [],
        "identity": identity,
        # The day only: a preview and the package sent the same day are the same page.
        "dated": referral.sent_at or timezone.now(),
        # Third parties are never a partner's to read (the projection leaves their section
        # out for a partner already; this keeps their template silent if that changed).
        "include_third_parties": False,
    }
    return render_to_string(TEMPLATE, context)
