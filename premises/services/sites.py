"""Writes of the sites part: a supervisor adds a site to one of their teams and keeps its
details (name, kind, address, opening, walk-in hours, status). The model's signals write the
change entries; the address and the name are encrypted fields, redacted in the log."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from premises.models import Opening, Site, SiteKind, is_site_supervisor
from victimsupport.access import MaySeeNotChange, Role, roles_of
from victimsupport.concurrency import claim

# What a site's form edits (its team is chosen once, when it is added).
SITE_FIELDS = ("name", "kind", "address", "opening", "walk_in_hours", "status")


def _check(site: Site) -> None:
    """The rules a site's details keep beyond the model's own field checks."""
    errors: dict[str, Any] = {}
    site.name = (site.name or "").strip()
    site.address = (site.address or "").strip()
    site.walk_in_hours = (site.walk_in_hours or "").strip()
    if not site.name:
        errors["name"] = _("Give the site a name staff will recognise.")
    if not site.address:
        errors["address"] = _("Give the site's address: only its staff will see it.")
    if site.kind == SiteKind.REFUGE and site.opening == Opening.WALK_IN:
        errors["opening"] = _(
            "A refuge takes no walk-ins: its address must stay known only to those who live "
            "and work there."
        )
    elif site.opening == Opening.WALK_IN and not site.walk_in_hours:
        errors["walk_in_hours"] = _("Say when the walk-in hours are.")
    elif site.opening != Opening.WALK_IN:
        # Hours are kept only where people may walk in.
        site.walk_in_hours = ""
    if errors:
        raise ValidationError(errors)
    site.full_clean(exclude=["team", "created_by"])


@transaction.atomic
def site_create(
    *,
    actor: Any,
    team: Any,
    name: str,
    kind: str,
    address: str,
    opening: str,
    walk_in_hours: str,
    status: str,
) -> Site:
    """Add a site to one of the teams ``actor`` supervises."""
    if Role.SUPERVISOR not in roles_of(actor):
        raise PermissionDenied(_("Only a supervisor adds a site."))
    if team is None or not actor.teams.filter(pk=team.pk).exists():
        raise PermissionDenied(_("Add the site to one of the teams you supervise."))
    site = Site(
        team=team,
        name=name,
        kind=kind,
        address=address,
        opening=opening,
        walk_in_hours=walk_in_hours,
        status=status,
        created_by=actor,
    )
    _check(site)
    site.save()
    return site


@transaction.atomic
def site_update(*, actor: Any, site: Site, version: int, **fields: Any) -> Site:
    """Change a site's details as read at ``version``: a supervisor of its team only. If
    someone saved in between, nothing is written and ``EditConflict`` is raised."""
    if not is_site_supervisor(actor, site):
        raise MaySeeNotChange(_("Only a supervisor of the site's team changes its details."))
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise ValueError(f"{sorted(unknown)} cannot be changed here")
    current = claim(Site, pk=site.pk, version=version)
    for name, value in fields.items():
        setattr(current, name, value)
    _check(current)
    current.save()
    return current
