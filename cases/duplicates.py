"""The intake's duplicate check: no two case files for one person, and no existence oracle.

At the person step the caseworker is shown only matches in cases they may open (closed ones
included: a returning client continues in their file). A match in a case they cannot see is
never shown in any form: the page is the one "no match" gives, built by the same queries. An
answer of any kind ("a case you cannot see") would tell anyone with a caseworker's password
whether a person is a client of another service.

Such a hidden match is recorded instead, as a ``DuplicateMatch`` put in front of a supervisor
of the existing case's team. It is recorded when the intake finishes, re-running the match on
the details the case is created with, not at the person step:

- at the person step no case exists yet, and a draft is a poor anchor: it expires and is
  purged, so a match recorded against it would point at nothing once the caseworker gives up;
- the caseworker may go back and change the details, and a match on a mistyped phone number
  must not stay in a supervisor's list (nor every version typed on the way);
- a record made at each person-step post would let a prober flood the other team's list;
  one made at finish needs a real case, itself audited, and says nothing to whoever made it.

Every look-up at the person step is audited (an access entry on the draft: who, when, the
outcome, never the values typed nor their digests) and limited per user and hour
(``INTAKE_DUPLICATE_CHECKS_PER_HOUR``). Over the limit the step still saves and the check is
skipped, which is recorded: a caseworker is never stopped from taking an intake, but the check
cannot be used as a search engine. The match at finish is not limited: it shows nobody
anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, DuplicateMatch, IntakeDraft, Victim
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.limits import validate_text

Basis = DuplicateMatch.Basis
# Each basis of a match and the blind index that holds it.
INDEXES: dict[str, str] = {
    Basis.NAME_DOB: "name_dob_index",
    Basis.PHONE: "phone_index",
    Basis.EMAIL: "email_index",
}
RATE_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class PossibleDuplicate:
    """A match the user may open (the only kind ever shown)."""

    case: Case
    matched_on: list[str]  # labels, for the page


@dataclass(frozen=True)
class DuplicateCheck:
    matches: list[PossibleDuplicate]
    skipped: bool  # over the rate limit: not looked up


def _probe(person: dict[str, Any]) -> Victim:
    return Victim(
        given_name=person.get("given_name") or "",
        family_name=person.get("family_name") or "",
        date_of_birth=person.get("date_of_birth") or None,
        phone=person.get("phone") or "",
        email=person.get("email") or "",
    )


def _digests(victim: Victim) -> dict[str, str]:
    """Basis -> blind-index digest, for the bases the person has a value for."""
    wanted = {}
    for basis, field_name in INDEXES.items():
        field = Victim._meta.get_field(field_name)
        digest = field.digest(field.source_value(victim))
        if digest:
            wanted[basis] = digest
    return wanted


def _matching(wanted: dict[str, str]) -> QuerySet[Victim]:
    query = Q(pk__in=[])
    for basis, digest in wanted.items():
        query |= Q(**{INDEXES[basis]: digest})
    return Victim.objects.filter(query).only("case_id", *INDEXES.values())


def _matched_on(victim: Victim, wanted: dict[str, str]) -> list[str]:
    return [b for b, digest in wanted.items() if getattr(victim, INDEXES[b]) == digest]


def _within_rate_limit(user: Any) -> bool:
    """Count this look-up in the user's current hour; False once past the limit. The key
    names the member of staff only, never what they typed."""
    window = int(time.time() // RATE_WINDOW_SECONDS)
    key = f"intake-duplicate-checks:{user.pk}:{window}"
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS + 60)
        count = 1
    return count <= settings.INTAKE_DUPLICATE_CHECKS_PER_HOUR


def duplicates_check(*, user: Any, draft: IntakeDraft, person: dict[str, Any]) -> DuplicateCheck:
    """The person step's look-up: matches in cases ``user`` may open, and only those.

    Visibility is part of the one query, so a match the user cannot see costs the same as no
    match at all: same queries, same rows returned, same page.
    """
    if not _within_rate_limit(user):
        record_access(
            actor=user,
            obj=draft,
            kind=AccessKind.LOOKUP,
            detail={"check": "duplicates", "outcome": "rate_limited"},
        )
        return DuplicateCheck(matches=[], skipped=True)
    wanted = _digests(_probe(person))
    found = (
        _matching(wanted)
        .filter(case__in=Case.objects.visible_to(user).values("pk"))
        .select_related("case")
        .order_by("-case__opened_at")
    )
    labels = dict(Basis.choices)
    matches = [
        PossibleDuplicate(
            case=victim.case, matched_on=[str(labels[b]) for b in _matched_on(victim, wanted)]
        )
        for victim in found
    ]
    record_access(
        actor=user,
        obj=draft,
        kind=AccessKind.LOOKUP,
        detail={"check": "duplicates", "outcome": "checked", "shown": len(matches)},
    )
    return DuplicateCheck(matches=matches, skipped=False)


def duplicates_record_hidden(*, case: Case, victim: Victim, actor: Any) -> list[DuplicateMatch]:
    """Record every case matching ``victim`` that ``actor`` cannot see, for that case's team.

    Called by ``intake_finish`` in its transaction, with the victim just created: the match
    is made on the details the case keeps, whatever was typed on the way (see the module's
    docstring for why at finish). Each row is created one by one so that the audit log sees
    it.
    """
    wanted = _digests(victim)
    if not wanted:
        return []
    hidden = (
        _matching(wanted)
        .exclude(case=case)
        .exclude(case__in=Case.objects.visible_to(actor).values("pk"))
        .order_by("pk")
    )
    recorded = []
    for other in hidden:
        match, _created = DuplicateMatch.objects.get_or_create(
            existing_case_id=other.case_id,
            new_case=case,
            defaults={"matched_on": _matched_on(other, wanted), "found_by": actor},
        )
        recorded.append(match)
    return recorded


RESOLUTIONS = (DuplicateMatch.Status.RECONCILED, DuplicateMatch.Status.DIFFERENT)


@transaction.atomic
def duplicate_match_resolve(
    *, match: DuplicateMatch, actor: Any, status: str, note: str = ""
) -> DuplicateMatch:
    """Close a match as the same person (reconciled) or someone else. Once only: a second
    supervisor deciding at the same moment is refused, not silently overruled."""
    fresh = (
        DuplicateMatch.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .filter(pk=match.pk)
        .first()
    )
    if fresh is None:
        raise Http404("No such match.")
    if status not in RESOLUTIONS:
        raise ValidationError({"status": _("Choose whether this is the same person.")})
    if not fresh.is_open:
        raise ValidationError(_("This match has already been resolved."))
    fresh.status = status
    fresh.resolved_by = actor
    fresh.resolved_at = timezone.now()
    fresh.resolution_note = note
    validate_text(fresh, ["resolution_note"])
    fresh.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_note"])
    return fresh
