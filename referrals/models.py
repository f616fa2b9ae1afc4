"""The referral network: partner organisations, the agreements that let information go to
them, the meetings that keep the relation alive, the consents to share, and the referrals.

Who sees what (the one way in):

- the directory (partners, agreements, meetings) is read by staff and kept by supervisors and
  administrators; a partner user sees none of it;
- a sharing consent follows its case (``CaseChildQuerySet``);
- a referral is seen by the staff who see its case, and by the members of the organisation it
  went to, only while it is open (sent or accepted), and as its package only.

Whether a package may go is decided by ``referrals.services.sharing_check``, never here and
never in a template.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseChildQuerySet, ConfidentialityNotice, Consent
from victimsupport import limits
from victimsupport.access import CASE_ROLES, Role, roles_of
from victimsupport.casefile import Category
from victimsupport.concurrency import Versioned
from victimsupport.crypto.fields import (
    EncryptedBinaryField,
    EncryptedCharField,
    EncryptedTextField,
)

# --- Vocabularies ------------------------------------------------------------------------------


class OrganisationKind(models.TextChoices):
    POLICE = "police", _("Police")
    HEALTH = "health", _("Health")
    HOUSING = "housing", _("Housing")
    LEGAL_AID = "legal_aid", _("Legal aid")
    REFUGE = "refuge", _("Refuge")
    CHILDREN = "children", _("Children's services")
    COUNSELLING = "counselling", _("Counselling")
    OTHER = "other", _("Other")


class Purpose(models.TextChoices):
    """What information may go to a partner for: one of these, never free text, so that a
    consent and an agreement can be checked against a referral."""

    SPECIALIST_SUPPORT = "specialist_support", _("Specialist support for the person")
    SAFETY = "safety", _("Safety planning and protection")
    HOUSING = "housing", _("Safe housing or a refuge place")
    LEGAL = "legal", _("Legal advice or representation")
    HEALTH = "health", _("Health care")
    CHILDREN = "children", _("The safety and care of children")
    JUSTICE = "justice", _("Reporting a crime and the justice process")


class Channel(models.TextChoices):
    """How a partner prefers to receive referrals."""

    ACCOUNTS = "accounts", _("Their own accounts on this system")
    PROTECTED_PDF = "protected_pdf", _("A password-protected PDF")
    SECURE_EMAIL = "secure_email", _("Secure e-mail")
    PHONE = "phone", _("Telephone")
    IN_PERSON = "in_person", _("In person")


# The categories of the case-file projection a package or a consent may name. Internal staff
# notes never leave the service.
SHAREABLE_CATEGORIES = [c for c in Category.choices if c[0] != Category.INTERNAL]
SHAREABLE = frozenset(value for value, _label in SHAREABLE_CATEGORIES)


def category_labels(values: list[str]) -> list[Any]:
    labels = dict(Category.choices)
    return [labels.get(v, v) for v in values]


# --- The directory -----------------------------------------------------------------------------

# The staff roles that read the directory; supervisors and administrators keep it.
DIRECTORY_READERS = frozenset(
    {
        Role.CASEWORKER,
        Role.SUPERVISOR,
        Role.ADMINISTRATOR,
        Role.DATA_PROTECTION_OFFICER,
        Role.AUDITOR,
    }
)
DIRECTORY_KEEPERS = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})


class DirectoryQuerySet(models.QuerySet):
    """Partners and what hangs off them: read by staff, kept by supervisors and
    administrators, never seen by a partner user (they see their referrals' packages only)."""

    def visible_to(self, user: Any) -> DirectoryQuerySet:
        roles = roles_of(user)
        if not roles & DIRECTORY_READERS:
            return self.none()
        return self.annotate(can_write=Value(bool(roles & DIRECTORY_KEEPERS)))


class PartnerOrganisation(models.Model):
    """An organisation the service refers people to.

    Its name is the organisation's public name, kept in plain text like a team's (it names no
    person, and the directory is sorted and matched by it). Everything else that is free text
    (contacts above all) is encrypted.
    """

    name = models.CharField(_("name"), max_length=limits.LONG_NAME, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    services = EncryptedTextField(_("services offered"), max_length=limits.DESCRIPTION, blank=True)
    eligibility = EncryptedTextField(_("who they take"), max_length=limits.DESCRIPTION, blank=True)
    areas = EncryptedTextField(_("areas covered"), max_length=limits.DESCRIPTION, blank=True)
    # Language codes or names, as the organisation gives them.
    languages = EncryptedCharField(_("languages"), max_length=limits.SHORT_TEXT, blank=True)
    contacts = EncryptedTextField(
        _("contacts"),
        max_length=limits.DESCRIPTION,
        blank=True,
        help_text=_("Names, telephone numbers and addresses of the people to speak to."),
    )
    # Where "a referral is waiting" notices go when the partner has no accounts (no content).
    notify_email = EncryptedCharField(_("address for notices"), max_length=limits.EMAIL, blank=True)
    channel = models.CharField(
        _("preferred secure channel"), max_length=20, choices=Channel.choices
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = DirectoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("referrals:partner", args=[self.pk])


class PartnerMembership(models.Model):
    """A partner user's organisation: one each. The user also holds the partner role."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="partner_membership",
    )
    partner = models.ForeignKey(
        PartnerOrganisation,
        verbose_name=_("partner organisation"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner membership")
        verbose_name_plural = _("partner memberships")

    def __str__(self) -> str:
        return f"partner membership {self.pk}"


def partner_of(user: Any) -> PartnerOrganisation | None:
    """The organisation a partner user belongs to (None for anyone else), cached on the user."""
    if Role.PARTNER not in roles_of(user):
        return None
    if not hasattr(user, "_vs_partner"):
        membership = (
            PartnerMembership.objects.select_related("partner")
            .filter(user=user, partner__is_active=True)
            .first()
        )
        user._vs_partner = membership.partner if membership else None
    return user._vs_partner


class Agreement(models.Model):
    """A network agreement with a partner: what it lets the service send, and until when."""

    class Type(models.TextChoices):
        REFERRAL_PROTOCOL = "referral_protocol", _("Referral protocol")
        DATA_SHARING = "data_sharing", _("Data-sharing agreement")
        JOINT_CONTROLLER = "joint_controller", _("Joint controller arrangement")

    partner = models.ForeignKey(
        PartnerOrganisation,
        verbose_name=_("partner organisation"),
        on_delete=models.PROTECT,
        related_name="agreements",
    )
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    # Enum values only: Purpose and the shareable categories.
    purposes = models.JSONField(_("purposes"), default=list)
    categories = models.JSONField(_("data categories"), default=list)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    review_on = models.DateField(_("review date"), null=True, blank=True)
    signed_copy = EncryptedBinaryField(_("signed copy"), null=True, blank=True)
    signed_copy_name = EncryptedCharField(
        _("signed copy file name"), max_length=limits.FILE_NAME, blank=True
    )
    signed_copy_type = models.CharField(_("signed copy type"), max_length=100, blank=True)
    signed_copy_size = models.PositiveIntegerField(_("signed copy size"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    ITEM_CHOICES = {"purposes": Purpose.choices, "categories": SHAREABLE_CATEGORIES}

    objects = DirectoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("network agreement")
        verbose_name_plural = _("network agreements")
        ordering = ["-valid_to"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")),
                name="referrals_agreement_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"agreement {self.pk}"

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day <= self.valid_to

    def covers(self, purpose: str, categories: list[str] | set[str]) -> bool:
        return purpose in self.purposes and set(categories) <= set(self.categories)

    def purpose_labels(self) -> list[Any]:
        labels = dict(Purpose.choices)
        return [labels.get(p, p) for p in self.purposes]

    def category_labels(self) -> list[Any]:
        return category_labels(self.categories)


class Meeting(models.Model):
    """A meeting with a partner: the standard asks for them on a regular basis."""

    partner = models.ForeignKey(
        PartnerOrganisation,
        verbose_name=_("partner organisation"),
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    held_on = models.DateField(_("held on"))
    attendees = EncryptedTextField(_("who attended"), max_length=limits.DESCRIPTION)
    notes = EncryptedTextField(_("notes"), max_length=limits.NOTE, blank=True)
    next_on = models.DateField(_("next meeting"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = DirectoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner meeting")
        verbose_name_plural = _("partner meetings")
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return f"meeting {self.pk}"


# --- Consent to share --------------------------------------------------------------------------


class SharingConsentQuerySet(CaseChildQuerySet):
    def valid_on(self, day: datetime.date) -> SharingConsentQuerySet:
        return self.filter(authorises=True, withdrawn_at__isnull=True).filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=day)
        )


class SharingConsent(Versioned):
    """A person's consent to share: with whom (a partner, or any partner of a kind), for one
    purpose, which categories of their file, until when, and how it was given.

    Once given its terms are never edited (a new consent is given instead); withdrawal is one
    action. A consent carried over from the free-text days (``legacy_recipient``) whose
    recipient matched no partner exactly is kept readable and authorises nothing.
    """

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="sharing_consents"
    )
    partner = models.ForeignKey(
        PartnerOrganisation,
        verbose_name=_("partner organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents",
    )
    partner_kind = models.CharField(
        _("kind of organisation"), max_length=20, choices=OrganisationKind.choices, blank=True
    )
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices, blank=True)
    categories = models.JSONField(_("data categories"), default=list)
    notice = models.ForeignKey(
        ConfidentialityNotice,
        verbose_name=_("notice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    method = models.CharField(_("method"), max_length=10, choices=Consent.Method.choices)
    witness = EncryptedCharField(_("witness"), max_length=limits.LONG_NAME, blank=True)
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawal_note = EncryptedTextField(_("withdrawal note"), max_length=limits.REASON, blank=True)
    # Carried over from a free-text consent: what it said, kept readable.
    legacy_recipient = EncryptedCharField(
        _("recipient as recorded"), max_length=limits.LONG_NAME, blank=True
    )
    legacy_purpose = EncryptedTextField(
        _("purpose as recorded"), max_length=limits.REASON, blank=True
    )
    authorises = models.BooleanField(
        _("authorises sharing"),
        default=True,
        help_text=_("False for a consent carried over from free text that names no partner."),
    )

    ITEM_CHOICES = {"categories": SHAREABLE_CATEGORIES}

    objects = SharingConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent to share")
        verbose_name_plural = _("consents to share")
        ordering = ["-given_at"]
        constraints = [
            # A consent that authorises anything names exactly one partner or one kind, and
            # one purpose.
            models.CheckConstraint(
                condition=Q(authorises=False)
                | (
                    ~Q(purpose="")
                    & (
                        (Q(partner__isnull=False) & Q(partner_kind=""))
                        | (Q(partner__isnull=True) & ~Q(partner_kind=""))
                    )
                ),
                name="referrals_consent_names_one_recipient_and_purpose",
            )
        ]

    def __str__(self) -> str:
        return f"consent to share {self.pk}"

    def is_valid_on(self, day: datetime.date) -> bool:
        if not self.authorises or self.withdrawn_at is not None:
            return False
        return self.expires_on is None or self.expires_on >= day

    @property
    def is_valid(self) -> bool:
        return self.is_valid_on(timezone.localdate())

    def names(self, partner: PartnerOrganisation) -> bool:
        if self.partner_id is not None:
            return self.partner_id == partner.pk
        return bool(self.partner_kind) and self.partner_kind == partner.kind

    def recipient_display(self) -> Any:
        if self.partner_id is not None:
            return self.partner.name
        if self.partner_kind:
            return _("any %(kind)s partner") % {"kind": self.get_partner_kind_display()}
        return self.legacy_recipient

    def category_labels(self) -> list[Any]:
        return category_labels(self.categories)


# --- Referrals ---------------------------------------------------------------------------------


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    SOON = "soon", _("Soon")
    URGENT = "urgent", _("Urgent")


class OverrideGround(models.TextChoices):
    DANGER_TO_LIFE = "danger_to_life", _("Imminent danger to someone's life")
    LEGAL_DUTY = "legal_duty", _("A legal duty to disclose")


# The partner inbox's order: waiting for an answer first, the most urgent first; then those
# they took on. A partial index over it (open referrals only, by partner) lets any page of
# the inbox be read in order from the index, a seek from the last one shown.
INBOX_RANK = models.Case(
    models.When(status="sent", urgency=Urgency.URGENT, then=models.Value(0)),
    models.When(status="sent", urgency=Urgency.SOON, then=models.Value(1)),
    models.When(status="sent", then=models.Value(2)),
    default=models.Value(3),
    output_field=models.IntegerField(),
)


class ReferralQuerySet(CaseChildQuerySet):
    OPEN_TO_PARTNER = ("sent", "accepted")

    def visible_to(self, user: Any) -> ReferralQuerySet:
        """Staff who see the case see its referrals (and change them as they may the case).
        A partner user sees the referrals sent to their organisation while they are open,
        and may answer them; nobody else sees any."""
        roles = roles_of(user)
        if Role.PARTNER in roles:
            partner = partner_of(user)
            if partner is None:
                return self.none()
            return self.filter(partner=partner).open_to_partner().annotate(can_write=Value(True))
        if not roles & CASE_ROLES:
            return self.none()
        return super().visible_to(user)

    def visible_in_teams_of(self, user: Any) -> ReferralQuerySet:
        """Staff's referrals of their teams' cases (a partner user has no teams)."""
        roles = roles_of(user)
        if Role.PARTNER in roles or not roles & CASE_ROLES:
            return self.none()
        return super().visible_in_teams_of(user)

    def open(self) -> ReferralQuerySet:
        return self.filter(status__in=self.OPEN_TO_PARTNER)

    def open_to_partner(self) -> ReferralQuerySet:
        """Open referrals whose grounds still hold today: the partner active, the agreement
        it went under valid, and the consent it went under neither withdrawn nor expired (or
        an approved legal override in its place). Anything else fails closed: the partner can
        no longer open it, whatever its status says."""
        today = timezone.localdate()
        consent_holds = Q(
            consent__isnull=False,
            consent__authorises=True,
            consent__withdrawn_at__isnull=True,
        ) & (Q(consent__expires_on__isnull=True) | Q(consent__expires_on__gte=today))
        override_holds = Q(consent__isnull=True, override_approved=True)
        # The agreements in force are read first (one small query) and matched by id, not
        # joined: joined, the planner took a partner's referrals in agreement order (merging
        # with the few agreements, it guessed, would end early), read all 10,000 open ones and
        # sorted them (89 ms) instead of reading the inbox index's one page (0.4 ms).
        in_force = Agreement.objects.filter(valid_from__lte=today, valid_to__gte=today)
        return self.open().filter(
            consent_holds | override_holds,
            partner__is_active=True,
            agreement__in=list(in_force.values_list("pk", flat=True)),
        )


class Referral(Versioned):
    """A case referred to a partner organisation, with the package of its file that goes."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        COMPLETED = "completed", _("Completed")
        REVOKED = "revoked", _("Revoked")

    class RevokedBecause(models.TextChoices):
        CONSENT_WITHDRAWN = "consent_withdrawn", _("The person withdrew their consent")
        BY_STAFF = "by_staff", _("Withdrawn by the service")
        OVERRIDE_REFUSED = "override_refused", _("The legal override was not approved")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="referrals"
    )
    partner = models.ForeignKey(
        PartnerOrganisation,
        verbose_name=_("partner organisation"),
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    message = EncryptedTextField(_("message to the partner"), max_length=limits.DETAILS)
    # Enum values only: the shareable categories of the case file that go.
    categories = models.JSONField(_("data categories"), default=list)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    # What it went under: the consent, or the approved override; and the agreement.
    consent = models.ForeignKey(
        SharingConsent,
        verbose_name=_("consent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    override_ground = models.CharField(
        _("legal override"), max_length=20, choices=OverrideGround.choices, blank=True
    )
    override_reason = EncryptedTextField(
        _("reason for the override"), max_length=limits.REASON, blank=True
    )
    # Who asked for the override, and when: never the one who approves it.
    override_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("override asked for by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    override_requested_at = models.DateTimeField(_("override asked for at"), null=True, blank=True)
    override_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("override decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    override_decided_at = models.DateTimeField(_("override decided at"), null=True, blank=True)
    override_approved = models.BooleanField(_("override approved"), null=True, blank=True)
    override_decision_note = EncryptedTextField(
        _("override decision note"), max_length=limits.REASON, blank=True
    )
    # The package as it went: rendered once from the case-file projection when it is sent, so
    # the partner sees what was sent, not what the file says later.
    package = EncryptedTextField(_("package"), max_length=limits.PACKAGE, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decline_reason = EncryptedTextField(_("reason declined"), max_length=limits.REASON, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    outcome = EncryptedTextField(_("outcome"), max_length=limits.DETAILS, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_because = models.CharField(
        _("revoked because"), max_length=20, choices=RevokedBecause.choices, blank=True
    )
    reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True)

    ITEM_CHOICES = {"categories": SHAREABLE_CATEGORIES}

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["partner", "status", "sent_at"]),
            models.Index(fields=["status", "sent_at"]),
            models.Index(
                models.F("partner"),
                INBOX_RANK,
                models.F("sent_at"),
                models.F("id"),
                condition=models.Q(status__in=ReferralQuerySet.OPEN_TO_PARTNER),
                name="referral_inbox_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"referral {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in ReferralQuerySet.OPEN_TO_PARTNER

    def grounds_hold(self, day: datetime.date | None = None) -> bool:
        """What ``ReferralQuerySet.open_to_partner`` asks of a row, asked of this one: the
        partner active, the agreement valid, the consent holding (or an approved override)."""
        day = day or timezone.localdate()
        agreement = self.agreement
        if not self.partner.is_active or agreement is None or not agreement.is_valid_on(day):
            return False
        if self.consent_id is None:
            return self.override_approved is True
        return self.consent.is_valid_on(day)

    def category_labels(self) -> list[Any]:
        return category_labels(self.categories)


# --- The package as a protected PDF (partners without accounts) ---------------------------------


class ProtectedPackageQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ProtectedPackageQuerySet:
        """The requester's own protected packages, until they expire, while the referral is
        still open and they may still see its case."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if Role.PARTNER in roles_of(user):
            return self.none()  # a partner user reads the package in their inbox instead
        referrals = Referral.objects.visible_to(user).open()
        return self.filter(
            requested_by=user.pk, expires_at__gt=timezone.now(), referral__in=referrals
        )


class ProtectedPackage(models.Model):
    """A referral's package as a password-protected PDF (AES-256), made for one member of
    staff to hand to a partner without accounts. The passphrase is shown to them once and
    never stored; the PDF waits here, encrypted at rest, until it expires."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(
        Referral,
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="protected_packages",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    pdf = EncryptedBinaryField(_("PDF"), editable=False)
    size = models.PositiveIntegerField(_("size"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    objects = ProtectedPackageQuerySet.as_manager()

    # Downloads folders on shared computers are read by others: the name says nothing.
    FILENAME = "referral.pdf"

    class Meta:
        verbose_name = _("protected package")
        verbose_name_plural = _("protected packages")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"protected package {self.pk}"
