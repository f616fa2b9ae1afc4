"""Four eyes without a dead end: who reviews what a colleague wrote.

A safety page version is published, an escape plan approved and a security assessment signed
off by a supervisor of the site's team who neither wrote nor changed it, WHEN such a person
exists. A team with a single active supervisor would otherwise be stuck for ever (a second
open version is refused): then that supervisor may do it themself, the page says so plainly
before they do, and the change entry records who did.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model

from victimsupport.access import Role


def second_person_exists(site: Any, excluded_user_ids: Iterable[Any]) -> bool:
    """Whether an active supervisor of ``site``'s team exists who is not one of
    ``excluded_user_ids`` (the writers and editors of what is to be reviewed)."""
    excluded = [pk for pk in excluded_user_ids if pk is not None]
    return (
        get_user_model()
        .objects.filter(is_active=True, teams=site.team_id, groups__name=Role.SUPERVISOR)
        .exclude(pk__in=excluded)
        .exists()
    )


def may_review(site: Any, actor: Any, excluded_user_ids: Iterable[Any]) -> tuple[bool, bool]:
    """(may review, reviews alone) for a supervisor ``actor`` of the site's team: one who
    neither wrote nor changed it always may; one who did, only when no other supervisor of the
    team could (``reviews alone`` is then true, and the page says so)."""
    excluded = set(excluded_user_ids)
    if actor.pk not in excluded:
        return True, False
    alone = not second_person_exists(site, excluded)
    return alone, alone
