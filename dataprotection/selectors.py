"""Reads for the data-protection officer's pages."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from dataprotection import clock
from dataprotection.models import AccessRequest


def dashboard(user: Any) -> dict[str, Any]:
    """What the DPO's dashboard shows. Each part adds its block (requests, breaches,
    retention) in a fixed number of queries."""
    today = timezone.localdate()
    requests = list(
        AccessRequest.objects.visible_to(user)
        .open()
        .order_by("due_on")
        .only(
            "id",
            "reference",
            "kind",
            "status",
            "due_on",
            "extended_to",
            "feared_match",
            "feared_decision",
            "identity_checked_at",
        )
    )
    rows = []
    for r in requests:
        days_left = clock.days_left(r.deadline, today)
        rows.append({"request": r, "days_left": days_left, "overdue_by": max(0, -days_left)})
    rows.sort(key=lambda row: row["days_left"])
    return {"open_requests": rows, "today": today}
