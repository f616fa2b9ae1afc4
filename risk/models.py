from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from cases.levels import ASSESSED_CHOICES
from cases.models import CaseChildQuerySet
from risk import engine
from victimsupport import limits
from victimsupport.access import Role, roles_of
from victimsupport.concurrency import Versioned
from victimsupport.crypto.fields import (
    EncryptedBinaryField,
    EncryptedCharField,
    EncryptedJSONField,
    EncryptedTextField,
)
from victimsupport.stored_files import Refusal


class PublishedVersionLocked(Exception):
    pass


class FinalisedAssessmentLocked(Exception):
    pass


class Instrument(models.Model):
    """A family of versions (for example the organisation's default assessment)."""

    key = models.SlugField(verbose_name=_("key"), max_length=50, unique=True)
    name = models.CharField(verbose_name=_("name"), max_length=limits.LONG_NAME)
    description = models.TextField(
        verbose_name=_("description"), max_length=limits.DETAILS, blank=True
    )

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def validate_definition_size(value: Any) -> None:
    """No definition past limits.INSTRUMENT characters as JSON, whichever way it is written."""
    size = len(json.dumps(value, ensure_ascii=False))
    if size > limits.INSTRUMENT:
        raise ValidationError(
            limits.TOO_LONG,
            code="max_length",
            params={"limit_value": limits.INSTRUMENT, "show_value": size},
        )


class InstrumentVersion(models.Model):
    """One version of an instrument's questions, scoring and thresholds. A published version
    is never edited: assessments must keep meaning what they meant when they were made. The
    wording is the organisation's, not personal data, so it is stored in plain, each text in
    every language it has (engine: a string is English, a mapping gives each language)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.PROTECT, related_name="versions"
    )
    version = models.PositiveIntegerField(
        verbose_name=_("version"),
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    definition = models.JSONField(
        verbose_name=_("definition"), validators=[validate_definition_size]
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    published_at = models.DateTimeField(verbose_name=_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("instrument version")
        verbose_name_plural = _("instrument versions")
        ordering = ["instrument", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "version"], name="one_number_per_version")
        ]

    def __str__(self) -> str:
        return gettext("%(name)s, version %(number)d") % {
            "name": self.name,
            "number": self.version,
        }

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A published version is never written again, whatever path the write takes (an
        # admin form read before another request published it, a shell, a script).
        if (
            not self._state.adding
            and type(self).objects.filter(pk=self.pk, status=self.Status.PUBLISHED).exists()
        ):
            raise PublishedVersionLocked(
                gettext("%(version)s is published and cannot be changed.") % {"version": self}
            )
        super().save(*args, **kwargs)

    def localised(self, language: str | None = None) -> dict[str, Any]:
        """The definition with each text in ``language`` (the active one unless given),
        English where that language has none. Kept per language on this instance: a page
        shows the same version's texts many times."""
        language = language or get_language() or engine.FALLBACK_LANGUAGE
        cache = self.__dict__.setdefault("_localised", {})
        if language not in cache:
            cache[language] = engine.localise(self.definition, language)
        return cache[language]

    @property
    def name(self) -> str:
        """The instrument's name in the active language, as this version gives it."""
        return self.localised().get("name") or self.instrument.name

    @property
    def description(self) -> str:
        return self.localised().get("description") or self.instrument.description


class Assessment(Versioned):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FINAL = "final", _("Finalised")

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="assessments"
    )
    instrument_version = models.ForeignKey(
        InstrumentVersion,
        verbose_name=_("instrument version"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=5, choices=Status.choices, default=Status.DRAFT
    )
    answers = EncryptedJSONField(verbose_name=_("answers"), default=dict)
    score = models.IntegerField(verbose_name=_("score"), null=True, blank=True)
    computed_level = models.CharField(
        verbose_name=_("computed level"), max_length=8, choices=ASSESSED_CHOICES, blank=True
    )
    level = models.CharField(
        verbose_name=_("level"), max_length=8, choices=ASSESSED_CHOICES, blank=True
    )
    # Which red flags fired says how the person answered: encrypted like the answers.
    red_flags = EncryptedJSONField(verbose_name=_("red flags"), default=list, blank=True)
    rationale = EncryptedTextField(
        verbose_name=_("rationale"), max_length=limits.DETAILS, blank=True
    )
    override_reason = EncryptedTextField(
        verbose_name=_("override reason"), max_length=limits.DETAILS, blank=True
    )
    finalised_without_training = models.BooleanField(
        verbose_name=_("finalised without training"), default=False
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("finalised by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), default=timezone.now)
    finalised_at = models.DateTimeField(verbose_name=_("finalised at"), null=True, blank=True)
    review_due = models.DateField(verbose_name=_("review due"), null=True, blank=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["case", "status", "-finalised_at"])]

    def __str__(self) -> str:
        return f"assessment {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if (
            not self._state.adding
            and type(self).objects.filter(pk=self.pk, status=self.Status.FINAL).exists()
        ):
            raise FinalisedAssessmentLocked(gettext("A finalised assessment cannot be changed."))
        super().save(*args, **kwargs)

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINAL

    @property
    def overridden(self) -> bool:
        return self.is_final and self.level != self.computed_level


class ReassessmentTrigger(models.Model):
    """An event that brings the next review forward to now."""

    class Kind(models.TextChoices):
        INCIDENT = "incident", _("New incident")
        SEPARATION = "separation", _("Separation")
        RELEASE = "release", _("Release from custody")
        COURT = "court", _("Court date")
        BREACH = "breach", _("Breach of an order")
        OTHER = "other", _("Other")

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="triggers"
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=10, choices=Kind.choices)
    occurred_on = models.DateField(
        verbose_name=_("occurred on"),
    )
    note = EncryptedTextField(verbose_name=_("note"), max_length=limits.REASON, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("reassessment trigger")
        verbose_name_plural = _("reassessment triggers")
        ordering = ["-occurred_on", "-recorded_at"]

    def __str__(self) -> str:
        return f"trigger {self.pk}"


class TrainingRecordQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> TrainingRecordQuerySet:
        """Administrators see every active staff member's records, supervisors those of the
        people in their teams; nobody may change a record through a URL."""
        roles = roles_of(user)
        staff = self.model._meta.get_field("user").related_model.objects.filter(is_active=True)
        if Role.ADMINISTRATOR in roles:
            pass
        elif Role.SUPERVISOR in roles:
            staff = staff.filter(teams__in=user.teams.all())
        else:
            return self.none()
        return self.filter(user__in=staff.values("pk")).annotate(can_write=models.Value(False))


class TrainingRecord(models.Model):
    """Training on risk assessment. A current record is what allows finalising assessments."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="training_records",
    )
    course = models.CharField(verbose_name=_("course"), max_length=limits.LONG_NAME)
    completed_on = models.DateField(
        verbose_name=_("completed on"),
    )
    provider = models.CharField(_("trainer or provider"), max_length=limits.LONG_NAME)
    expires_on = models.DateField(verbose_name=_("expires on"), null=True, blank=True)
    certificate_name = EncryptedCharField(
        verbose_name=_("certificate name"), max_length=limits.FILE_NAME, blank=True
    )
    certificate = EncryptedBinaryField(verbose_name=_("certificate"), null=True, blank=True)
    certificate_type = models.CharField(
        verbose_name=_("certificate type"), max_length=100, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"), default=timezone.now)
    # Set by ``manage.py recheck_files --quarantine`` when a certificate stored before a check
    # existed fails it now: its download is refused with the reason.
    certificate_quarantined_at = models.DateTimeField(
        verbose_name=_("certificate quarantined at"), null=True, blank=True
    )
    certificate_quarantine_reason = models.CharField(
        verbose_name=_("certificate quarantine reason"),
        max_length=32,
        choices=Refusal.choices,
        blank=True,
    )

    objects = TrainingRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["-completed_on"]

    def __str__(self) -> str:
        return f"{self.course} ({self.completed_on})"

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.completed_on <= today and (self.expires_on is None or self.expires_on >= today)


class SafetyPlan(Versioned):
    """The action plan for a person still at risk. One per case, kept up to date."""

    case = models.OneToOneField(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="safety_plan"
    )
    summary = EncryptedTextField(
        verbose_name=_("summary"),
        max_length=limits.DETAILS,
        blank=True,
        help_text=_("What the plan is for, in words the person would use."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), default=timezone.now)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("safety plan")
        verbose_name_plural = _("safety plans")

    def __str__(self) -> str:
        return f"safety plan {self.pk}"


class SafetyActionQuerySet(CaseChildQuerySet):
    case_path = "plan__case"


class SafetyAction(Versioned):
    class Kind(models.TextChoices):
        REFERRAL = "referral", _("Referral to a partner organisation")
        POLICE = "police", _("Contacting the police")
        ACCOMMODATION = "accommodation", _("Safe accommodation")
        PROTECTION_ORDER = "order", _("Legal protection order")
        SAFE_CONTACT = "contact", _("Safe contact arrangements")
        TECHNOLOGY = "technology", _("Technology safety")
        CHILDREN = "children", _("Children's safety")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("To do")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("No longer needed")

    plan = models.ForeignKey(
        SafetyPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="actions"
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=14, choices=Kind.choices)
    description = EncryptedTextField(verbose_name=_("description"), max_length=limits.DETAILS)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    owner_other = EncryptedCharField(
        _("owner (if not staff)"),
        max_length=limits.LONG_NAME,
        blank=True,
        help_text=_("For example: the person themselves."),
    )
    due_on = models.DateField(verbose_name=_("due on"), null=True, blank=True)
    status = models.CharField(
        verbose_name=_("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    # For police contact: what the person wants, and what happened. Never assumed.
    victim_wishes = EncryptedTextField(
        verbose_name=_("victim wishes"), max_length=limits.DETAILS, blank=True
    )
    outcome = EncryptedTextField(verbose_name=_("outcome"), max_length=limits.DETAILS, blank=True)
    internal_note = EncryptedTextField(
        verbose_name=_("internal note"),
        max_length=limits.DETAILS,
        blank=True,
        help_text=_("For staff only: never printed on the person's copy."),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    completed_at = models.DateTimeField(verbose_name=_("completed at"), null=True, blank=True)

    objects = SafetyActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("safety action")
        verbose_name_plural = _("safety actions")
        ordering = ["status", "due_on", "created_at"]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            # A team's overdue actions, plan by plan: by (status, due_on) alone the dashboard
            # read every team's overdue actions and kept its own.
            models.Index(fields=["plan", "status", "due_on"], name="action_plan_due_idx"),
        ]

    def __str__(self) -> str:
        return f"safety action {self.pk}"

    @property
    def is_overdue(self) -> bool:
        return (
            self.status == self.Status.OPEN
            and self.due_on is not None
            and self.due_on < timezone.localdate()
        )
