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

from cases.intake import current_notice
from cases.models import Case
from referrals.models import (
    SHAREABLE,
    Agreement,
    OrganisationKind,
    PartnerOrganisation,
    Purpose,
    Referral,
    SharingConsent,
    category_labels,
)
from victimsupport.access import Role, has_role
from victimsupport.concurrency import EditConflict, claim
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

# A referral that may still go, or has gone and is still open: withdrawing the consent it was
# made under ends it (a declined, completed or revoked one is left as it is, as the record).
REVOKED_WITH_THE_CONSENT = (
    Referral.Status.DRAFT,
    Referral.Status.AWAITING_APPROVAL,
    Referral.Status.SENT,
    Referral.Status.ACCEPTED,
)


def sharing_consent_give(
    *,
    case: Case,
    actor: Any,
    partner: PartnerOrganisation | None = None,
    partner_kind: str = "",
    purpose: str,
    categories: list[str] | set[str],
    method: str,
    witness: str = "",
    expires_on: datetime.date | None,
) -> SharingConsent:
    """Record a person's consent to share: with one partner, or any partner of one kind, for
    one purpose, these categories of their file, until ``expires_on``.

    The consent names the confidentiality notice the person was given (the one published
    now). Its terms are never edited afterwards: a change is a new consent.
    """
    errors: dict[str, list[Any]] = {}
    if (partner is None) == (not partner_kind):
        errors.setdefault("partner", []).append(
            _("Name one partner organisation or one kind of organisation (one of the two).")
        )
    if partner is not None and not partner.is_active:
        errors.setdefault("partner", []).append(
            _("%(partner)s is no longer an active partner.") % {"partner": partner}
        )
    if partner_kind and partner_kind not in OrganisationKind.values:
        errors.setdefault("partner_kind", []).append(_("Choose a kind of organisation."))
    if purpose not in Purpose.values:
        errors.setdefault("purpose", []).append(_("Choose the purpose from the list."))
    wanted = set(categories or [])
    if not wanted:
        errors.setdefault("categories", []).append(
            _("Choose at least one part of the file that may be shared.")
        )
    elif not wanted <= SHAREABLE:
        errors.setdefault("categories", []).append(
            _("These parts of the file are never shared: %(categories)s.")
            % {"categories": _labels(wanted - SHAREABLE)}
        )
    if expires_on is None:
        errors.setdefault("expires_on", []).append(
            _("Say until when the consent lasts: a consent to share always ends.")
        )
    elif expires_on < timezone.localdate():
        errors.setdefault("expires_on", []).append(_("The end date is in the past."))
    notice = current_notice()
    if notice is None:
        errors.setdefault("__all__", []).append(
            _(
                "No confidentiality notice has been published, so the consent cannot say what "
                "the person was told. An administrator must publish one first."
            )
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        consent = SharingConsent(
            case=case,
            partner=partner,
            partner_kind="" if partner is not None else partner_kind,
            purpose=purpose,
            categories=sorted(wanted),
            notice=notice,
            method=method,
            witness=(witness or "").strip(),
            given_at=timezone.now(),
            expires_on=expires_on,
            recorded_by=actor,
            authorises=True,
        )
        consent.full_clean()
        consent.save()
    return consent


def sharing_consent_withdraw(
    *, consent: SharingConsent, actor: Any, version: int, note: str = ""
) -> SharingConsent:
    """Withdraw a consent to share: one step, effective at once (GDPR art. 7(3)).

    In the same transaction every referral made under it that is not over (a draft, one
    awaiting approval, one sent or accepted) is revoked, so the partner's access ends with the
    consent. Withdrawn from the consent as read at ``version``: if someone withdrew it since,
    EditConflict is raised and nothing is written.
    """
    with transaction.atomic():
        consent = claim(SharingConsent, pk=consent.pk, version=version)
        if consent.withdrawn_at is not None:
            raise EditConflict(current=consent)
        consent.withdrawn_at = timezone.now()
        consent.withdrawn_by = actor
        consent.withdrawal_note = (note or "").strip()
        validate_text(consent, ["withdrawal_note"])
        consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
        for referral in Referral.objects.filter(
            consent=consent, status__in=REVOKED_WITH_THE_CONSENT
        ).order_by("pk"):
            referral_revoke(
                referral=referral,
                actor=actor,
                because=Referral.RevokedBecause.CONSENT_WITHDRAWN,
            )
    return consent


def revoked_with(consent: SharingConsent) -> int:
    """How many referrals ended because this consent was withdrawn."""
    return consent.referrals.filter(
        status=Referral.Status.REVOKED,
        revoked_because=Referral.RevokedBecause.CONSENT_WITHDRAWN,
    ).count()


# --- Referrals: drafting, the package, sending, overrides (staff) -----------------------------


# --- Referrals: the partner's answers ----------------------------------------------------------
