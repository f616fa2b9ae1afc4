"""Reads of the evidence part: photos of the premises, escape plans and their readings,
drills. Lists never load a file: the photos' bytes and previews, and the floor plans, are
read only by the view that serves them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet

from premises.models import (
    Drill,
    EscapePlan,
    EscapePlanReading,
    PlanStatus,
    Site,
    SiteKind,
    SitePhoto,
    is_site_supervisor,
    site_staff,
)

# How many photo previews the site's page shows (the rest are on the photos page).
PANEL_PHOTOS = 6


def is_team_staff(user: Any, site: Site) -> bool:
    return site_staff(site).filter(pk=user.pk).exists()


def shows_plan_details(site: Site) -> bool:
    """Whether the user ``site`` was fetched for may read its escape plan's routes, assembly
    point and who does what, and download its floor plan: for a refuge, only those who may see
    its address (its team's staff), since these place it; for another site, whoever sees it.
    ``site`` comes from ``Site.objects.visible_to(user)`` (through ``get_for_user``)."""
    return site.kind != SiteKind.REFUGE or bool(getattr(site, "can_see_address", False))


def photos_of(site: Site) -> QuerySet:
    """A site's photos without their bytes (captions and dates; previews are served apart)."""
    return SitePhoto.objects.of_site(site).defer("content", "preview")


def plans_of(site: Site) -> QuerySet:
    """Every version of a site's escape plan, newest first, without the floor plan's bytes."""
    return EscapePlan.objects.of_site(site).defer("floor_plan").order_by("-version")


def current_plan(site: Site) -> EscapePlan | None:
    return plans_of(site).filter(status=PlanStatus.APPROVED).first()


def draft_plan(site: Site) -> EscapePlan | None:
    return plans_of(site).filter(status=PlanStatus.DRAFT).first()


@dataclass
class ReadShare:
    """Who of the team's staff recorded reading a version of the plan."""

    readers: int
    staff: int
    not_yet: list[Any] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(100 * self.readers / self.staff) if self.staff else 0


def read_share(plan: EscapePlan, site: Site, *, with_names: bool = False) -> ReadShare:
    """The share of the team's active staff who read ``plan`` (those who left the team are not
    counted); with ``with_names``, who has not yet (for supervisors). Three queries at most."""
    staff = site_staff(site)
    read_ids = EscapePlanReading.objects.filter(plan=plan).values("user_id")
    counts = staff.aggregate(total=Count("pk", distinct=True))
    readers = staff.filter(pk__in=read_ids).aggregate(total=Count("pk", distinct=True))
    share = ReadShare(readers=readers["total"], staff=counts["total"])
    if with_names:
        share.not_yet = list(staff.exclude(pk__in=read_ids))
    return share


def has_read(user: Any, plan: EscapePlan) -> bool:
    return EscapePlanReading.objects.filter(plan=plan, user=user).exists()


def readings_of(plan: EscapePlan) -> QuerySet:
    return EscapePlanReading.objects.filter(plan=plan).select_related("user").order_by("read_at")


def drills_of(site: Site) -> QuerySet:
    """A site's drills, newest first, with how many staff took part and how many actions
    followed (counted in the same query)."""
    return (
        Drill.objects.of_site(site)
        .annotate(
            staff_count=Count("participants", distinct=True),
            action_count=Count("actions", distinct=True),
        )
        .order_by("-held_on", "-pk")
    )


def drill_actions(drill: Drill) -> QuerySet:
    return drill.actions.select_related("owner").order_by("done_on", "due_on", "pk")


def site_panel(site: Site, user: Any) -> dict[str, Any]:
    """What the site's page shows of this part (its template: premises/_site_evidence.html):
    up to six photo previews, the current escape plan with its read share, the last drill.
    A fixed number of queries, however many rows the site has."""
    photos = list(photos_of(site)[: PANEL_PHOTOS + 1])
    plan = current_plan(site)
    staff = bool(getattr(site, "can_write", False))
    panel: dict[str, Any] = {
        "photos": photos[:PANEL_PHOTOS],
        "more_photos": len(photos) > PANEL_PHOTOS,
        "plan": plan,
        "share": read_share(plan, site) if plan is not None else None,
        "can_read": False,
        "last_drill": drills_of(site).first(),
        "can_write": staff,
        "is_supervisor": is_site_supervisor(user, site),
    }
    if plan is not None and staff:
        panel["can_read"] = not has_read(user, plan)
    return {"evidence": panel}
