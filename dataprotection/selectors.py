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
    return {"open_requests": rows, "today": today, **retention_dashboard(user)}


# --- Retention and erasure ------------------------------------------------------------------


def retention_dashboard(user: Any) -> dict[str, Any]:
    """Erasures waiting for approval and legal holds past their review date (two queries)."""
    from dataprotection.models import Erasure, ErasureStatus, LegalHold

    today = timezone.localdate()
    due = list(
        Erasure.objects.visible_to(user)
        .filter(status=ErasureStatus.DUE)
        .order_by("due_since", "pk")
        .only("id", "case_reference", "basis", "due_since")
    )
    to_review = list(
        LegalHold.objects.visible_to(user)
        .filter(lifted_at__isnull=True, review_on__lte=today)
        .select_related("case")
        .order_by("review_on", "pk")
        .only("id", "review_on", "case__reference")
    )
    return {"erasures_due": due, "holds_to_review": to_review}


def erasures(user: Any) -> dict[str, Any]:
    """The erasures by status, for the list page (one query)."""
    from dataprotection.models import Erasure, ErasureStatus

    rows = list(
        Erasure.objects.visible_to(user)
        .select_related("approved_by")
        .order_by("-found_at", "-pk")
        .defer("kept_reason", "counts")
    )
    return {
        "due": [e for e in rows if e.status == ErasureStatus.DUE],
        "erased": [e for e in rows if e.status == ErasureStatus.ERASED],
        "kept": [e for e in rows if e.status == ErasureStatus.KEPT],
    }


def legal_holds(user: Any) -> dict[str, Any]:
    """Active holds (those past their review date flagged) and the last lifted ones."""
    from dataprotection.models import LegalHold

    today = timezone.localdate()
    holds = (
        LegalHold.objects.visible_to(user)
        .select_related("case", "placed_by", "lifted_by")
        .defer("reason")
    )
    active = list(holds.filter(lifted_at__isnull=True).order_by("review_on", "pk"))
    for hold in active:
        hold.to_review = hold.review_on <= today
    lifted = list(holds.filter(lifted_at__isnull=False).order_by("-lifted_at")[:20])
    return {"active_holds": active, "lifted_holds": lifted, "today": today}


def request_case_references(request: Any) -> list[str]:
    """The references of the cases a request names (the DPO never opens the files)."""
    from cases.models import Case
    from dataprotection.models import RequestCase

    return list(
        Case.objects.filter(
            pk__in=RequestCase.objects.filter(request=request).values("case_id")
        ).values_list("reference", flat=True)
    )
