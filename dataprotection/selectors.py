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
    if scope == "closed":
        return requests.exclude(status__in=RequestStatus.open_values()).order_by(
            "-closed_at", "reference"
        )
    if scope == "all":
        return requests.order_by("-received_on", "reference")
    requests = requests.open()
    if scope == "overdue":
        requests = requests.filter(deadline_on__lt=today)
    return requests.order_by("deadline_on", "reference")


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
