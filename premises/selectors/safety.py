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
    return {
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
