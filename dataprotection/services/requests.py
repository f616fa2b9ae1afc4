"""Requests from people (GDPR arts. 12, 15 and 17), up to the point where a copy is prepared:
logging, the feared-person match, the identity check, the extension, withdrawal and refusal.

Only the data-protection officer writes here. Each write is one transaction; the request's
change entries are written by the audit registration, and each step that changes a request
a page showed claims its version first, so two people acting on one request at once never
overwrite each other.

Where a request stands:

- RECEIVED: logged, identity to check. A request by someone the file records as feared goes
  no further until the DPO decides, with a written reason.
- PREPARING: identity checked. For an access request, the copy is prepared (the copy part
  takes over). For an erasure request, PREPARING means the same "checked, the decision can be
  made": the retention part approves or refuses the erasure from there.
- WITHDRAWN, REFUSED: closed here.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cases.models import Case, ContactMethod, ContactPreference, ThirdParty
from dataprotection import clock
from dataprotection.models import (
    AccessRequest,
    FearedDecision,
    IdentityMethod,
    ReceivedVia,
    RequestCase,
    RequesterKind,
    RequestKind,
    RequestReferenceCounter,
    RequestStatus,
)
from victimsupport.access import Role, has_role
from victimsupport.concurrency import claim
from victimsupport.files import check_upload
from victimsupport.limits import validate_text


class CloseOutcome(models.TextChoices):
    """How a request ends here, before anything is prepared or delivered."""

    WITHDRAWN = "withdrawn", _("Withdrawn by the person")
    UNFOUNDED = "manifestly_unfounded", _("Refused: manifestly unfounded (art. 12(5))")
    EXCESSIVE = "manifestly_excessive", _("Refused: manifestly excessive (art. 12(5))")


REFUSAL_OUTCOMES = (CloseOutcome.UNFOUNDED, CloseOutcome.EXCESSIVE)


def _require_dpo(actor: Any) -> None:
    if not has_role(actor, Role.DATA_PROTECTION_OFFICER):
        raise PermissionDenied(_("Only the data-protection officer handles requests."))


def _required(value: str | None, field: str, message: Any) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _require_open(request: AccessRequest) -> None:
    if not request.is_open:
        raise ValidationError(
            _("This request is closed (%(status)s): nothing more can be done to it.")
            % {"status": request.get_status_display()}
        )


def next_request_reference(*, year: int | None = None) -> str:
    """The next request reference, DP-2026-0007. Call inside a transaction: the counter's
    row is locked until it ends, so two requests never share a number."""
    year = year or timezone.localdate().year
    counter, _created = RequestReferenceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"DP-{year}-{counter.last:04d}"


def parse_references(text: str) -> list[str]:
    """Case references typed one after another (commas, spaces or lines between them),
    upper-cased, each once, in the order typed."""
    seen: list[str] = []
    for part in text.replace(",", " ").replace(";", " ").split():
        reference = part.strip().upper()
        if reference and reference not in seen:
            seen.append(reference)
    return seen


def cases_by_reference(references: list[str]) -> list[Case]:
    """The cases with exactly these references. The DPO does not open case files: a request
    names its cases by reference, and an unknown one is refused, naming it."""
    if not references:
        raise ValidationError(
            {"case_references": _("Give the reference of at least one case the request is about.")}
        )
    found = {case.reference: case for case in Case.objects.filter(reference__in=references)}
    unknown = [reference for reference in references if reference not in found]
    if unknown:
        raise ValidationError(
            {
                "case_references": _(
                    "No case has the reference %(references)s. Check it against the case file "
                    "or the person's letters."
                )
                % {"references": ", ".join(unknown)}
            }
        )
    return [found[reference] for reference in references]


def feared_in_cases(request: AccessRequest, cases: Any) -> bool:
    """Whether the requester's name is that of someone one of ``cases`` records as feared
    (through the shared blind index: no name is read)."""
    if not request.requester_name_index:
        return False
    return ThirdParty.objects.filter(
        case__in=cases, role=ThirdParty.Role.FEARED, name_index=request.requester_name_index
    ).exists()


def _cases_of(request: AccessRequest) -> models.QuerySet[Case]:
    return Case.objects.filter(pk__in=RequestCase.objects.filter(request=request).values("case"))


@transaction.atomic
def access_request_log(
    *,
    actor: Any,
    kind: str,
    received_on: datetime.date,
    received_via: str,
    requester_kind: str,
    requester_name: str,
    case_references: list[str],
    authority_evidence: str = "",
    authority_document: tuple[str, str, bytes] | None = None,
    details: str = "",
    language: str = "",
) -> AccessRequest:
    """Log a request as received: its reference, its clock (due one month after receipt, on
    the country profile's calendar) and the cases it is about. A requester whose name is that
    of a person a case records as feared is flagged, and the request goes no further until
    the DPO decides (``access_request_feared_decide``).

    ``authority_document`` is ``(name, content type, bytes)`` as the form's upload check
    (``clean_upload``) returned it."""
    _require_dpo(actor)
    errors: dict[str, Any] = {}
    if kind not in RequestKind.values:
        errors["kind"] = _("Choose what the person asks for.")
    if received_via not in ReceivedVia.values:
        errors["received_via"] = _("Choose how the request came in.")
    if requester_kind not in RequesterKind.values:
        errors["requester_kind"] = _("Choose who is asking.")
    today = timezone.localdate()
    if received_on is None:
        errors["received_on"] = _("Give the date the request was received.")
    elif received_on > today:
        errors["received_on"] = _("The request cannot have been received after today.")
    if not (requester_name or "").strip():
        errors["requester_name"] = _("Give the name of the person asking.")
    if requester_kind == RequesterKind.REPRESENTATIVE and not (
        (authority_evidence or "").strip() or authority_document
    ):
        errors["authority_evidence"] = _(
            "Someone acting for the person must show their authority: say what it is (a signed "
            "authority, a power of attorney) or attach a copy."
        )
    try:
        cases = cases_by_reference(case_references)
    except ValidationError as exc:
        errors.update(exc.error_dict)
        cases = []
    if errors:
        raise ValidationError(errors)

    request = AccessRequest(
        reference=next_request_reference(),
        kind=kind,
        received_on=received_on,
        received_via=received_via,
        requester_kind=requester_kind,
        requester_name=requester_name.strip(),
        authority_evidence=(authority_evidence or "").strip(),
        details=(details or "").strip(),
        language=language or "",
        logged_by=actor,
        due_on=clock.due_date(received_on),
    )
    if authority_document:
        name, content_type, data = authority_document
        try:
            check_upload(name=name, content_type=content_type, data=data)
        except ValidationError as exc:
            raise ValidationError({"authority_document": exc.messages}) from exc
        request.authority_document = data
        request.authority_document_type = content_type
    validate_text(request)
    request.save()
    # Row by row: each is a change entry of its own (a bulk add would leave none).
    for case in cases:
        RequestCase.objects.create(request=request, case=case)
    # The name index is computed on save; the match is then one query.
    if feared_in_cases(request, cases):
        request.feared_match = True
        request.save(update_fields=["feared_match"])
    return request


FEARED_FIRST = _(
    "The person asking has the name of someone the file records as feared. Record the decision "
    "on it, with a written reason, before checking their identity."
)


def access_request_identity_check(
    *, actor: Any, request: AccessRequest, version: int, method: str, note: str = ""
) -> AccessRequest:
    """Record how the person's identity was checked, by whom and when. Nothing is prepared
    before; a request by someone recorded as feared waits for the DPO's decision first.

    Access: the request moves to PREPARING, where the copy is drafted. Erasure: it moves to
    PREPARING too, which for an erasure means "identity checked, to be decided": the
    retention part approves or refuses it from there.

    One transaction; the feared match is checked again in it, so a feared person recorded in
    the file since the request was logged is recognised too: that flag is kept (committed)
    and the check refused."""
    _require_dpo(actor)
    with transaction.atomic():
        request = claim(AccessRequest, pk=request.pk, version=version)
        _require_open(request)
        if request.status != RequestStatus.RECEIVED:
            raise ValidationError(_("The identity was already checked for this request."))
        newly_feared = not request.feared_match and feared_in_cases(request, _cases_of(request))
        if newly_feared:
            request.feared_match = True
            request.save(update_fields=["feared_match"])
        elif request.blocked_by_feared_match:
            raise ValidationError(FEARED_FIRST)
        else:
            if method not in IdentityMethod.values:
                raise ValidationError({"method": _("Choose how their identity was checked.")})
            request.identity_method = method
            request.identity_note = (note or "").strip()
            request.identity_checked_by = actor
            request.identity_checked_at = timezone.now()
            request.status = RequestStatus.PREPARING
            validate_text(request, ["identity_note"])
            request.save()
    if newly_feared:
        raise ValidationError(FEARED_FIRST)
    return request


@transaction.atomic
def access_request_feared_decide(
    *, actor: Any, request: AccessRequest, version: int, decision: str, reason: str
) -> AccessRequest:
    """The DPO's decision on a request by someone the file records as feared, with the
    written reason: proceed (they are not that person, or may receive the copy), or refuse (the
    request is closed as refused, nothing is prepared)."""
    _require_dpo(actor)
    request = claim(AccessRequest, pk=request.pk, version=version)
    _require_open(request)
    if not request.feared_match:
        raise ValidationError(_("This request was not made by anyone the file records as feared."))
    if request.feared_decision:
        raise ValidationError(_("The decision on this request was already recorded."))
    if decision not in (FearedDecision.PROCEED, FearedDecision.REFUSE):
        raise ValidationError({"decision": _("Choose whether to proceed or refuse.")})
    reason = _required(reason, "reason", _("Write the reason for the decision."))
    now = timezone.now()
    request.feared_decision = decision
    request.feared_reason = reason
    request.feared_decided_by = actor
    request.feared_decided_at = now
    if decision == FearedDecision.REFUSE:
        request.status = RequestStatus.REFUSED
        request.closed_at = now
        request.closed_by = actor
    validate_text(request, ["feared_reason"])
    request.save()
    return request


def _check_told_via(cases: list[Case], told_via: str) -> None:
    """The person is told through a channel their case records as safe; in person always;
    never anything else while a case says do not contact."""
    if told_via not in ContactMethod.values:
        raise ValidationError({"told_via": _("Choose how the person was told.")})
    if told_via == ContactMethod.IN_PERSON:
        return
    blocked = [case.reference for case in cases if case.do_not_contact]
    if blocked:
        raise ValidationError(
            {
                "told_via": _(
                    "Case %(references)s is marked do not contact: the person must not be "
                    "contacted, so they can only have been told in person."
                )
                % {"references": ", ".join(blocked)}
            }
        )
    safe = set(
        ContactPreference.objects.filter(case__in=cases, method=told_via, is_safe=True).values_list(
            "case_id", flat=True
        )
    )
    unsafe = [case.reference for case in cases if case.pk not in safe]
    if unsafe:
        raise ValidationError(
            {
                "told_via": _(
                    "%(method)s is not recorded as safe for case %(references)s. Tell the person "
                    "through a channel their case records as safe, or in person."
                )
                % {
                    "method": ContactMethod(told_via).label,
                    "references": ", ".join(unsafe),
                }
            }
        )


@transaction.atomic
def access_request_extend(
    *,
    actor: Any,
    request: AccessRequest,
    version: int,
    extended_to: datetime.date,
    reason: str,
    told_on: datetime.date,
    told_via: str,
) -> AccessRequest:
    """Extend the deadline by up to the profile's further months (two under the GDPR), with
    the reason, told to the person before the first month ends: refused after it."""
    _require_dpo(actor)
    request = claim(AccessRequest, pk=request.pk, version=version)
    _require_open(request)
    today = timezone.localdate()
    if request.extended_to:
        raise ValidationError(
            _("This request was already extended, to %(day)s.")
            % {"day": date_format(request.extended_to)}
        )
    if not clock.may_extend(request.received_on, today):
        raise ValidationError(
            _(
                "The first month ended on %(day)s: an extension must be told to the person "
                "before then, so it can no longer be made."
            )
            % {"day": date_format(request.due_on)}
        )
    errors: dict[str, Any] = {}
    latest = clock.latest_extended_date(request.received_on)
    if extended_to is None:
        errors["extended_to"] = _("Give the new due date.")
    elif extended_to <= request.due_on:
        errors["extended_to"] = _("The new due date must be after the current one, %(day)s.") % {
            "day": date_format(request.due_on)
        }
    elif extended_to > latest:
        errors["extended_to"] = _("An extension can go up to %(day)s, no further.") % {
            "day": date_format(latest)
        }
    if not (reason or "").strip():
        errors["reason"] = _("Write the reason for the extension: the person is told it.")
    if told_on is None:
        errors["told_on"] = _("Give the date the person was told of the extension.")
    elif told_on > today:
        errors["told_on"] = _("The person cannot have been told after today.")
    elif told_on < request.received_on:
        errors["told_on"] = _("The person cannot have been told before the request came in.")
    elif told_on > request.due_on:
        errors["told_on"] = _("The person must be told before the first month ends, %(day)s.") % {
            "day": date_format(request.due_on)
        }
    try:
        _check_told_via(list(_cases_of(request)), told_via)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    request.extended_to = extended_to
    request.extension_reason = reason.strip()
    request.extension_told_on = told_on
    request.extension_told_via = told_via
    validate_text(request, ["extension_reason"])
    request.save()
    return request


def _close(
    *, actor: Any, request: AccessRequest, version: int, status: str, ground: str, reason: str
) -> AccessRequest:
    _require_dpo(actor)
    request = claim(AccessRequest, pk=request.pk, version=version)
    _require_open(request)
    request.status = status
    request.refusal_grounds = [ground]
    request.refusal_reason = reason
    request.closed_at = timezone.now()
    request.closed_by = actor
    validate_text(request, ["refusal_reason"])
    request.save()
    return request


@transaction.atomic
def access_request_withdraw(
    *, actor: Any, request: AccessRequest, version: int, reason: str
) -> AccessRequest:
    """The person withdrew the request: closed, with what they said (or how)."""
    reason = _required(reason, "reason", _("Say how the person withdrew the request."))
    return _close(
        actor=actor,
        request=request,
        version=version,
        status=RequestStatus.WITHDRAWN,
        ground=CloseOutcome.WITHDRAWN,
        reason=reason,
    )


@transaction.atomic
def access_request_refuse(
    *, actor: Any, request: AccessRequest, version: int, ground: str, reason: str
) -> AccessRequest:
    """Refuse a manifestly unfounded or excessive request (art. 12(5)), with the reason the
    person is told. An erasure refused for a legal reason to keep is the retention part's."""
    if ground not in REFUSAL_OUTCOMES:
        raise ValidationError({"outcome": _("Choose why the request is refused.")})
    reason = _required(reason, "reason", _("Write the reason: the person is told it."))
    return _close(
        actor=actor,
        request=request,
        version=version,
        status=RequestStatus.REFUSED,
        ground=ground,
        reason=reason,
    )
