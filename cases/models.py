from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import ExpressionWrapper, OuterRef, Q, Subquery, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cases.levels import RiskLevel
from victimsupport import limits, pdfjobs
from victimsupport.access import CASE_ROLES, Role, roles_of
from victimsupport.concurrency import Versioned
from victimsupport.crypto.fields import (
    BlindIndexField,
    EncryptedBinaryField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
)
from victimsupport.stored_files import Refusal


class CaseQuerySet(models.QuerySet["Case"]):
    def _nothing(self) -> CaseQuerySet:
        # Annotated all the same: the rows of a case read can_write from this queryset.
        return self.none().annotate(can_write=Value(False))

    def visible_to(self, user: Any) -> CaseQuerySet:
        """The cases ``user`` may see, each annotated with ``can_write``.

        Caseworkers and supervisors only: cases of their teams and cases assigned to them,
        cases granted to them or one of their groups through an object permission, and cases
        opened by a current break-glass access (read-only, supervisors). Other roles, model
        permissions and superuser status see nothing here, whatever they were granted.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self._nothing()
        # Each way in is an uncorrelated subquery (the user's teams, grants, emergency
        # accesses): the database computes each once and looks rows up in it, instead of
        # running a subquery per case. The cheapest test comes first.
        granted = CaseUserObjectPermission.objects.filter(user=user)
        group_granted = CaseGroupObjectPermission.objects.filter(group__user=user)
        view_codes = ["view_case", "change_case"]
        roles = roles_of(user)
        if not roles & CASE_ROLES:
            # Grants never widen what a role may see: a case granted to an auditor, an
            # administrator or someone with no role opens nothing (DESIGN.md, "One way in").
            return self._nothing()
        own = Q(team__in=user.teams.all()) | Q(assigned_to=user)
        can_view = (
            own
            | Q(
                pk__in=granted.filter(permission__codename__in=view_codes).values(
                    "content_object_id"
                )
            )
            | Q(
                pk__in=group_granted.filter(permission__codename__in=view_codes).values(
                    "content_object_id"
                )
            )
        )
        can_change = (
            own
            | Q(
                pk__in=granted.filter(permission__codename="change_case").values(
                    "content_object_id"
                )
            )
            | Q(
                pk__in=group_granted.filter(permission__codename="change_case").values(
                    "content_object_id"
                )
            )
        )
        if Role.SUPERVISOR in roles:  # a grant ends when the role does
            can_view |= Q(
                pk__in=BreakGlassAccess.objects.filter(
                    user=user, expires_at__gt=timezone.now()
                ).values("case_id")
            )
        return self.filter(can_view).annotate(
            can_write=ExpressionWrapper(can_change, output_field=models.BooleanField())
        )


class CaseChildQuerySet(models.QuerySet):
    """Rows that belong to a case: seen by whoever sees the case, changed by whoever may
    change it (``can_write`` comes from the case). A model reached through another relation
    names it in ``case_path``; a model with a rule of its own overrides ``visible_to``."""

    case_path = "case"

    def visible_to(self, user: Any) -> CaseChildQuerySet:
        return self._of_cases(Case.objects.visible_to(user))

    def visible_in_teams_of(self, user: Any) -> CaseChildQuerySet:
        """What ``visible_to`` gives, of the cases of the user's teams only (the teams'
        dashboards and figures). The teams narrow the case subquery itself: narrowing the
        rows by their case's team afterwards left the database reading every case the user
        may see, across the whole organisation, to find the teams' ones."""
        return self._of_cases(Case.objects.visible_to(user).filter(team__in=user.teams.all()))

    def _of_cases(self, cases: CaseQuerySet) -> CaseChildQuerySet:
        return self.filter(**{f"{self.case_path}__in": cases.values("pk")}).annotate(
            can_write=Subquery(
                cases.filter(pk=OuterRef(self.case_path)).values("can_write")[:1],
                output_field=models.BooleanField(),
            )
        )

    def of_case(self, case: Any) -> CaseChildQuerySet:
        """The rows of the case a URL names (the case itself fetched through the one way in)."""
        return self.filter(**{self.case_path: case})


class Case(Versioned):
    """A victim's case file. The fields here carry no personal data: what names, locates or
    describes the person lives in encrypted fields of the models that hang off a case."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    RiskLevel = RiskLevel

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(verbose_name=_("reference"), max_length=20, unique=True)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="cases"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    risk_level = models.CharField(
        verbose_name=_("risk level"),
        max_length=10,
        choices=RiskLevel.choices,
        default=RiskLevel.UNKNOWN,
    )
    opened_at = models.DateTimeField(verbose_name=_("opened at"), default=timezone.now)
    closed_at = models.DateTimeField(verbose_name=_("closed at"), null=True, blank=True)
    # A positive screen without a finalised risk assessment yet.
    assessment_needed = models.BooleanField(verbose_name=_("assessment needed"), default=False)
    # When the risk must be assessed again (set by each assessment, brought forward by
    # reassessment triggers).
    review_due = models.DateField(
        verbose_name=_("review due"), null=True, blank=True, db_index=True
    )
    # Blocks every outbound contact: the person may be in danger if contacted.
    do_not_contact = models.BooleanField(verbose_name=_("do not contact"), default=False)
    intake_draft = models.OneToOneField(
        "IntakeDraft",
        verbose_name=_("intake draft"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="case",
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["team", "status", "-opened_at"]),
            # Every column visible_to() tests: counting a team's visible cases reads the index
            # alone (3.2 ms -> 1.0 ms for 5,000 cases), not each row.
            models.Index(fields=["team", "assigned_to", "id"], name="case_visibility_idx"),
            # The case lists' order (views.CASE_LIST_ORDER) under each scope's filter: any
            # page, however deep, is a seek into one of these and one page read.
            models.Index(fields=["team", "-opened_at", "id"], name="case_team_list_idx"),
            models.Index(fields=["assigned_to", "-opened_at", "id"], name="case_mine_list_idx"),
            # Reviews due, in the case list and on the dashboard: the team's own, by index. By
            # review_due alone the planner read every team's due reviews and kept its own.
            models.Index(fields=["team", "review_due"], name="case_team_review_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class CaseReferenceCounter(models.Model):
    """The last reference number issued per year (VS-2026-00042)."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class BreakGlassAccess(models.Model):
    """A supervisor's time-limited, read-only emergency access to a case outside their teams."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="break_glass"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="break_glass",
    )
    reason = EncryptedTextField(verbose_name=_("reason"), max_length=limits.REASON)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(
        verbose_name=_("expires at"),
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "case", "expires_at"])]
        verbose_name = _("break-glass access")
        verbose_name_plural = _("break-glass accesses")

    def __str__(self) -> str:
        return f"break-glass {self.pk}"

    @property
    def is_current(self) -> bool:
        return self.expires_at > timezone.now()


NEED_CHOICES = [
    ("practical", _("Practical help")),
    ("emotional", _("Emotional support")),
    ("legal", _("Legal information or advice")),
    ("health", _("Health")),
    ("housing", _("Housing or a safe place to stay")),
    ("financial", _("Money")),
    ("children", _("Children's safety or care")),
]
DATA_CATEGORY_CHOICES = [
    ("identity", _("Name and date of birth")),
    ("contact", _("Contact details")),
    ("risk", _("Risk screening and assessments")),
    ("needs", _("Needs")),
    ("notes", _("Case notes")),
]


class YesNoUnknown(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Don't know / did not say")


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")
    EMAIL = "email", _("Email")
    POST = "post", _("Post")
    IN_PERSON = "in_person", _("In person")


class ConfidentialityNotice(models.Model):
    """The organisation's confidentiality notice, one row per version. Published versions are
    never edited: a change is a new version, so an acknowledgement always points at the words
    the victim heard. The text is the organisation's, not personal data: stored in plain."""

    version = models.PositiveIntegerField(verbose_name=_("version"), unique=True)
    title = models.CharField(verbose_name=_("title"), max_length=200)
    body = models.TextField(
        verbose_name=_("body"),
        max_length=limits.NOTE,
        help_text=_("What is kept confidential, how, and when information must be passed on."),
    )
    published_at = models.DateTimeField(verbose_name=_("published at"), default=timezone.now)

    class Meta:
        verbose_name = _("confidentiality notice")
        verbose_name_plural = _("confidentiality notices")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"


class IntakeDraftQuerySet(models.QuerySet["IntakeDraft"]):
    def visible_to(self, user: Any) -> IntakeDraftQuerySet:
        """The user's own unfinished, unexpired drafts (drafts are never shared), while they
        are still a caseworker or supervisor in the team the case will belong to."""
        if not roles_of(user) & CASE_ROLES:
            return self.none()
        return self.filter(
            owner=user,
            team__in=user.teams.all(),
            finished_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).annotate(can_write=Value(True))


class IntakeDraft(models.Model):
    """An intake in progress, saved at every step so a caseworker can be interrupted. Every
    answer is in the encrypted ``data``; the draft expires and is purged."""

    class Step(models.TextChoices):
        SAFETY = "safety", _("Safety first")
        NOTICE = "notice", _("Confidentiality")
        PERSON = "person", _("Who")
        SCREENING = "screening", _("Risk screening")
        NEEDS = "needs", _("Needs")
        CONSENT = "consent", _("Consent")
        REVIEW = "review", _("Check and finish")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="intake_drafts",
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+"
    )
    step = models.CharField(
        verbose_name=_("step"), max_length=10, choices=Step.choices, default=Step.SAFETY
    )
    data = EncryptedJSONField(verbose_name=_("data"), default=dict)
    notice = models.ForeignKey(
        ConfidentialityNotice,
        verbose_name=_("notice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notice_acknowledged_at = models.DateTimeField(
        verbose_name=_("notice acknowledged at"), null=True, blank=True
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), default=timezone.now)
    expires_at = models.DateTimeField(
        verbose_name=_("expires at"),
    )
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)

    objects = IntakeDraftQuerySet.as_manager()

    class Meta:
        verbose_name = _("intake draft")
        verbose_name_plural = _("intake drafts")
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["owner", "finished_at", "expires_at"])]

    def __str__(self) -> str:
        return f"intake draft {self.pk}"


def kept_address(address: str, *, withheld: bool) -> str:
    """Withheld means no address kept: not in the draft, the record or an edit of it. The one
    statement of the rule, for every path that writes a victim's address."""
    return "" if withheld else address


# What a free-text "language" says, in the words people write at intake.
_LANGUAGE_WORDS = {
    "en-gb": {"en", "en-gb", "english", "anglais", "englisch", "engels"},
    "fr": {"fr", "french", "français", "francais", "französisch", "frans", "francés"},
}


def language_code_from_text(text: str) -> str:
    """The supported language code that ``text`` names ("French", "fr"), or ""."""
    word = (text or "").strip().casefold()
    return next((code for code, words in _LANGUAGE_WORDS.items() if word in words), "")


def document_language_choices() -> list[tuple[str, Any]]:
    """The choice of language for what a victim is given: each supported language, named in
    the language of the page."""
    names = {"en-gb": _("English"), "fr": _("French")}
    return [("", _("As their language above, else the language of this page"))] + [
        (code, names.get(code, name)) for code, name in settings.LANGUAGES
    ]


class Victim(Versioned):
    """The person a case is about. Every field that names, locates or contacts them is
    encrypted; blind indexes allow the duplicate check by exact match only."""

    # The details the intake takes and the details form edits: the code word comes from the
    # intake's safety step, every other one from its person step.
    DETAILS = [
        "given_name",
        "family_name",
        "preferred_name",
        "date_of_birth",
        "phone",
        "email",
        "address",
        "address_withheld",
        "language",
        "document_language",
        "interpreter_needed",
        "dependants",
        "code_word",
    ]
    SAFETY_DETAILS = ["code_word"]

    case = models.OneToOneField(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="victim"
    )
    given_name = EncryptedCharField(_("given name"), max_length=limits.NAME)
    family_name = EncryptedCharField(_("family name"), max_length=limits.NAME, blank=True)
    preferred_name = EncryptedCharField(
        _("alias or preferred name"),
        max_length=limits.NAME,
        blank=True,
        help_text=_("Shown in lists."),
    )
    date_of_birth = EncryptedDateField(_("date of birth"), null=True, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=limits.PHONE, blank=True)
    email = EncryptedCharField(_("email"), max_length=limits.EMAIL, blank=True)
    address = EncryptedTextField(_("address"), max_length=limits.ADDRESS, blank=True)
    address_withheld = models.BooleanField(_("address withheld"), default=False)
    language = EncryptedCharField(_("language"), max_length=limits.LANGUAGE, blank=True)
    # One of settings.LANGUAGES (checked by the forms), or blank: then read from ``language``
    # when it names a supported language. Encrypted like ``language``: the language a person
    # speaks can tell who they are.
    document_language = EncryptedCharField(
        _("language for what we give them"), max_length=10, blank=True
    )
    interpreter_needed = models.BooleanField(_("interpreter needed"), default=False)
    dependants = EncryptedTextField(_("dependants"), max_length=limits.DETAILS, blank=True)
    code_word = EncryptedCharField(_("code word"), max_length=limits.CODE_WORD, blank=True)
    name_dob_index = BlindIndexField(
        source=("given_name", "family_name", "date_of_birth"), normaliser="name"
    )
    name_index = BlindIndexField(source="full_name", normaliser="name")
    phone_index = BlindIndexField(source="phone", normaliser="phone")
    email_index = BlindIndexField(source="email", normaliser="email")

    class Meta:
        verbose_name = _("victim")
        verbose_name_plural = _("victims")

    def __str__(self) -> str:
        return f"victim of case {self.case_id}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name or ''} {self.family_name or ''}".strip()

    @property
    def display_name(self) -> str:
        return self.preferred_name or " ".join(filter(None, [self.given_name, self.family_name]))

    @property
    def language_code(self) -> str:
        """The supported language to give them documents in, or "" when none is known."""
        return self.document_language or language_code_from_text(self.language)

    @property
    def document_language_display(self) -> Any:
        """The language of what they are given, in words, and whether it was chosen or worked
        out from the language they speak; None when neither says."""
        names = dict(document_language_choices())
        if self.document_language:
            return names.get(self.document_language, self.document_language)
        guessed = language_code_from_text(self.language)
        if guessed:
            return _("%(language)s (from the language they speak)") % {
                "language": names.get(guessed, guessed)
            }
        return None


class ThirdParty(models.Model):
    """Someone else in the story: the person feared, a child, a referrer. Kept apart so that a
    copy of the file given to the victim can leave them out."""

    class Role(models.TextChoices):
        FEARED = "feared", _("Person they fear")
        CHILD = "child", _("Child or dependant")
        REFERRER = "referrer", _("Referrer")
        OTHER = "other", _("Other")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="third_parties"
    )
    role = models.CharField(
        verbose_name=_("role"), max_length=10, choices=Role.choices, default=Role.FEARED
    )
    name = EncryptedCharField(verbose_name=_("name"), max_length=limits.LONG_NAME, blank=True)
    relationship = EncryptedCharField(
        verbose_name=_("relationship"), max_length=limits.NAME, blank=True
    )
    details = EncryptedTextField(verbose_name=_("details"), max_length=limits.DETAILS, blank=True)
    # Shares its key with the name of whoever asks the data-protection officer for a copy, so
    # that a request by the person feared is recognised without reading a name.
    name_index = BlindIndexField(
        source="name", normaliser="name", column_key="cases.thirdparty.name"
    )

    class Meta:
        verbose_name = _("third party")
        verbose_name_plural = _("third parties")

    def __str__(self) -> str:
        return f"third party {self.pk}"


class ContactPreference(models.Model):
    """Whether, when and how it is safe to contact the victim by one method."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="contact_preferences"
    )
    method = models.CharField(
        verbose_name=_("method"), max_length=10, choices=ContactMethod.choices
    )
    is_safe = models.BooleanField(verbose_name=_("is safe"), default=False)
    safe_times = EncryptedCharField(
        verbose_name=_("safe times"), max_length=limits.SHORT_TEXT, blank=True
    )
    instructions = EncryptedTextField(
        verbose_name=_("instructions"), max_length=limits.REASON, blank=True
    )

    class Meta:
        verbose_name = _("contact preference")
        verbose_name_plural = _("contact preferences")
        constraints = [
            models.UniqueConstraint(fields=["case", "method"], name="one_preference_per_method")
        ]

    def __str__(self) -> str:
        return f"{self.method} preference for case {self.case_id}"


class NoticeAcknowledgement(models.Model):
    class Method(models.TextChoices):
        VERBAL = "verbal", _("Read aloud and acknowledged verbally")
        WRITTEN = "written", _("Read and signed")
        ELECTRONIC = "electronic", _("Read and acknowledged electronically")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="acknowledgements"
    )
    notice = models.ForeignKey(
        ConfidentialityNotice, verbose_name=_("notice"), on_delete=models.PROTECT
    )
    method = models.CharField(verbose_name=_("method"), max_length=12, choices=Method.choices)
    acknowledged_at = models.DateTimeField(
        verbose_name=_("acknowledged at"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("notice acknowledgement")
        verbose_name_plural = _("notice acknowledgements")

    def __str__(self) -> str:
        return f"acknowledgement {self.pk}"


class RiskScreen(models.Model):
    """The standard's three screening questions and the victim's own view of their risk."""

    class VictimView(models.TextChoices):
        LOW = "low", _("Not very at risk")
        MEDIUM = "medium", _("Somewhat at risk")
        HIGH = "high", _("Very at risk")
        UNSURE = "unsure", _("Not sure / did not say")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="screens"
    )
    ongoing_threat = models.CharField(
        verbose_name=_("ongoing threat"), max_length=7, choices=YesNoUnknown.choices
    )
    ongoing_victimisation = models.CharField(
        verbose_name=_("ongoing victimisation"), max_length=7, choices=YesNoUnknown.choices
    )
    fearful = models.CharField(
        verbose_name=_("fearful"), max_length=7, choices=YesNoUnknown.choices
    )
    victim_view = models.CharField(
        verbose_name=_("victim view"), max_length=7, choices=VictimView.choices
    )
    victim_words = EncryptedTextField(
        verbose_name=_("victim words"), max_length=limits.DETAILS, blank=True
    )
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("screened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    screened_at = models.DateTimeField(verbose_name=_("screened at"), default=timezone.now)

    class Meta:
        verbose_name = _("risk screen")
        verbose_name_plural = _("risk screens")
        ordering = ["-screened_at"]

    def __str__(self) -> str:
        return f"risk screen {self.pk}"

    @property
    def is_positive(self) -> bool:
        answers = [self.ongoing_threat, self.ongoing_victimisation, self.fearful]
        return YesNoUnknown.YES in answers or self.victim_view == self.VictimView.HIGH


class NeedsRecord(models.Model):
    class CrimeReported(models.TextChoices):
        YES = "yes", _("Yes, reported to the police")
        NO = "no", _("No (support does not depend on it)")
        PLANNING = "planning", _("Not yet, thinking about it")
        UNSAID = "unsaid", _("Prefers not to say")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="needs"
    )
    # Enum values only, see NEED_CHOICES.
    categories = models.JSONField(verbose_name=_("categories"), default=list)
    details = EncryptedTextField(verbose_name=_("details"), max_length=limits.DETAILS, blank=True)
    crime_reported = models.CharField(
        verbose_name=_("crime reported"), max_length=8, choices=CrimeReported.choices
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("needs record")
        verbose_name_plural = _("needs records")

    # The labels of the values a list field holds, for the case history.
    ITEM_CHOICES = {"categories": NEED_CHOICES}

    def __str__(self) -> str:
        return f"needs {self.pk}"

    @property
    def category_labels(self) -> list[str]:
        labels = dict(NEED_CHOICES)
        return [labels.get(c, c) for c in self.categories]


class Consent(Versioned):
    """A demonstrable consent (GDPR art. 7): who, for what, to whom, how, and its withdrawal."""

    class Kind(models.TextChoices):
        PROCESSING = "processing", _("Keeping and using their information")
        SHARING = "sharing", _("Sharing with another organisation")

    class Method(models.TextChoices):
        VERBAL = "verbal", _("Verbal")
        WRITTEN = "written", _("Written")
        ELECTRONIC = "electronic", _("Electronic")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="consents"
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=10, choices=Kind.choices)
    purpose = EncryptedTextField(verbose_name=_("purpose"), max_length=limits.REASON)
    # Enum values only, see DATA_CATEGORY_CHOICES.
    data_categories = models.JSONField(verbose_name=_("data categories"), default=list)
    recipient = EncryptedCharField(
        verbose_name=_("recipient"), max_length=limits.LONG_NAME, blank=True
    )
    notice = models.ForeignKey(
        ConfidentialityNotice, verbose_name=_("notice"), on_delete=models.PROTECT, null=True
    )
    method = models.CharField(verbose_name=_("method"), max_length=10, choices=Method.choices)
    witness = EncryptedCharField(verbose_name=_("witness"), max_length=limits.LONG_NAME, blank=True)
    given_at = models.DateTimeField(verbose_name=_("given at"), default=timezone.now)
    expires_on = models.DateField(verbose_name=_("expires on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(verbose_name=_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawal_note = EncryptedTextField(
        verbose_name=_("withdrawal note"), max_length=limits.REASON, blank=True
    )

    # The labels of the values a list field holds, for the case history.
    ITEM_CHOICES = {"data_categories": DATA_CATEGORY_CHOICES}

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return f"consent {self.pk}"

    def clean(self) -> None:
        # Sharing is only ever with a named organisation: a consent to share "with anyone"
        # could not be checked against a referral.
        if self.kind == self.Kind.SHARING and not (self.recipient or "").strip():
            raise ValidationError(
                {"recipient": _("Name the organisation the information may go to.")}
            )

    @property
    def is_valid(self) -> bool:
        if self.withdrawn_at is not None:
            return False
        return self.expires_on is None or self.expires_on >= timezone.localdate()


class Note(models.Model):
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="notes"
    )
    body = EncryptedTextField(verbose_name=_("body"), max_length=limits.NOTE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"note {self.pk}"


class ContactLog(models.Model):
    """A contact with the victim. ``method_was_safe`` keeps what the preferences said at the
    time, so a later change does not rewrite history."""

    class Direction(models.TextChoices):
        OUTBOUND = "out", _("We contacted them")
        INBOUND = "in", _("They contacted us")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="contacts"
    )
    method = models.CharField(
        verbose_name=_("method"), max_length=10, choices=ContactMethod.choices
    )
    direction = models.CharField(
        verbose_name=_("direction"), max_length=3, choices=Direction.choices
    )
    summary = EncryptedTextField(verbose_name=_("summary"), max_length=limits.NOTE)
    method_was_safe = models.BooleanField(
        verbose_name=_("method was safe"),
    )
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("contact log")
        verbose_name_plural = _("contact logs")
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"contact {self.pk}"


class StatusChange(models.Model):
    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        ASSIGNED = "assigned", _("Assigned")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="status_changes"
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=10, choices=Kind.choices)
    reason = EncryptedTextField(verbose_name=_("reason"), max_length=limits.REASON, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(verbose_name=_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"status change {self.pk}"


class Document(models.Model):
    """An uploaded file: contents encrypted in the database (no local disk, one backup).
    Images have their metadata (EXIF, GPS) stripped before they are stored."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="documents"
    )
    filename = EncryptedCharField(verbose_name=_("filename"), max_length=limits.FILE_NAME)
    description = EncryptedTextField(
        verbose_name=_("description"), max_length=limits.DESCRIPTION, blank=True
    )
    content_type = models.CharField(verbose_name=_("content type"), max_length=100)
    size = models.PositiveIntegerField(
        verbose_name=_("size"),
    )
    content = EncryptedBinaryField(
        verbose_name=_("content"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(verbose_name=_("uploaded at"), default=timezone.now)
    # Set by ``manage.py recheck_files --quarantine`` when a file stored before a check existed
    # fails it now: the download is refused with the reason, the row and its history are kept.
    quarantined_at = models.DateTimeField(verbose_name=_("quarantined at"), null=True, blank=True)
    quarantine_reason = models.CharField(
        verbose_name=_("quarantine reason"), max_length=32, choices=Refusal.choices, blank=True
    )

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"document {self.pk}"


class ExportJobQuerySet(CaseChildQuerySet, pdfjobs.DocumentJobQuerySet):
    def visible_to(self, user: Any) -> ExportJobQuerySet:
        """The requester's own unexpired jobs, while they may still see the case."""
        # CaseChildQuerySet's rule (the case is visible), then the jobs' own (requester only).
        return super().visible_to(user).requested_by_user(user)


class ExportJob(pdfjobs.DocumentJob):
    """A case-file PDF produced by the background worker for one member of staff
    (``victimsupport.pdfjobs``): only the requester may download it, and only while they may
    still see the case; it is purged at ``expires_at`` (``manage.py purge_exports``).
    """

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="export_jobs"
    )

    objects = ExportJobQuerySet.as_manager()

    FILENAME = "case-file.pdf"
    STAGE_LABELS = {pdfjobs.JobStage.GATHERING: _("Gathering the case file")}
    FAILURE_MESSAGES = {pdfjobs.JobFailure.NO_ACCESS: _("You can no longer open this case file.")}

    class Meta(pdfjobs.DocumentJob.Meta):
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        indexes = [models.Index(fields=["requested_by", "case", "status"])]

    def __str__(self) -> str:
        return f"export job {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("cases:export_status", args=[self.case_id, self.pk])

    def subject(self) -> Case | None:
        return Case.objects.visible_to(self.requested_by).filter(pk=self.case_id).first()

    def get_download_url(self) -> str:
        return reverse("cases:export_download", args=[self.case_id, self.pk])

    def get_retry_url(self) -> str:
        return reverse("cases:export", args=[self.case_id])


class DuplicateMatchQuerySet(models.QuerySet["DuplicateMatch"]):
    def visible_to(self, user: Any) -> DuplicateMatchQuerySet:
        """Matches a supervisor reconciles: those against a case of one of their teams. The
        team that took the new intake never sees them (that would be the oracle again)."""
        if Role.SUPERVISOR not in roles_of(user):
            return self.none()
        # Those who see a match are those who resolve it.
        return self.filter(existing_case__team__in=user.teams.all()).annotate(can_write=Value(True))


class DuplicateMatch(models.Model):
    """A new case whose person matched, by blind index, a case its caseworker cannot see.

    The caseworker is told nothing (an answer of any kind would tell anyone with a password
    whether a person is a client elsewhere); a supervisor of the existing case's team
    reconciles it instead. Recorded when the intake finishes, see ``cases.duplicates``.
    """

    class Basis(models.TextChoices):
        NAME_DOB = "name_dob", _("name and date of birth")
        PHONE = "phone", _("phone number")
        EMAIL = "email", _("email address")

    class Status(models.TextChoices):
        OPEN = "open", _("To reconcile")
        RECONCILED = "reconciled", _("Same person: reconciled")
        DIFFERENT = "different", _("Not the same person")

    existing_case = models.ForeignKey(
        Case,
        verbose_name=_("existing case"),
        on_delete=models.CASCADE,
        related_name="duplicate_matches",
    )
    # No reverse relation ("+"): the new case's history lists every audited row that points
    # at the case through one, and its team must not learn of a match it cannot see.
    new_case = models.ForeignKey(
        Case, verbose_name=_("new case"), on_delete=models.CASCADE, related_name="+"
    )
    matched_on = models.JSONField(verbose_name=_("matched on"), default=list)  # Basis values only
    ITEM_CHOICES = {"matched_on": Basis.choices}
    status = models.CharField(
        verbose_name=_("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("found by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    found_at = models.DateTimeField(verbose_name=_("found at"), default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(verbose_name=_("resolved at"), null=True, blank=True)
    resolution_note = EncryptedTextField(
        verbose_name=_("resolution note"), blank=True, max_length=limits.REASON
    )

    objects = DuplicateMatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("duplicate match")
        verbose_name_plural = _("duplicate matches")
        ordering = ["-found_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["existing_case", "new_case"], name="one_match_per_pair_of_cases"
            )
        ]
        indexes = [models.Index(fields=["status", "existing_case"])]

    def __str__(self) -> str:
        return f"duplicate match {self.pk}"

    @property
    def matched_on_labels(self) -> list[str]:
        return [str(self.Basis(b).label) for b in self.matched_on if b in self.Basis.values]

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN
