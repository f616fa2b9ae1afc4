"""Writes to cases. Each is one transaction; auditlog records the change entries and the
services record the access entries the signals cannot see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cases.models import BreakGlassAccess, Case, CaseReferenceCounter
from victimsupport.access import Role, has_role
from victimsupport.audit.services import AccessKind, record_access

BREAK_GLASS_MIN_REASON = 20


def next_case_reference(*, year: int | None = None) -> str:
    """The next human reference, e.g. VS-2026-00042. Call inside a transaction."""
    year = year or timezone.localdate().year
    counter, _ = CaseReferenceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"VS-{year}-{counter.last:05d}"


@transaction.atomic
def case_create(*, team: Any, assigned_to: Any = None, opened_at: Any = None) -> Case:
    case = Case(
        reference=next_case_reference(),
        team=team,
        assigned_to=assigned_to,
        opened_at=opened_at or timezone.now(),
    )
    case.full_clean()
    case.save()
    return case


@transaction.atomic
def break_glass_open(*, actor: Any, case: Case, reason: str) -> BreakGlassAccess:
    """Give a supervisor read-only access to a case outside their teams, for a limited time.

    The reason is kept (encrypted) and the access is audited, so it can be reviewed later.
    """
    if not has_role(actor, Role.SUPERVISOR):
        raise PermissionDenied("Only supervisors can use emergency access.")
    reason = (reason or "").strip()
    if len(reason) < BREAK_GLASS_MIN_REASON:
        raise ValidationError(
            {"reason": f"Give a reason of at least {BREAK_GLASS_MIN_REASON} characters."}
        )
    now = timezone.now()
    access = BreakGlassAccess(
        case=case,
        user=actor,
        reason=reason,
        created_at=now,
        expires_at=now + timedelta(minutes=settings.BREAK_GLASS_MINUTES),
    )
    access.full_clean()
    access.save()
    record_access(actor=actor, obj=case, kind=AccessKind.BREAK_GLASS, detail={"grant": access.pk})
    return access
