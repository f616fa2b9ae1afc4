from __future__ import annotations

from typing import Any

from django.utils import timezone

from cases.models import BreakGlassAccess, Case
from victimsupport import casefile


def case_by_reference_for_break_glass(reference: str) -> Case | None:
    """The one lookup that ignores visible_to: a supervisor asking for emergency access must
    name a case they cannot see yet. Only the break-glass view calls it."""
    return Case.objects.filter(reference=reference).first()


def current_break_glass(*, user: Any, case: Case) -> BreakGlassAccess | None:
    return (
        BreakGlassAccess.objects.filter(user=user, case=case, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )


def case_file(case: Case) -> dict[str, Any]:
    """Everything the case page and the staff PDF show: the projection every app contributes
    to (victimsupport.casefile), in a fixed number of queries whatever its size."""
    return casefile.build(case).context()
