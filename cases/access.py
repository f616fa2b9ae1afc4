"""The case side of the one way in: fetching a case, and the rule its children follow."""

from __future__ import annotations

from typing import Any

from cases.models import Case
from victimsupport.access import get_for_user


def get_case_for_user(
    user: Any, pk: Any, *, write: bool = False, related: tuple[str, ...] = ()
) -> Case:
    """The case ``pk`` if ``user`` may see it (and change it, with ``write``); 404 or 403.

    ``related``: the relations to load with it (the case page shows its team, worker and
    person), in the same query and under the same check."""
    queryset = Case.objects.select_related(*related) if related else Case
    return get_for_user(user, queryset, pk, write=write)
