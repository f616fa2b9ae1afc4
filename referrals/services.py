"""Writes to the referral network, and the one answer to "may this package go?".

Every write is one transaction; django-auditlog records the change entries, and the services
record the access entries (a view, a download, a send) that the signals cannot see.

``sharing_check`` is the only place that decides whether a case's information may go to a
partner. It fails closed: anything it cannot establish counts as missing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from referrals.models import (
    SHAREABLE,
    Agreement,
    OverrideGround,
    PartnerOrganisation,
    Purpose,
    Referral,
    SharingConsent,
    category_labels,
)
from referrals.package import render_package
from victimsupport.access import CASE_ROLES, Role, has_role, roles_of
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.concurrency import claim
from victimsupport.limits import validate_text


@dataclass
class SharingDecision:
    """What ``sharing_check`` found: whether the package may go, and under what.

    ``missing`` says, in words a caseworker can act on, every consent or agreement that is
    missing; an allowed decision has none.
    """

    allowed: bool
    consent: SharingConsent | None = None
    agreement: Agreement | None = None
    by_override: bool = False
    missing: list[Any] = field(default_factory=list)


def _labels(values: set[str] | list[str]) -> str:
    return ", ".join(str(label) for label in category_labels(sorted(values)))


def sharing_check(
    *,
    case: Case,
    partner: PartnerOrganisation,
    purpose: str,
    categories: list[str] | set[str],
    referral: Referral | None = None,
    on: datetime.date | None = None,
) -> SharingDecision:
    """May the package of ``categories`` of ``case`` go to ``partner`` for ``purpose`` today?

    Yes only if all of these hold:

    1. the partner is active;
    2. the package names at least one category, every one of them shareable (internal staff
       notes never leave) and the purpose is one of the list;
    3. an agreement with the partner is valid today and covers the purpose and every category;
    4. a consent of the case is valid today (given, not withdrawn, not expired, not a free-text
       one carried over) for that partner or its kind, that purpose and every category; or
       ``referral`` carries a legal override that a supervisor other than its author approved.

    Fails closed: a question it cannot answer is a missing permission.
    """
    day = on or timezone.localdate()
    wanted = set(categories)
    missing: list[Any] = []

    if not partner.is_active:
        missing.append(_("%(partner)s is no longer an active partner.") % {"partner": partner})
    if purpose not in Purpose.values:
        missing.append(_("Choose the purpose of the referral from the list."))
    if not wanted:
        missing.append(_("Choose at least one part of the case file to send."))
    not_shareable = wanted - SHAREABLE
    if not_shareable:
        missing.append(
            _("These parts of the file are never sent to a partner: %(categories)s.")
            % {"categories": _labels(not_shareable)}
        )

    agreement = _agreement_for(partner, purpose, wanted, day, missing)
    consent = None
    by_override = bool(referral and _override_approved(referral))
    if not by_override:
        consent = _consent_for(case, partner, purpose, wanted, day, missing)

    allowed = not missing
    return SharingDecision(
        allowed=allowed,
        consent=consent if allowed else None,
        agreement=agreement if allowed else None,
        by_override=by_override and allowed,
        missing=missing,
    )


def _agreement_for(
    partner: PartnerOrganisation,
    purpose: str,
    wanted: set[str],
    day: datetime.date,
    missing: list[Any],
) -> Agreement | None:
    agreements = list(Agreement.objects.filter(partner=partner).order_by("-valid_to", "-pk"))
    current = [a for a in agreements if a.is_valid_on(day)]
    for agreement in current:
        if agreement.covers(purpose, wanted):
            return agreement
    if not agreements:
        missing.append(_("There is no network agreement with %(partner)s.") % {"partner": partner})
    elif not current:
        missing.append(
            _("The network agreement with %(partner)s is not valid today (it ran to %(day)s).")
            % {"partner": partner, "day": agreements[0].valid_to.isoformat()}
        )
    else:
        best = current[0]
        if purpose not in best.purposes:
            missing.append(
                _("The network agreement with %(partner)s does not cover this purpose.")
                % {"partner": partner}
            )
        uncovered = wanted - set(best.categories)
        if uncovered:
            missing.append(
                _("The network agreement with %(partner)s does not cover: %(categories)s.")
                % {"partner": partner, "categories": _labels(uncovered)}
            )
    return None


def _consent_for(
    case: Case,
    partner: PartnerOrganisation,
    purpose: str,
    wanted: set[str],
    day: datetime.date,
    missing: list[Any],
) -> SharingConsent | None:
    consents = [
        c
        for c in SharingConsent.objects.filter(case=case).valid_on(day)
        if c.names(partner) and c.purpose == purpose
    ]
    for consent in consents:
        if wanted <= set(consent.categories):
            return consent
    if not consents:
        missing.append(
            _(
                "The person has not given consent, valid today, to share with %(partner)s for "
                "this purpose."
            )
            % {"partner": partner}
        )
    else:
        uncovered = wanted - set(consents[0].categories)
        missing.append(
            _("The person's consent to share with %(partner)s does not cover: %(categories)s.")
            % {"partner": partner, "categories": _labels(uncovered)}
        )
    return None


def _override_approved(referral: Referral) -> bool:
    return bool(
        referral.override_ground
        and (referral.override_reason or "").strip()
        and referral.override_approved is True
        and referral.override_decided_by_id is not None
        and referral.override_decided_by_id != referral.created_by_id
    )


class SharingRefused(ValidationError):
    """A send refused by ``sharing_check``: ``decision.missing`` says what is missing."""

    def __init__(self, decision: SharingDecision) -> None:
        super().__init__([str(m) for m in decision.missing])
        self.decision = decision


def require_supervisor_other_than(user: Any, author_id: Any) -> None:
    """An override is approved by a supervisor, never by the person who asked for it."""
    if not has_role(user, Role.SUPERVISOR):
        raise PermissionDenied(_("Only a supervisor may approve a legal override."))
    if user.pk == author_id:
        raise PermissionDenied(_("You cannot approve an override you asked for yourself."))


def referral_revoke(*, referral: Referral, actor: Any, because: str) -> Referral:
    """End a referral: the partner's access ends at once (``visible_to`` shows them open
    referrals only). A revoked, declined or completed referral stays as it is. The package is
    kept, as the record of what was sent."""
    if because not in Referral.RevokedBecause.values:
        raise ValueError(f"unknown reason {because!r}")
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.status in (
            Referral.Status.REVOKED,
            Referral.Status.DECLINED,
            Referral.Status.COMPLETED,
        ):
            return referral
        referral.status = Referral.Status.REVOKED
        referral.revoked_at = timezone.now()
        referral.revoked_by = actor
        referral.revoked_because = because
        referral.save(update_fields=["status", "revoked_at", "revoked_by", "revoked_because"])
    return referral


# --- The directory: partners, agreements, meetings, partner users -----------------------------


# --- Consents to share -------------------------------------------------------------------------


# --- Referrals: drafting, the package, sending, overrides (staff) -----------------------------

# The fields a caseworker writes on a draft: who it goes to, why, how urgently, what it says,
# and which parts of the file go.
DRAFT_FIELDS = ("partner", "purpose", "urgency", "message", "categories")
# A legal override is argued in writing: a reason a supervisor can weigh, not a word or two.
OVERRIDE_REASON_MIN = 20


def _require_case_staff(actor: Any) -> None:
    if not roles_of(actor) & CASE_ROLES:
        raise PermissionDenied(_("Only the case's staff refer a case."))


def _check_draft_fields(fields: dict[str, Any]) -> None:
    categories = fields.get("categories") or []
    not_shareable = set(categories) - SHAREABLE
    if not categories:
        raise ValidationError({"categories": _("Choose at least one part of the file to send.")})
    if not_shareable:
        raise ValidationError(
            {
                "categories": _("These parts of the file are never sent to a partner: %(c)s.")
                % {"c": _labels(not_shareable)}
            }
        )
    partner = fields.get("partner")
    if partner is not None and not partner.is_active:
        raise ValidationError({"partner": _("This partner is no longer active.")})


@transaction.atomic
def referral_draft(
    *,
    case: Case,
    actor: Any,
    partner: PartnerOrganisation,
    purpose: str,
    urgency: str,
    message: str,
    categories: list[str],
) -> Referral:
    """A draft referral: nothing goes anywhere until it is sent (``referral_send``)."""
    _require_case_staff(actor)
    fields = {
        "partner": partner,
        "purpose": purpose,
        "urgency": urgency,
        "message": message,
        "categories": sorted(set(categories)),
    }
    _check_draft_fields(fields)
    referral = Referral(case=case, created_by=actor, **fields)
    referral.full_clean()
    referral.save()
    return referral


@transaction.atomic
def referral_update(*, referral: Referral, actor: Any, version: int, **changes: Any) -> Referral:
    """Change a draft as read at ``version`` (EditConflict if someone saved since). Only a
    draft changes: what was sent, or waits for a supervisor, is what it is."""
    _require_case_staff(actor)
    for name in changes:
        if name not in DRAFT_FIELDS:
            raise ValueError(f"{name} cannot be changed here")
    if "categories" in changes:
        changes["categories"] = sorted(set(changes["categories"]))
    current = claim(Referral, pk=referral.pk, version=version)
    if current.status != Referral.Status.DRAFT:
        raise ValidationError(_("Only a draft referral can be changed."))
    _check_draft_fields({"categories": current.categories, **changes})
    for name, value in changes.items():
        setattr(current, name, value)
    current.full_clean()
    current.save()
    return current


def _send_detail(referral: Referral, decision: SharingDecision) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "case": str(referral.case_id),
        "partner": referral.partner_id,
        "purpose": referral.purpose,
        "override": decision.by_override,
    }
    if decision.agreement is not None:
        detail["agreement"] = decision.agreement.pk
    if decision.consent is not None:
        detail["consent"] = decision.consent.pk
    return detail


def _send_locked(referral: Referral, actor: Any) -> Referral:
    """Send ``referral`` (already claimed or locked in the caller's transaction)."""
    decision = sharing_check(
        case=referral.case,
        partner=referral.partner,
        purpose=referral.purpose,
        categories=referral.categories,
        referral=referral,
    )
    if not decision.allowed:
        raise SharingRefused(decision)
    referral.status = Referral.Status.SENT
    referral.sent_at = timezone.now()
    referral.sent_by = actor
    referral.consent = decision.consent
    referral.agreement = decision.agreement
    # Rendered once, now: the partner reads what was sent, whatever the file says later.
    referral.package = render_package(referral.case, referral.categories, referral)
    referral.save()
    record_access(
        actor=actor, obj=referral, kind=AccessKind.EXPORT, detail=_send_detail(referral, decision)
    )
    return referral


def _audit_refused_send(referral: Referral, actor: Any, refused: SharingRefused) -> None:
    # EXPORT_REFUSED, not REFUSED: REFUSED counts the 404/403 answers to someone who may not
    # reach an object; this is someone who may, whose package was stopped at the door, which
    # is what EXPORT_REFUSED already means for the case-file PDF. Written after the rollback,
    # so that the refusal is kept while nothing of the send is.
    record_access(
        actor=actor,
        obj=referral,
        kind=AccessKind.EXPORT_REFUSED,
        detail={
            "case": str(referral.case_id),
            "partner": referral.partner_id,
            "purpose": referral.purpose,
            "missing": len(refused.decision.missing),
        },
    )


def referral_send(*, referral: Referral, actor: Any, version: int) -> Referral:
    """Send a draft as read at ``version``, if ``sharing_check`` allows it, here and now.

    Refused: ``SharingRefused`` (its ``decision.missing`` says what is missing), nothing of
    the referral changes, and the refusal is an access entry. Sent: the status, who and when,
    the consent and agreement it went under, and the package as rendered now are stored in
    one transaction with the access entry (kind EXPORT).
    """
    _require_case_staff(actor)
    try:
        with transaction.atomic():
            current = claim(
                Referral.objects.select_related("case", "partner"), pk=referral.pk, version=version
            )
            if current.status != Referral.Status.DRAFT:
                raise ValidationError(_("This referral is not a draft: it cannot be sent again."))
            return _send_locked(current, actor)
    except SharingRefused as refused:
        _audit_refused_send(referral, actor, refused)
        raise


@transaction.atomic
def referral_override_request(
    *, referral: Referral, actor: Any, ground: str, reason: str, version: int
) -> Referral:
    """Ask a supervisor to let a draft go without the person's consent, on a legal ground
    (imminent danger to life, a legal duty to disclose), with the reason in writing."""
    _require_case_staff(actor)
    if ground not in OverrideGround.values:
        raise ValidationError({"ground": _("Choose the legal ground from the list.")})
    reason = (reason or "").strip()
    if len(reason) < OVERRIDE_REASON_MIN:
        raise ValidationError(
            {
                "reason": _(
                    "Write the reason in full (at least %(n)d characters): the supervisor "
                    "decides on it, and it stays on the record."
                )
                % {"n": OVERRIDE_REASON_MIN}
            }
        )
    current = claim(Referral, pk=referral.pk, version=version)
    if current.status != Referral.Status.DRAFT:
        raise ValidationError(_("Only a draft referral can be sent for approval."))
    current.override_ground = ground
    current.override_reason = reason
    # A new request is decided afresh: an earlier refusal does not stand for this one.
    current.override_approved = None
    current.override_decided_by = None
    current.override_decided_at = None
    current.override_decision_note = ""
    current.status = Referral.Status.AWAITING_APPROVAL
    current.full_clean()
    current.save()
    return current


def referral_override_decide(
    *, referral: Referral, actor: Any, approve: bool, note: str = ""
) -> Referral:
    """A supervisor other than the referral's author decides on its override.

    Approved: the decision is recorded and the referral is sent at once, through the same
    send as any other (``sharing_check`` then accepts the override in place of a consent, and
    still requires the agreement; if that is missing, nothing is recorded and SharingRefused
    says so). Refused: back to draft, with the decision and its note for the caseworker.
    """
    require_supervisor_other_than(actor, referral.created_by_id)
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("Say why, so that the caseworker knows what to do.")})
    try:
        with transaction.atomic():
            current = (
                Referral.objects.select_for_update()
                .select_related("case", "partner")
                .get(pk=referral.pk)
            )
            if current.status != Referral.Status.AWAITING_APPROVAL:
                raise ValidationError(_("This referral is not waiting for approval."))
            current.override_approved = approve
            current.override_decided_by = actor
            current.override_decided_at = timezone.now()
            current.override_decision_note = note
            validate_text(current, ["override_decision_note"])
            # A page read before the decision must not save over it.
            current.version += 1
            if not approve:
                current.status = Referral.Status.DRAFT
                current.save()
                return current
            return _send_locked(current, actor)
    except SharingRefused as refused:
        _audit_refused_send(referral, actor, refused)
        raise


# --- Referrals: the partner's answers ----------------------------------------------------------
