"""Reads of the sites part: the list of sites someone sees and the supervisor's dashboard.

The dashboard's queries do not grow with the number of sites or actions: each figure is one
query over all the supervisor's sites, grouped by site."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F
from django.utils import timezone

from premises.models import (
    EscapePlan,
    EscapePlanReading,
    PageStatus,
    PlanStatus,
    PremisesIncident,
    SafetyPage,
    Site,
    SiteAction,
    SiteQuerySet,
)
from victimsupport.access import CASE_ROLES

# Premises incidents counted on the dashboard: the last 30 days.
INCIDENT_WINDOW = datetime.timedelta(days=30)


def sites_for(user: Any) -> SiteQuerySet:
    """The sites ``user`` sees (their teams' for staff, every site for an auditor), for a
    list: with their team, never showing an address."""
    return Site.objects.visible_to(user).select_related("team").order_by("team__name", "kind", "pk")


def _counts(queryset: Any, key: str = "site") -> dict[int, int]:
    return {row[key]: row["n"] for row in queryset.values(key).annotate(n=Count("pk")).order_by()}


def dashboard(user: Any, *, on: datetime.date | None = None) -> dict[str, Any]:
    """What a supervisor's premises dashboard shows, for the sites of their teams."""
    on = on or timezone.localdate()
    mine = Site.objects.of_staff(user)
    sites = list(mine.select_related("team").order_by("team__name", "kind", "pk"))
    by_pk = {site.pk: site for site in sites}

    reviews = [by_pk[pk] for pk in mine.review_due(on).values_list("pk", flat=True)]
    reviews.sort(key=lambda s: (s.review_due_on or datetime.date.min, s.pk))

    overdue = list(
        SiteAction.objects.overdue(on)
        .filter(site__in=mine)
        .select_related("owner")
        .order_by("due_on", "pk")
    )
    for action in overdue:
        action.site = by_pk[action.site_id]
        action.days_late = (on - action.due_on).days

    # The staff of each team: active caseworkers and supervisors.
    team_ids = {site.team_id for site in sites}
    staff_rows = (
        get_user_model()
        .objects.filter(teams__in=team_ids, is_active=True, groups__name__in=CASE_ROLES)
        .values("teams")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    staff = {row["teams"]: row["n"] for row in staff_rows}
    current = dict(
        EscapePlan.objects.filter(site__in=mine, status=PlanStatus.APPROVED).values_list(
            "site_id", "version"
        )
    )
    reader_rows = (
        EscapePlanReading.objects.filter(
            site__in=mine,
            plan__status=PlanStatus.APPROVED,
            user__is_active=True,
            user__groups__name__in=CASE_ROLES,
            user__teams=F("site__team_id"),
        )
        .values("site")
        .annotate(n=Count("user", distinct=True))
        .order_by()
    )
    readers = {row["site"]: row["n"] for row in reader_rows}
    pages = _counts(SafetyPage.objects.filter(site__in=mine, status=PageStatus.SUBMITTED))
    incidents = _counts(
        PremisesIncident.objects.filter(
            site__in=mine, occurred_at__gte=timezone.now() - INCIDENT_WINDOW
        )
    )

    rows = []
    for site in sites:
        team_staff = staff.get(site.team_id, 0)
        read = readers.get(site.pk, 0)
        rows.append(
            {
                "site": site,
                "plan_version": current.get(site.pk),
                "staff": team_staff,
                "read": read,
                "share": round(100 * read / team_staff) if team_staff else 0,
                "pages_waiting": pages.get(site.pk, 0),
                "incidents": incidents.get(site.pk, 0),
            }
        )
    return {
        "sites": rows,
        "reviews_due": reviews,
        "overdue_actions": overdue,
        "pages_waiting": sum(pages.values()),
        "incident_days": INCIDENT_WINDOW.days,
        "today": on,
    }
