"""Writes to cases. Each is one transaction; auditlog records the change entries and the
services record the access entries the signals cannot see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import (
    BreakGlassAccess,
    Case,
    CaseReferenceCounter,
    Consent,
    ContactLog,
    ContactPreference,
    Document,
    Note,
    StatusChange,
    Victim,
    kept_address,
)
from victimsupport import limits
from victimsupport.access import CASE_ROLES, Role, has_role, roles_of
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.concurrency import EditConflict, claim
from victimsupport.files import clean_upload
from victimsupport.limits import validate_text
from victimsupport.stored_files import Refusal
from victimsupport.validation import full_clean

BREAK_GLASS_MIN_REASON = 20


def next_case_reference(*, year: int | None = None) -> str:
    """The next human reference, e.g. VS-2026-00042. Call inside a transaction."""
    year = year or timezone.localdate().year
    counter, _created = CaseReferenceCounter.objects.select_for_update().get_or_create(year=year)
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
        raise PermissionDenied(_("Only supervisors can use emergency access."))
    reason = (reason or "").strip()
    if len(reason) < BREAK_GLASS_MIN_REASON:
        raise ValidationError(
            {
                "reason": _("Give a reason of at least %(count)d characters.")
                % {"count": BREAK_GLASS_MIN_REASON}
            }
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


# --- The case file -----------------------------------------------------------------------


def _log_status(case: Case, kind: str, actor: Any, reason: str = "") -> None:
    change = StatusChange(case=case, kind=kind, changed_by=actor, reason=reason)
    validate_text(change)
    change.save()


@transaction.atomic
def note_add(*, case: Case, actor: Any, body: str) -> Note:
    note = Note(case=case, author=actor, body=body.strip())
    full_clean(note)
    note.save()
    return note


@transaction.atomic
def contact_record(
    *,
    case: Case,
    actor: Any,
    method: str,
    direction: str,
    summary: str,
    safety_checked: bool = False,
) -> ContactLog:
    """Record a contact. Outbound contact is refused while "do not contact" is set, and needs
    an explicit check when the method is not marked safe: a wrong contact can put someone in
    danger."""
    preference = ContactPreference.objects.filter(case=case, method=method).first()
    is_safe = bool(preference and preference.is_safe)
    if direction == ContactLog.Direction.OUTBOUND:
        if case.do_not_contact:
            raise ValidationError(
                _("This person must not be contacted: outbound contact is blocked.")
            )
        if not is_safe and not safety_checked:
            raise ValidationError(
                {"safety_checked": _("This method is not marked safe. Confirm you checked it was.")}
            )
    contact = ContactLog(
        case=case,
        method=method,
        direction=direction,
        summary=summary.strip(),
        method_was_safe=is_safe,
        recorded_by=actor,
    )
    full_clean(contact)
    contact.save()
    return contact


@transaction.atomic
def consent_give(*, case: Case, actor: Any, **fields: Any) -> Consent:
    """Record a consent to keep and use the person's information.

    Consent to share with a partner is not recorded here: it names the partner organisation
    (or its kind) and one purpose from a list, so that a referral can be checked against it,
    and it is given from the case file's "Consents to share" section.
    """
    from cases.intake import current_notice

    if fields.setdefault("kind", Consent.Kind.PROCESSING) != Consent.Kind.PROCESSING:
        raise ValidationError(
            _(
                'Consent to share with another organisation is recorded under "Consents to '
                'share", naming the organisation and the purpose.'
            )
        )
    consent = Consent(case=case, recorded_by=actor, notice=current_notice(), **fields)
    full_clean(consent)
    consent.save()
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, actor: Any, version: int, note: str = "") -> Consent:
    """Withdrawing is as easy as giving (GDPR art. 7(3)): one step, effective at once.

    Withdrawn from the consent as read at ``version``: if someone withdrew or changed it
    since, EditConflict is raised and their withdrawal (and its note) stays as they wrote it.
    """
    consent = claim(Consent, pk=consent.pk, version=version)
    if consent.withdrawn_at is not None:
        # A withdrawal always claims a version, so this is a row withdrawn by other means
        # (a bulk load): the same answer, never a second withdrawal over the first.
        raise EditConflict(current=consent)
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = actor
    consent.withdrawal_note = note.strip()
    validate_text(consent, ["withdrawal_note"])
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
    return consent


VICTIM_FIELDS = Victim.DETAILS


@transaction.atomic
def victim_update(*, victim: Victim, actor: Any, version: int, **changes: Any) -> Victim:
    """Save details edited from ``version``. If someone saved in between, nothing is written
    and EditConflict is raised, so the second editor is told instead of overwriting."""
    for name in changes:
        if name not in VICTIM_FIELDS:
            raise ValueError(f"{name} cannot be changed here")
    current = claim(Victim, pk=victim.pk, version=version)
    for name, value in changes.items():
        setattr(current, name, value)
    current.address = kept_address(current.address, withheld=current.address_withheld)
    current.full_clean()
    # Blind indexes are computed in pre_save, so they are saved with their sources.
    current.save()
    return current


@transaction.atomic
def case_assign(*, case: Case, actor: Any, version: int, team: Any, assigned_to: Any) -> Case:
    """Assign from the case as read at ``version``: two supervisors moving one case at once
    must not both succeed, the second silently undoing the first's choice."""
    if not has_role(actor, Role.SUPERVISOR):
        raise PermissionDenied(_("Only supervisors assign and transfer cases."))
    if assigned_to is not None and not assigned_to.teams.filter(pk=team.pk).exists():
        raise ValidationError({"assigned_to": _("That person is not in the chosen team.")})
    if assigned_to is not None and not roles_of(assigned_to) & CASE_ROLES:
        # An auditor or administrator in the team could not even open the case.
        raise ValidationError({"assigned_to": _("Cases go to caseworkers and supervisors only.")})
    case = claim(Case, pk=case.pk, version=version)
    case.team = team
    case.assigned_to = assigned_to
    case.save(update_fields=["team", "assigned_to"])
    _log_status(case, StatusChange.Kind.ASSIGNED, actor)
    return case


@transaction.atomic
def case_close(*, case: Case, actor: Any, reason: str) -> Case:
    # Locked and read again: a double click must not close the case twice.
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == Case.Status.CLOSED:
        raise ValidationError(_("The case is already closed."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the case is being closed.")})
    case.status = Case.Status.CLOSED
    case.closed_at = timezone.now()
    case.save(update_fields=["status", "closed_at"])
    _log_status(case, StatusChange.Kind.CLOSED, actor, reason.strip())
    return case


@transaction.atomic
def case_reopen(*, case: Case, actor: Any, reason: str) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != Case.Status.CLOSED:
        raise ValidationError(_("The case is not closed."))
    case.status = Case.Status.OPEN
    case.closed_at = None
    case.save(update_fields=["status", "closed_at"])
    _log_status(case, StatusChange.Kind.REOPENED, actor, reason.strip())
    return case


@transaction.atomic
def document_add(
    *, case: Case, actor: Any, name: str, content_type: str, data: bytes, description: str = ""
) -> Document:
    data = clean_upload(name=name, content_type=content_type, data=data)
    document = Document(
        case=case,
        filename=name[: limits.FILE_NAME],
        description=description.strip(),
        content_type=content_type,
        size=len(data),
        content=data,
        uploaded_by=actor,
    )
    document.full_clean(exclude=["content"])
    document.save()
    return document


@transaction.atomic
def document_quarantine(*, document: Document, reason: Refusal) -> Document:
    """Set aside a stored document the current checks refuse (``recheck_files``): kept, with
    its history, but no longer served. The save logs the change like any other."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.quarantined_at is None:
        document.quarantined_at = timezone.now()
        document.quarantine_reason = reason
        document.save(update_fields=["quarantined_at", "quarantine_reason"])
    return document


@transaction.atomic
def document_reencode(*, document: Document, data: bytes) -> Document:
    """Replace a stored image by its re-encoded pixels (``recheck_files --reencode-images``):
    what ``document_add`` would have stored, had the re-encoding existed then."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    document.content = data
    document.size = len(data)
    document.save(update_fields=["content", "size"])
    return document


def document_open(*, document: Document, actor: Any) -> Document:
    record_access(
        actor=actor, obj=document.case, kind=AccessKind.DOWNLOAD, detail={"document": document.pk}
    )
    return document
