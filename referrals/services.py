"""Writes to the referral network, and the one answer to "may this package go?".

Every write is one transaction; django-auditlog records the change entries, and the services
record the access entries (a view, a download, a send) that the signals cannot see.

``sharing_check`` is the only place that decides whether a case's information may go to a
partner. It fails closed: anything it cannot establish counts as missing.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from cases.intake import current_notice
from cases.models import Case
from referrals import notifications
from referrals.models import (
    DIRECTORY_KEEPERS,
    SHAREABLE,
    Agreement,
    Meeting,
    OrganisationKind,
    OverrideGround,
    PartnerMembership,
    PartnerOrganisation,
    ProtectedPackage,
    Purpose,
    Referral,
    SharingConsent,
    category_labels,
    partner_of,
)
from referrals.package import digest, render_package
from victimsupport import limits, pdf
from victimsupport.access import CASE_ROLES, Role, has_role, roles_of, sync_roles
from victimsupport.accounts.models import User
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.concurrency import EditConflict, claim
from victimsupport.files import clean_upload
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
        and referral.override_decided_by_id
        not in {referral.created_by_id, referral.override_requested_by_id}
    )


class SharingRefused(ValidationError):
    """A send refused by ``sharing_check``: ``decision.missing`` says what is missing."""

    def __init__(self, decision: SharingDecision) -> None:
        super().__init__([str(m) for m in decision.missing])
        self.decision = decision


def require_supervisor_other_than(user: Any, *author_ids: Any) -> None:
    """An override is approved by a supervisor, never by the person who drafted the referral
    or asked for the override (two people, always)."""
    if not has_role(user, Role.SUPERVISOR):
        raise PermissionDenied(_("Only a supervisor may approve a legal override."))
    if user.pk in author_ids:
        raise PermissionDenied(
            _("You cannot approve an override for a referral you drafted or asked for.")
        )


def may_decide_override(user: Any, referral: Referral) -> bool:
    """Whether ``user`` is someone who may decide on ``referral``'s override (the page asks
    before it offers the decision; the service asks again)."""
    return (
        referral.status == Referral.Status.AWAITING_APPROVAL
        and has_role(user, Role.SUPERVISOR)
        and user.pk not in {referral.created_by_id, referral.override_requested_by_id}
    )


def referral_revoke(*, referral: Referral, actor: Any, because: str) -> Referral:
    """End a referral: the partner's access ends at once (``visible_to`` shows them open
    referrals only). A revoked, declined or completed referral stays as it is. The package is
    kept, as the record of what was sent; its protected PDFs are deleted."""
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
        _drop_protected_packages(referral)
    return referral


def _drop_protected_packages(referral: Referral) -> None:
    """A referral that is over is handed over no more: its protected PDFs go with it (in the
    caller's transaction), so no copy of the package waits for a download nobody may make."""
    ProtectedPackage.objects.filter(referral_id=referral.pk).delete()


# --- The directory: partners, agreements, meetings, partner users -----------------------------

PARTNER_FIELDS = (
    "name",
    "kind",
    "services",
    "eligibility",
    "areas",
    "languages",
    "contacts",
    "notify_email",
    "channel",
    "is_active",
)
AGREEMENT_TERMS = ("type", "purposes", "categories", "valid_from", "valid_to", "review_on")


def _require_keeper(actor: Any) -> None:
    if not roles_of(actor) & DIRECTORY_KEEPERS:
        raise PermissionDenied(
            _("The partner directory is kept by supervisors and administrators.")
        )


def _tidy(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def partner_create(
    *,
    actor: Any,
    name: str,
    kind: str,
    channel: str,
    services: str = "",
    eligibility: str = "",
    areas: str = "",
    languages: str = "",
    contacts: str = "",
    notify_email: str = "",
    is_active: bool = True,
) -> PartnerOrganisation:
    _require_keeper(actor)
    partner = PartnerOrganisation(
        name=_tidy(name),
        kind=kind,
        channel=channel,
        services=_tidy(services),
        eligibility=_tidy(eligibility),
        areas=_tidy(areas),
        languages=_tidy(languages),
        contacts=_tidy(contacts),
        notify_email=_tidy(notify_email),
        is_active=is_active,
    )
    with transaction.atomic():
        partner.full_clean()
        partner.save()
    return partner


def partner_update(
    *, partner: PartnerOrganisation, actor: Any, **changes: Any
) -> PartnerOrganisation:
    """Save the fields the keeper changed, and only those: two keepers editing different
    fields of one partner at once do not undo each other's work."""
    _require_keeper(actor)
    unknown = set(changes) - set(PARTNER_FIELDS)
    if unknown:
        raise TypeError(f"not a partner field: {sorted(unknown)}")
    with transaction.atomic():
        partner = PartnerOrganisation.objects.select_for_update().get(pk=partner.pk)
        if not changes:
            return partner
        for name, value in changes.items():
            setattr(partner, name, _tidy(value))
        partner.full_clean()
        partner.save(update_fields=sorted(changes))
    return partner


def _check_terms(
    *,
    purposes: list[str],
    categories: list[str],
    valid_from: datetime.date,
    valid_to: datetime.date,
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if not purposes:
        errors["purposes"] = _("Choose at least one purpose the agreement covers.")
    elif set(purposes) - set(Purpose.values):
        errors["purposes"] = _("Choose the purposes from the list.")
    if not categories:
        errors["categories"] = _("Choose at least one part of the case file the agreement covers.")
    elif set(categories) - SHAREABLE:
        errors["categories"] = _(
            "Choose the parts of the case file from the list (internal staff notes are never "
            "shared)."
        )
    if valid_from and valid_to and valid_to < valid_from:
        errors["valid_to"] = _("The agreement ends before it starts: check the two dates.")
    return errors


def _store_signed_copy(agreement: Agreement, signed_copy: tuple[str, str, bytes]) -> None:
    name, content_type, data = signed_copy
    try:
        data = clean_upload(name=name, content_type=content_type, data=data)
    except ValidationError as exc:
        raise ValidationError({"signed_copy": exc.messages}) from exc
    agreement.signed_copy = data
    agreement.signed_copy_name = name[: limits.FILE_NAME]
    agreement.signed_copy_type = content_type
    agreement.signed_copy_size = len(data)


def agreement_add(
    *,
    partner: PartnerOrganisation,
    actor: Any,
    type: str,
    purposes: list[str],
    categories: list[str],
    valid_from: datetime.date,
    valid_to: datetime.date,
    signed_copy: tuple[str, str, bytes],
    review_on: datetime.date | None = None,
) -> Agreement:
    """Record a network agreement with its signed copy (``(name, content type, bytes)``),
    checked like every upload and kept encrypted."""
    _require_keeper(actor)
    errors = _check_terms(
        purposes=purposes, categories=categories, valid_from=valid_from, valid_to=valid_to
    )
    if errors:
        raise ValidationError(errors)
    agreement = Agreement(
        partner=partner,
        type=type,
        purposes=[p for p in Purpose.values if p in purposes],
        categories=sorted(set(categories)),
        valid_from=valid_from,
        valid_to=valid_to,
        review_on=review_on,
        recorded_by=actor,
    )
    _store_signed_copy(agreement, signed_copy)
    with transaction.atomic():
        agreement.full_clean(exclude=["signed_copy"])
        agreement.save()
    return agreement


# What a referral went under: once one has, these terms are the record of what allowed it, and
# a change is a new agreement (``agreement_add``). The review date and the signed copy may
# still change.
TERMS_FIXED_BY_REFERRALS = ("purposes", "categories", "valid_from", "valid_to")
FIXED_BY_REFERRALS = _(
    "A referral has gone under this agreement, so what it covers and its dates stay as they "
    "were. To change them, renew it: record a new agreement."
)


def agreement_has_referrals(agreement: Agreement) -> bool:
    return Referral.objects.filter(agreement_id=agreement.pk).exists()


def _refuse_changing_what_referrals_went_under(agreement: Agreement, terms: dict) -> None:
    changed = []
    for name in TERMS_FIXED_BY_REFERRALS:
        if name not in terms:
            continue
        old, new = getattr(agreement, name), terms[name]
        if name in ("purposes", "categories"):
            old, new = set(old or []), set(new or [])
        if old != new:
            changed.append(name)
    if changed and agreement_has_referrals(agreement):
        raise ValidationError(dict.fromkeys(changed, FIXED_BY_REFERRALS))


def agreement_update(
    *,
    agreement: Agreement,
    actor: Any,
    signed_copy: tuple[str, str, bytes] | None = None,
    **terms: Any,
) -> Agreement:
    """Correct an agreement's dates or terms (the ones given), or replace its signed copy
    (a renewed agreement is a new one: ``agreement_add``). Once a referral has gone under it,
    its purposes, categories and dates are refused (``TERMS_FIXED_BY_REFERRALS``)."""
    _require_keeper(actor)
    unknown = set(terms) - set(AGREEMENT_TERMS)
    if unknown:
        raise TypeError(f"not an agreement term: {sorted(unknown)}")
    with transaction.atomic():
        agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
        _refuse_changing_what_referrals_went_under(agreement, terms)
        merged = {name: getattr(agreement, name) for name in AGREEMENT_TERMS} | terms
        errors = _check_terms(
            purposes=merged["purposes"],
            categories=merged["categories"],
            valid_from=merged["valid_from"],
            valid_to=merged["valid_to"],
        )
        if errors:
            raise ValidationError(errors)
        if "purposes" in terms:
            terms["purposes"] = [p for p in Purpose.values if p in terms["purposes"]]
        if "categories" in terms:
            terms["categories"] = sorted(set(terms["categories"]))
        for name, value in terms.items():
            setattr(agreement, name, value)
        fields = set(terms)
        if signed_copy is not None:
            _store_signed_copy(agreement, signed_copy)
            fields |= {"signed_copy", "signed_copy_name", "signed_copy_type", "signed_copy_size"}
        if not fields:
            return agreement
        agreement.full_clean(exclude=["signed_copy"])
        agreement.save(update_fields=sorted(fields))
    return agreement


def agreement_copy_open(*, agreement: Agreement, actor: Any) -> bytes:
    """The signed copy, for a download: the access entry is written with it."""
    record_access(actor=actor, obj=agreement, kind=AccessKind.DOWNLOAD)
    return agreement.signed_copy


def meeting_add(
    *,
    partner: PartnerOrganisation,
    actor: Any,
    held_on: datetime.date,
    attendees: str,
    notes: str = "",
    next_on: datetime.date | None = None,
) -> Meeting:
    _require_keeper(actor)
    errors: dict[str, Any] = {}
    if held_on > timezone.localdate():
        errors["held_on"] = _(
            "This date is in the future. Record a meeting once it has taken place; the date "
            "of the next one goes in 'next meeting'."
        )
    if next_on is not None and next_on <= held_on:
        errors["next_on"] = _("The next meeting must come after this one.")
    if not _tidy(attendees):
        errors["attendees"] = _("Say who attended.")
    if errors:
        raise ValidationError(errors)
    meeting = Meeting(
        partner=partner,
        held_on=held_on,
        attendees=_tidy(attendees),
        notes=_tidy(notes),
        next_on=next_on,
        recorded_by=actor,
    )
    with transaction.atomic():
        meeting.full_clean()
        meeting.save()
    return meeting


def partner_user_create(*, partner: PartnerOrganisation, actor: Any, name: str, email: str) -> User:
    """An account for a member of ``partner``: the partner role, the membership, no team
    (so no case), and no password. The person chooses their own with the password-reset
    e-mail, so that nobody else ever knows it; a second factor is asked at their first
    sign-in where the settings require one. Signing in is by e-mail, kept as the username."""
    if not has_role(actor, Role.ADMINISTRATOR):
        raise PermissionDenied(_("Only an administrator may add a partner's users."))
    email = email.strip()
    name = name.strip()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("There is already an account with this e-mail address.")})
    sync_roles()
    with transaction.atomic():
        user = User(username=email, email=email, first_name=name)
        user.set_unusable_password()
        user.full_clean(validate_constraints=False)
        user.save()
        user.groups.add(Group.objects.get(name=Role.PARTNER))
        PartnerMembership.objects.create(user=user, partner=partner)
    return user


def partner_user_deactivate(*, partner: PartnerOrganisation, actor: Any, user: Any) -> Any:
    """End a partner user's access at once (they can no longer sign in). The account is kept,
    never deleted: audit entries keep pointing at the person who acted."""
    if not has_role(actor, Role.ADMINISTRATOR):
        raise PermissionDenied(_("Only an administrator may end a partner user's access."))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk, partner_membership__partner=partner)
        if user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
    return user


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


def _send_locked(referral: Referral, actor: Any, *, preview: str = "") -> Referral:
    """Send ``referral`` (already claimed or locked in the caller's transaction)."""
    # The case's consents to share are locked before they are checked: a withdrawal being
    # saved now either commits first (and the check sees it) or waits for this send to commit
    # (and then revokes the referral it finds under the consent). Never a send under a
    # consent withdrawn between the check and the save.
    list(
        SharingConsent.objects.select_for_update()
        .filter(case_id=referral.case_id)
        .values_list("pk", flat=True)
    )
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
    if preview and digest(referral.package) != preview:
        # The file changed between the preview and the click (a colleague's note on needs,
        # a new phone number): nothing goes that the sender has not seen.
        raise ValidationError(
            _(
                "The case file changed since you looked at the package, so nothing was sent. "
                "Check the package below as it is now, then send again."
            )
        )
    referral.save()
    record_access(
        actor=actor, obj=referral, kind=AccessKind.EXPORT, detail=_send_detail(referral, decision)
    )
    # "A referral is waiting for you", with no case content, once this has committed.
    notifications.referral_waiting(referral)
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


def referral_send(*, referral: Referral, actor: Any, version: int, preview: str = "") -> Referral:
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
            return _send_locked(current, actor, preview=preview)
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
    current.override_requested_by = actor
    current.override_requested_at = timezone.now()
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
    *, referral: Referral, actor: Any, approve: bool, version: int, note: str = ""
) -> Referral:
    """A supervisor other than the referral's author decides on its override.

    Approved: the decision is recorded and the referral is sent at once, through the same
    send as any other (``sharing_check`` then accepts the override in place of a consent, and
    still requires the agreement; if that is missing, nothing is recorded and SharingRefused
    says so). Refused: back to draft, with the decision and its note for the caseworker.
    """
    require_supervisor_other_than(actor, referral.created_by_id, referral.override_requested_by_id)
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("Say why, so that the caseworker knows what to do.")})
    try:
        with transaction.atomic():
            # Decided on the request as read at ``version``: a request made again after a
            # refusal (perhaps for another partner or more of the file) is a new version.
            current = claim(
                Referral.objects.select_related("case", "partner"), pk=referral.pk, version=version
            )
            require_supervisor_other_than(
                actor, current.created_by_id, current.override_requested_by_id
            )
            if current.status != Referral.Status.AWAITING_APPROVAL:
                raise ValidationError(_("This referral is not waiting for approval."))
            current.override_approved = approve
            current.override_decided_by = actor
            current.override_decided_at = timezone.now()
            current.override_decision_note = note
            validate_text(current, ["override_decision_note"])
            if not approve:
                current.status = Referral.Status.DRAFT
                current.save()
                return current
            return _send_locked(current, actor)
    except SharingRefused as refused:
        _audit_refused_send(referral, actor, refused)
        raise


# --- Referrals: the partner's answers ----------------------------------------------------------


def _answer(referral: Referral, *, actor: Any, version: int, expected: str) -> Referral:
    """Claim ``referral`` at ``version`` for an answer by ``actor``, a member of the
    organisation it went to, while it is in the ``expected`` state. Anything else fails
    closed: someone else's referral is refused as not theirs, and a referral answered (or
    revoked) since the page was read is a conflict, shown with what it is now."""
    partner = partner_of(actor)
    if partner is None or referral.partner_id != partner.pk:
        raise PermissionDenied(_("Only the organisation a referral was sent to may answer it."))
    current = claim(Referral, pk=referral.pk, version=version)
    if current.status != expected or current.partner_id != partner.pk:
        raise EditConflict(current=current)
    return current


@transaction.atomic
def referral_accept(*, referral: Referral, actor: Any, version: int) -> Referral:
    """The partner takes the referral on: it stays open to them until they record the
    outcome."""
    referral = _answer(referral, actor=actor, version=version, expected=Referral.Status.SENT)
    referral.status = Referral.Status.ACCEPTED
    referral.answered_by = actor
    referral.answered_at = timezone.now()
    referral.save(update_fields=["status", "answered_by", "answered_at"])
    return referral


@transaction.atomic
def referral_decline(*, referral: Referral, actor: Any, version: int, reason: str) -> Referral:
    """The partner cannot take the referral on, and says why (the caseworker needs it to find
    somewhere else). Their access to the package ends with it."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you cannot take this referral on.")})
    referral = _answer(referral, actor=actor, version=version, expected=Referral.Status.SENT)
    referral.status = Referral.Status.DECLINED
    referral.answered_by = actor
    referral.answered_at = timezone.now()
    referral.decline_reason = reason
    validate_text(referral, ["decline_reason"])
    referral.save(update_fields=["status", "answered_by", "answered_at", "decline_reason"])
    _drop_protected_packages(referral)
    return referral


@transaction.atomic
def referral_complete(*, referral: Referral, actor: Any, version: int, outcome: str) -> Referral:
    """The partner records what came of an accepted referral; that closes it, and their
    access to the package ends."""
    outcome = outcome.strip()
    if not outcome:
        raise ValidationError({"outcome": _("Say what came of the referral.")})
    referral = _answer(referral, actor=actor, version=version, expected=Referral.Status.ACCEPTED)
    referral.status = Referral.Status.COMPLETED
    referral.completed_at = timezone.now()
    referral.outcome = outcome
    validate_text(referral, ["outcome"])
    referral.save(update_fields=["status", "completed_at", "outcome"])
    _drop_protected_packages(referral)
    return referral


# The answers staff record for a partner without accounts, and the state each answers from.
STAFF_ANSWERS = {
    "accept": Referral.Status.SENT,
    "decline": Referral.Status.SENT,
    "complete": Referral.Status.ACCEPTED,
}


@transaction.atomic
def referral_record_answer(
    *,
    referral: Referral,
    actor: Any,
    version: int,
    answer: str,
    reason: str = "",
    outcome: str = "",
) -> Referral:
    """Record the partner's answer as they gave it to a member of staff (by telephone, e-mail
    or in person): a partner without accounts cannot answer on this system. The same answers
    from the same states as the partner's own (``accept`` or ``decline`` a sent referral,
    ``complete`` an accepted one), by staff who may change the case; the member of staff is
    who answered (``answered_by``), and the change log says so."""
    _require_case_staff(actor)
    if answer not in STAFF_ANSWERS:
        raise ValidationError({"answer": _("Choose the partner's answer from the list.")})
    reason, outcome = (reason or "").strip(), (outcome or "").strip()
    if answer == "decline" and not reason:
        raise ValidationError({"reason": _("Say why the partner cannot take it on.")})
    if answer == "complete" and not outcome:
        raise ValidationError({"outcome": _("Say what came of the referral.")})
    allowed = Referral.objects.visible_to(actor).filter(pk=referral.pk).values("can_write").first()
    if not allowed or not allowed["can_write"]:
        raise PermissionDenied(_("Only staff who may change the case record the partner's answer."))
    current = claim(Referral, pk=referral.pk, version=version)
    if current.status != STAFF_ANSWERS[answer]:
        raise EditConflict(current=current)
    now = timezone.now()
    if answer == "complete":
        # Who accepted it (and when) stays as it was; the change log names who recorded this.
        current.status = Referral.Status.COMPLETED
        current.completed_at = now
        current.outcome = outcome
        validate_text(current, ["outcome"])
        current.save(update_fields=["status", "completed_at", "outcome"])
    else:
        current.answered_by = actor
        current.answered_at = now
        fields = ["status", "answered_by", "answered_at"]
        if answer == "accept":
            current.status = Referral.Status.ACCEPTED
        else:
            current.status = Referral.Status.DECLINED
            current.decline_reason = reason
            validate_text(current, ["decline_reason"])
            fields.append("decline_reason")
        current.save(update_fields=fields)
    if not current.is_open:
        _drop_protected_packages(current)
    return current


def referral_package_viewed(*, referral: Referral, actor: Any) -> None:
    """A partner user opened the package: the access entry of what left the service."""
    record_access(actor=actor, obj=referral, kind=AccessKind.VIEW, detail={"as": "partner"})


# --- The package as a protected PDF, for partners without accounts ----------------------------

# Easy to read aloud and to type: the passphrase is given over the telephone or in person.
_WORDS = (
    "acorn amber anchor apple arrow autumn badger bamboo basket beacon berry birch blossom "
    "breeze bridge bronze button cabin camel candle canyon carpet castle cedar cherry cider "
    "clover cobalt comet copper coral cotton crystal daisy delta desert dolphin dragon eagle "
    "ember falcon feather fern fiddle forest fossil garden ginger glacier granite harbor "
    "hazel heron honey island ivory jasmine jungle kettle kiwi ladder lagoon lantern lemon "
    "lilac linen lotus maple marble meadow melon meteor mint mirror monsoon mosaic nectar "
    "needle nutmeg oasis ocean olive orbit orchid otter paddle panda pebble pepper piano "
    "pillow planet plum pocket poppy puzzle quartz quill rabbit raven ribbon river rocket "
    "saddle salmon satin scarf shadow silver sketch spruce squirrel summit sunset thistle "
    "thunder tiger timber tulip tunnel velvet violet walnut willow window winter yogurt zebra"
)
PASSPHRASE_WORDS = tuple(_WORDS.split())
PASSPHRASE_LENGTH = 8


def new_passphrase() -> str:
    """Eight words from a list of 128 (56 bits): the file may travel by e-mail and be
    attacked offline, so the passphrase must hold against guessing for years, and still be
    read aloud without a mistake. Generated by ``secrets``, never stored."""
    return "-".join(secrets.choice(PASSPHRASE_WORDS) for _ in range(PASSPHRASE_LENGTH))


def protected_package_create(*, referral: Referral, actor: Any) -> tuple[ProtectedPackage, str]:
    """The package as it was sent, as a PDF encrypted with a new passphrase (AES-256), kept
    encrypted for its requester to download for ``PROTECTED_PACKAGE_HOURS``. Returns it and
    the passphrase, which is shown once and stored nowhere. Only while the referral is open."""
    if not referral.is_open:
        raise ValidationError(_("Only a referral that is sent or accepted can be handed over."))
    # Handing the file over is when the information leaves: the consent (or the approved
    # override), the agreement and the partner must still hold today, as at sending.
    decision = sharing_check(
        case=referral.case,
        partner=referral.partner,
        purpose=referral.purpose,
        categories=referral.categories,
        referral=referral,
    )
    if not decision.allowed:
        record_access(
            actor=actor,
            obj=referral,
            kind=AccessKind.EXPORT_REFUSED,
            detail={"as": "pdf", "missing": len(decision.missing)},
        )
        raise SharingRefused(decision)
    passphrase = new_passphrase()
    content = pdf.render_pdf(
        "pdf/referral_package.html",
        # The package is the HTML our autoescaping templates rendered when it was sent
        # (every value of the case file escaped then): it goes into the PDF as it was sent.
        {"referral": referral, "package": mark_safe(referral.package)},
        title=str(_("Referral")),
        password=passphrase,
    )
    now = timezone.now()
    with transaction.atomic():
        ProtectedPackage.objects.filter(expires_at__lte=now).delete()
        package = ProtectedPackage.objects.create(
            referral=referral,
            requested_by=actor,
            pdf=content,
            size=len(content),
            created_at=now,
            expires_at=now + datetime.timedelta(hours=settings.PROTECTED_PACKAGE_HOURS),
        )
        record_access(actor=actor, obj=referral, kind=AccessKind.EXPORT, detail={"as": "pdf"})
    return package, passphrase


def protected_packages_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete every protected PDF whose time has run out (``purge_protected_packages``, daily):
    none waits encrypted for a download nobody may make. Returns how many went."""
    with transaction.atomic():
        deleted, _by_model = ProtectedPackage.objects.filter(
            expires_at__lte=now or timezone.now()
        ).delete()
    return deleted


def protected_package_downloaded(*, package: ProtectedPackage, actor: Any) -> None:
    record_access(
        actor=actor,
        obj=package.referral,
        kind=AccessKind.DOWNLOAD,
        detail={"protected_package": str(package.pk)},
    )
