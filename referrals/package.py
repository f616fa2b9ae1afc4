"""The package of a referral: what of a case file goes to a partner, as the partner sees it.

One function renders it, from the one case-file projection (``victimsupport.casefile``),
filtered to what a partner may be shown and to the categories chosen. The preview page shows
exactly this HTML, and at sending the same HTML is stored on the referral, so the partner
later reads what was sent, not what the file says by then.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from cases.models import Case, ContactMethod, Victim
from referrals.models import SHAREABLE, Referral, category_labels
from victimsupport import casefile
from victimsupport.casefile import Audience, Category

TEMPLATE = "referrals/package.html"

# The parts of a file a package can carry. The projection shows a partner the safe-contact
# rules (safety) and the needs; a package adds, under its consent, who the person is
# (identity), how to reach them safely (contact details: only the methods marked safe, never
# when they must not be contacted) and the current risk level (risk: the level and the next
# review, never the answers). Notes, documents, consents and third parties are the staff's and
# the person's only: they are not offered, so nothing is chosen that would send nothing.
PACKAGE_CATEGORIES = [
    (value, label)
    for value, label in Category.choices
    if value
    in (
        Category.IDENTITY,
        Category.CONTACT_DETAILS,
        Category.SAFETY,
        Category.RISK,
        Category.NEEDS,
    )
]

# Which of the person's details each safe method is reached by.
_REACHED_BY = {
    ContactMethod.PHONE: "phone",
    ContactMethod.TEXT: "phone",
    ContactMethod.EMAIL: "email",
}


def safe_contact_details(case: Case, victim: Victim | None) -> list[dict[str, Any]]:
    """The person's telephone and e-mail, each only through a method marked safe, with its
    safe times; nothing at all when they must not be contacted."""
    if victim is None or case.do_not_contact:
        return []
    found = []
    for preference in case.contact_preferences.all():
        field = _REACHED_BY.get(preference.method)
        value = getattr(victim, field, "") if field else ""
        if preference.is_safe and value:
            found.append(
                {
                    "method": preference.get_method_display(),
                    "value": value,
                    "times": preference.safe_times,
                }
            )
    return found


def package_file(case: Case, categories: Iterable[str]) -> casefile.CaseFile:
    """The projection cut down to a package: a partner's audience, the chosen categories, and
    never internal staff notes whatever was chosen (a second lock behind sharing_check)."""
    chosen = (set(categories) & SHAREABLE) - {Category.INTERNAL}
    projection = casefile.build(case).for_audience(Audience.PARTNER)
    return projection.without(*(c for c in Category.values if c not in chosen))


def digest(html: str) -> str:
    """What a preview page carries, to tell at sending whether the package is still the one
    that was looked at."""
    return hashlib.sha256(html.encode()).hexdigest()


def render_package(case: Case, categories: Iterable[str], referral: Referral) -> str:
    """The package's HTML: a header (partner, purpose, urgency, the message, the categories
    sent, the date) and the chosen parts of the file.

    The person's section is staff's and the person's only in the projection; a package adds
    their identity under the consent it goes with: the name (or the alias, where one is set,
    in its place) and the date of birth, when 'identity' is among the categories.
    """
    chosen = sorted(set(categories))
    projection = package_file(case, chosen)
    identity = contact = None
    if Category.IDENTITY in chosen or Category.CONTACT_DETAILS in chosen:
        victim = Victim.objects.filter(case=case).first()
        if Category.IDENTITY in chosen:
            identity = victim
        if Category.CONTACT_DETAILS in chosen:
            contact = safe_contact_details(case, victim)
    context: dict[str, Any] = {
        **projection.context(),
        "case": case,
        "referral": referral,
        "categories": chosen,
        "category_labels": category_labels(chosen),
        "identity": identity,
        "contact": contact,
        "risk": Category.RISK in chosen,
        # The day only: a preview and the package sent the same day are the same page.
        "dated": referral.sent_at or timezone.now(),
        # Third parties are never a partner's to read (the projection leaves their section
        # out for a partner already; this keeps their template silent if that changed).
        "include_third_parties": False,
    }
    return render_to_string(TEMPLATE, context)
