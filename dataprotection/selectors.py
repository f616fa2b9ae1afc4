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
    return {
        "open_requests": rows,
        "today": today,
        "open_breaches": open_breaches(user),  # records
        **retention_dashboard(user),  # retention
    }


# --- requests (the requests part) -----------------------------------------------------------

REQUEST_SCOPES = ("open", "overdue", "closed", "all")
REQUESTS_PAGE_SIZE = 25


def requests_list(user: Any, *, scope: str = "open", today: Any = None) -> Any:
    """The requests ``user`` sees, for the request list: ``open`` by deadline (extension
    included), ``overdue`` (open, past their deadline), ``closed`` (latest first) or ``all``.
    One query a page whatever the number of rows: no related row is read."""
    from django.db.models import F
    from django.db.models.functions import Coalesce

    from dataprotection.models import RequestStatus

    today = today or timezone.localdate()
    requests = (
        AccessRequest.objects.visible_to(user)
        .annotate(deadline_on=Coalesce(F("extended_to"), F("due_on")))
        .only(
            "id",
            "reference",
            "kind",
            "status",
            "received_on",
            "due_on",
            "extended_to",
            "feared_match",
            "feared_decision",
            "closed_at",
        )
    )
    ordering = request_ordering(scope)
    if scope == "closed":
        return requests.exclude(status__in=RequestStatus.open_values()).order_by(*ordering)
    if scope == "all":
        return requests.order_by(*ordering)
    requests = requests.open()
    if scope == "overdue":
        requests = requests.filter(deadline_on__lt=today)
    return requests.order_by(*ordering)


def request_ordering(scope: str) -> tuple[str, ...]:
    """The list's order for ``scope``: its last key, the reference, is unique, so that the
    pages (a seek from the last row shown) never skip or repeat a request."""
    if scope == "closed":
        return ("-closed_at", "reference")
    if scope == "all":
        return ("-received_on", "reference")
    return ("deadline_on", "reference")


def request_rows(requests: Any, today: Any = None) -> list[dict[str, Any]]:
    """Each request with its days left (negative once overdue), for a page of the list."""
    today = today or timezone.localdate()
    rows = []
    for r in requests:
        days_left = clock.days_left(r.deadline, today) if r.is_open else None
        rows.append(
            {
                "request": r,
                "days_left": days_left,
                "overdue_by": max(0, -days_left) if days_left is not None else 0,
            }
        )
    return rows


def request_case_references(request: AccessRequest) -> list[str]:
    """The references of the cases a request is about: the DPO names cases by reference and
    opens no case file."""
    from cases.models import Case

    return list(
        Case.objects.filter(access_requests=request)
        .order_by("reference")
        .values_list("reference", flat=True)
    )


# --- records: the breach register and its 72-hour clock ------------------------------------


def breach_clock(breach: Any, now: Any = None) -> dict[str, Any]:
    """Where the breach stands against the regulator's deadline.

    ``state`` is "notified" (the regulator was told), "not_notify" (decided it need not be),
    "overdue" (not told and the deadline has passed) or "running"; ``hours_left`` counts
    whole hours left (0 in the last hour), ``overdue_hours`` whole hours past it."""
    from dataprotection.models import BreachDecision

    now = now or timezone.now()
    seconds = (breach.regulator_due_at - now).total_seconds()
    if breach.regulator_notified_at is not None:
        state = "notified"
    elif breach.decision == BreachDecision.NOT_NOTIFY:
        state = "not_notify"
    elif seconds < 0:
        state = "overdue"
    else:
        state = "running"
    return {
        "state": state,
        "hours_left": max(0, int(seconds // 3600)),
        "overdue_hours": max(0, int(-seconds // 3600)),
        "due_at": breach.regulator_due_at,
    }


def breach_register(user: Any, *, open_only: bool = False) -> list[dict[str, Any]]:
    """The breaches ``user`` keeps (none unless the DPO), newest first, each with its clock
    and how many people were told: one query whatever their number."""
    from django.db.models import Count

    from dataprotection.models import Breach

    breaches = (
        Breach.objects.visible_to(user)
        .annotate(told=Count("notices"))
        .defer("description", "measures", "decision_reason", "regulator_reference")
    )
    if open_only:
        breaches = breaches.filter(closed_at__isnull=True)
    now = timezone.now()
    return [{"breach": b, "clock": breach_clock(b, now)} for b in breaches]


def open_breaches(user: Any) -> list[dict[str, Any]]:
    """The dashboard's block: open breaches, the closest deadline (or the most overdue)
    first."""
    rows = breach_register(user, open_only=True)
    order = {"overdue": 0, "running": 1, "not_notify": 2, "notified": 3}
    rows.sort(key=lambda row: (order[row["clock"]["state"]], row["breach"].regulator_due_at))
    return rows


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
    from dataprotection.services.retention import due_with_obstacles

    return {
        # Each due one with what stands in its way (three queries more, for any number).
        "due": due_with_obstacles([e for e in rows if e.status == ErasureStatus.DUE]),
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
