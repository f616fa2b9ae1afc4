"""Writes of the safety part: the versions of a site's "Your safety here" page and the
sensitive-terms list.

A version goes draft -> waiting for review (the check must find nothing) -> published (a
supervisor of the site's team who did not write it, unless the team has no such supervisor:
``premises.review``; the check runs again); the version published before is superseded in
the same transaction. A reviewer may send a version back to draft with a reason. Only a draft
is edited; one draft or waiting version at a time, which its team's staff may withdraw.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from premises.models import (
    PageStatus,
    SafetyPage,
    SensitiveTerm,
    Site,
    SiteStatus,
    is_site_supervisor,
)
from premises.review import may_review
from premises.sensitive import Match, SensitiveCheck, strip_invisible
from victimsupport.access import CASE_ROLES, MaySeeNotChange, Role, roles_of
from victimsupport.concurrency import EditConflict, claim

__all__ = [
    "EditConflict",
    "SensitiveTextFound",
    "may_publish",
    "page_matches",
    "publish_review",
    "safety_page_create",
    "safety_page_publish",
    "safety_page_return",
    "safety_page_submit",
    "safety_page_update",
    "safety_page_withdraw",
    "sensitive_term_add",
    "sensitive_term_remove",
    "wrote_or_changed",
]

# The texts of a version, in the order they are checked and named in a refusal.
FIELDS = [
    ("title_en", _("English title")),
    ("body_en", _("English text")),
    ("title_fr", _("French title")),
    ("body_fr", _("French text")),
]
OPEN = (PageStatus.DRAFT, PageStatus.SUBMITTED)


class SensitiveTextFound(ValidationError):
    """The check found something: one message per match, saying where and what."""

    def __init__(self, found: list[tuple[Any, Match]]) -> None:
        super().__init__([describe(where, match) for where, match in found])
        self.found = found


def describe(where: Any, match: Match) -> str:
    """For example: The French text contains a door code: "4711" (...)."""
    return gettext('The %(where)s contains %(what)s: "%(text)s" (%(why)s).') % {
        "where": where,
        "what": match.label,
        "text": match.text,
        "why": match.why,
    }


def page_matches(page: SafetyPage | dict[str, str], site: Site) -> list[tuple[Any, Match]]:
    """(where, match) for every match of the check in the four texts of a version."""
    check = SensitiveCheck(site)
    found = []
    for field, where in FIELDS:
        value = page[field] if isinstance(page, dict) else getattr(page, field)
        for match in check.find(value or ""):
            found.append((where, match))
    return found


def _check(page: SafetyPage) -> None:
    found = page_matches(page, page.site)
    if found:
        raise SensitiveTextFound(found)


def _require_staff(actor: Any, site: Site) -> None:
    """Writing a version is for the staff of the site's team."""
    if not roles_of(actor) & CASE_ROLES or not actor.teams.filter(pk=site.team_id).exists():
        raise MaySeeNotChange(_("Only the staff of this site's team write its safety page."))


def _require_supervisor(actor: Any, site: Site) -> None:
    if not is_site_supervisor(actor, site):
        raise MaySeeNotChange(
            _("Only a supervisor of this site's team reviews and publishes its safety page.")
        )


@transaction.atomic
def safety_page_create(
    *, actor: Any, site: Site, title_en: str, body_en: str, title_fr: str, body_fr: str
) -> SafetyPage:
    """A new draft version (the form is filled from the latest version)."""
    _require_staff(actor, site)
    # The site's row serialises two new versions written at once (their numbers).
    Site.objects.select_for_update().filter(pk=site.pk).first()
    pending = SafetyPage.objects.filter(site=site, status__in=OPEN).first()
    if pending is not None:
        raise ValidationError(
            gettext(
                "Version %(number)d is not published yet: change it, or have it reviewed, "
                "before writing another."
            )
            % {"number": pending.number}
        )
    number = (SafetyPage.objects.filter(site=site).aggregate(n=Max("number"))["n"] or 0) + 1
    page = SafetyPage.objects.create(
        site=site,
        number=number,
        # What is published is what was checked: no invisible characters kept.
        title_en=strip_invisible(title_en),
        body_en=strip_invisible(body_en),
        title_fr=strip_invisible(title_fr),
        body_fr=strip_invisible(body_fr),
        written_by=actor,
    )
    page.editors.add(actor)
    return page


@transaction.atomic
def safety_page_update(
    *,
    actor: Any,
    page: SafetyPage,
    version: int,
    title_en: str,
    body_en: str,
    title_fr: str,
    body_fr: str,
) -> SafetyPage:
    """Change a draft; ``version`` is the one the form was read at (EditConflict if stale)."""
    _require_staff(actor, page.site)
    page = claim(SafetyPage.objects.filter(site=page.site), pk=page.pk, version=version)
    if page.status != PageStatus.DRAFT:
        raise ValidationError(gettext("Only a draft can be changed: write a new version."))
    page.title_en, page.body_en = strip_invisible(title_en), strip_invisible(body_en)
    page.title_fr, page.body_fr = strip_invisible(title_fr), strip_invisible(body_fr)
    page.save()
    # Whoever changed it may not publish it either.
    page.editors.add(actor)
    return page


def wrote_or_changed(page: SafetyPage, user: Any) -> bool:
    """Whether ``user`` wrote this version or changed it (neither may publish it)."""
    return page.written_by_id == user.pk or page.editors.filter(pk=user.pk).exists()


def writers_of(page: SafetyPage) -> set[Any]:
    """The ids of whoever wrote or changed this version."""
    return {page.written_by_id, *page.editors.values_list("pk", flat=True)}


def publish_review(page: SafetyPage, user: Any) -> tuple[bool, bool]:
    """(may publish, publishes alone) for a supervisor of the site's team: four eyes when
    another supervisor who neither wrote nor changed it exists; else the sole one may
    (``premises.review``)."""
    return may_review(page.site, user, writers_of(page))


def may_publish(page: SafetyPage, user: Any) -> bool:
    return publish_review(page, user)[0]


def _locked(page: SafetyPage) -> SafetyPage:
    return SafetyPage.objects.select_for_update().select_related("site").get(pk=page.pk)


@transaction.atomic
def safety_page_submit(*, actor: Any, page: SafetyPage) -> SafetyPage:
    """Send a draft for review. Refused (SensitiveTextFound, the draft kept as it is) while
    the check finds anything."""
    _require_staff(actor, page.site)
    page = _locked(page)
    if page.status != PageStatus.DRAFT:
        raise ValidationError(gettext("Only a draft can be sent for review."))
    _check(page)
    page.status = PageStatus.SUBMITTED
    page.submitted_at = timezone.now()
    page.save()
    return page


@transaction.atomic
def safety_page_publish(*, actor: Any, page: SafetyPage) -> SafetyPage:
    """Publish a version waiting for review: a supervisor of the site's team who neither
    wrote nor changed it (or, when the team has no such supervisor, one who did: recorded as
    its publisher like anyone); the check runs again (a term may have been added since). The
    version published before is superseded in the same transaction."""
    _require_supervisor(actor, page.site)
    page = _locked(page)
    if page.status != PageStatus.SUBMITTED:
        raise ValidationError(gettext("Only a version waiting for review can be published."))
    if not may_publish(page, actor):
        if page.written_by_id == actor.pk:
            raise MaySeeNotChange(
                gettext("You wrote this version: another supervisor of the team must publish it.")
            )
        raise MaySeeNotChange(
            gettext(
                "You changed this version: another supervisor of the team, who neither wrote "
                "nor changed it, must publish it."
            )
        )
    if page.site.status == SiteStatus.CLOSED:
        raise ValidationError(gettext("The site is closed: its safety page is not shown."))
    _check(page)
    now = timezone.now()
    # One published version per site (a database constraint): the old one steps down first.
    for old in SafetyPage.objects.select_for_update().filter(
        site=page.site, status=PageStatus.PUBLISHED
    ):
        old.status = PageStatus.SUPERSEDED
        old.save()
    page.status = PageStatus.PUBLISHED
    page.published_by = actor
    page.published_at = now
    page.save()
    return page


@transaction.atomic
def safety_page_return(*, actor: Any, page: SafetyPage, reason: str) -> SafetyPage:
    """Send a version waiting for review back to draft, saying why."""
    _require_supervisor(actor, page.site)
    page = _locked(page)
    if page.status != PageStatus.SUBMITTED:
        raise ValidationError(gettext("Only a version waiting for review can be sent back."))
    page.status = PageStatus.DRAFT
    page.submitted_at = None
    page.returned_reason = reason
    page.returned_by = actor
    page.returned_at = timezone.now()
    page.save()
    return page


@transaction.atomic
def safety_page_withdraw(*, actor: Any, page: SafetyPage) -> None:
    """Withdraw a version that was never published (a draft, or one waiting for review): it
    is deleted, the delete is its change entry, and a new version may be written."""
    _require_staff(actor, page.site)
    page = _locked(page)
    if page.status not in OPEN:
        raise ValidationError(
            gettext("Only a version not yet published can be withdrawn: it is kept as evidence.")
        )
    page.delete()


# --- Sensitive terms ---------------------------------------------------------------------


def _may_keep_terms(actor: Any, site: Site | None) -> None:
    if Role.SUPERVISOR not in roles_of(actor):
        raise MaySeeNotChange(_("Only supervisors keep the sensitive-terms list."))
    if site is not None and not is_site_supervisor(actor, site):
        raise MaySeeNotChange(_("Only a supervisor of the site's team keeps its terms."))


@transaction.atomic
def sensitive_term_add(*, actor: Any, kind: str, term: str, site: Site | None) -> SensitiveTerm:
    """A word or phrase no safety page may contain: for one site, or for all (no site)."""
    _may_keep_terms(actor, site)
    term = " ".join(term.split())
    if not term:
        raise ValidationError(gettext("Give the word or phrase."))
    return SensitiveTerm.objects.create(site=site, kind=kind, term=term, added_by=actor)


@transaction.atomic
def sensitive_term_remove(*, actor: Any, term: SensitiveTerm) -> None:
    _may_keep_terms(actor, term.site)
    term.delete()
