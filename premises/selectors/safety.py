"""Reads of the safety part: a site's versions of its safety page, what the site's page shows
of them, the sensitive terms a person sees, and the published page the public reads."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from premises.models import (
    PageStatus,
    SafetyPage,
    SensitiveTerm,
    Site,
    SiteStatus,
    is_site_supervisor,
)
from victimsupport.access import CASE_ROLES, roles_of


def versions_of(site: Site) -> QuerySet[SafetyPage]:
    """Every version of the site's page, the newest first, with who wrote and published it."""
    return (
        SafetyPage.objects.of_site(site)
        .select_related("written_by", "published_by", "returned_by")
        .order_by("-number")
    )


def pending_of(site: Site) -> SafetyPage | None:
    """The version being written or waiting for review, if there is one."""
    return versions_of(site).filter(status__in=(PageStatus.DRAFT, PageStatus.SUBMITTED)).first()


def published_of(site: Site) -> SafetyPage | None:
    return versions_of(site).filter(status=PageStatus.PUBLISHED).first()


def public_path(site: Site) -> str:
    """The address to give people (the template makes it absolute)."""
    return reverse("safety_page_public", kwargs={"public_id": site.public_id})


def site_panel(site: Site, user: Any) -> dict[str, Any]:
    """What the site's page shows of this part (its template: premises/_site_safety.html)."""
    staff = bool(roles_of(user) & CASE_ROLES)
    published = published_of(site)
    failing: list[str] = []
    if staff and published is not None and site.status != SiteStatus.CLOSED:
        from premises.services.safety import describe, page_matches

        failing = [describe(where, match) for where, match in page_matches(published, site)]
    return {
        # What the check refuses today in the published version (staff only: it may quote a
        # listed term, which an auditor never reads).
        "safety_now_failing": failing,
        "safety_published": published,
        # An auditor sees the published page, not drafts.
        "safety_pending": pending_of(site) if staff else None,
        "safety_public_path": public_path(site)
        if published and site.status != SiteStatus.CLOSED
        else "",
        "safety_staff": staff,
        "safety_can_write": staff and bool(getattr(site, "can_write", False)),
        "safety_is_supervisor": is_site_supervisor(user, site),
    }


def terms_for(user: Any) -> QuerySet[SensitiveTerm]:
    """The sensitive terms ``user`` sees: the organisation's and their teams' sites'."""
    return (
        SensitiveTerm.objects.visible_to(user)
        .select_related("site", "added_by")
        .order_by("site_id", "kind", "pk")
    )


def term_sites_for(user: Any) -> QuerySet[Site]:
    """The sites whose terms ``user`` may keep: those of the teams they supervise."""
    return Site.objects.of_staff(user).order_by("kind", "pk")


def public_page(public_id: Any) -> SafetyPage | None:
    """The published version of the open (or temporarily closed) site with this public id,
    or None. The public page's one read; nothing else of the site leaves."""
    return (
        SafetyPage.objects.filter(site__public_id=public_id, status=PageStatus.PUBLISHED)
        .exclude(site__status=SiteStatus.CLOSED)
        .only("pk", "title_en", "body_en", "title_fr", "body_fr", "site_id", "status")
        .first()
    )


# --- Published pages the check now refuses -------------------------------------------------


def _checks_for(sites: list[Site]) -> dict[int, Any]:
    """The sensitive-terms check of each site, its terms and surnames read in two queries
    for all the sites at once."""
    from django.contrib.auth import get_user_model

    from premises.sensitive import SensitiveCheck, surnames_from

    site_ids = [site.pk for site in sites]
    terms: dict[int | None, list[tuple[str, str]]] = {}
    rows = SensitiveTerm.objects.filter(site__in=site_ids) | SensitiveTerm.objects.filter(
        site__isnull=True
    )
    for term in rows.only("site_id", "term", "kind"):
        terms.setdefault(term.site_id, []).append((term.term, term.kind))
    names: dict[int, list[str]] = {}
    team_ids = {site.team_id for site in sites}
    for team_id, name in (
        get_user_model()
        .objects.filter(teams__in=team_ids)
        .values_list("teams", "last_name")
        .order_by("pk")
    ):
        names.setdefault(team_id, []).append(name or "")
    checks = {}
    for site in sites:
        checks[site.pk] = SensitiveCheck(
            site,
            terms=terms.get(site.pk, []) + terms.get(None, []),
            surnames=surnames_from(names.get(site.team_id, [])),
        )
    return checks


def published_pages_now_failing(sites: Any) -> list[dict[str, Any]]:
    """The published versions of ``sites`` (open ones) that the check refuses today: a term
    added, the address changed or a colleague joined since they were published. For each:
    the site, the version and what matched ((where, match) pairs). A constant number of
    queries, whatever the number of sites."""
    from premises.services.safety import FIELDS

    pages = list(
        SafetyPage.objects.filter(site__in=sites, status=PageStatus.PUBLISHED)
        .exclude(site__status=SiteStatus.CLOSED)
        .select_related("site", "site__team")
        .order_by("site__team__name", "site__kind", "site_id")
    )
    checks = _checks_for([page.site for page in pages])
    failing = []
    for page in pages:
        check = checks[page.site_id]
        found = [
            (where, match)
            for field, where in FIELDS
            for match in check.find(getattr(page, field) or "")
        ]
        if found:
            failing.append({"site": page.site, "page": page, "found": found})
    return failing


def dashboard_safety(user: Any) -> dict[str, Any]:
    """What the supervisor's dashboard shows of this part (premises/_dashboard_safety.html):
    the published safety pages of their teams' sites that the check now refuses."""
    return {"safety_failing": published_pages_now_failing(Site.objects.of_staff(user))}
