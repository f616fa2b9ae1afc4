from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.levels import ASSESSED_CHOICES
from cases.models import CaseChildQuerySet
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

    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=limits.LONG_NAME)
    description = models.TextField(max_length=limits.DETAILS, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InstrumentVersion(models.Model):
    """One version of an instrument's questions, scoring and thresholds. A published version
    is never edited: assessments must keep meaning what they meant when they were made. The
    wording is the organisation's, not personal data, so it is stored in plain."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    definition = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["instrument", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "version"], name="one_number_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.instrument.name}, version {self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A published version is never written again, whatever path the write takes (an
        # admin form read before another request published it, a shell, a script).
        if (
            not self._state.adding
            and type(self).objects.filter(pk=self.pk, status=self.Status.PUBLISHED).exists()
        ):
            raise PublishedVersionLocked(f"{self} is published and cannot be changed.")
        super().save(*args, **kwargs)


class Assessment(Versioned):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        FINAL = "final", "Finalised"

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="assessments")
    instrument_version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(max_length=5, choices=Status.choices, default=Status.DRAFT)
    answers = EncryptedJSONField(default=dict)
    score = models.IntegerField(null=True, blank=True)
    computed_level = models.CharField(max_length=8, choices=ASSESSED_CHOICES, blank=True)
    level = models.CharField(max_length=8, choices=ASSESSED_CHOICES, blank=True)
    # Which red flags fired says how the person answered: encrypted like the answers.
    red_flags = EncryptedJSONField(default=list, blank=True)
    rationale = EncryptedTextField(max_length=limits.DETAILS, blank=True)
    override_reason = EncryptedTextField(max_length=limits.DETAILS, blank=True)
    finalised_without_training = models.BooleanField(default=False)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finalised_at = models.DateTimeField(null=True, blank=True)
    review_due = models.DateField(null=True, blank=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["case", "status", "-finalised_at"])]

    def __str__(self) -> str:
        return f"assessment {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if (
            not self._state.adding
            and type(self).objects.filter(pk=self.pk, status=self.Status.FINAL).exists()
        ):
            raise FinalisedAssessmentLocked("A finalised assessment cannot be changed.")
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
        INCIDENT = "incident", "New incident"
        SEPARATION = "separation", "Separation"
        RELEASE = "release", "Release from custody"
        COURT = "court", "Court date"
        BREACH = "breach", "Breach of an order"
        OTHER = "other", "Other"

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="triggers")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    occurred_on = models.DateField()
    note = EncryptedTextField(max_length=limits.REASON, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
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
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_records"
    )
    course = models.CharField(max_length=limits.LONG_NAME)
    completed_on = models.DateField()
    provider = models.CharField("trainer or provider", max_length=limits.LONG_NAME)
    expires_on = models.DateField(null=True, blank=True)
    certificate_name = EncryptedCharField(max_length=limits.FILE_NAME, blank=True)
    certificate = EncryptedBinaryField(null=True, blank=True)
    certificate_type = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # Set by ``manage.py recheck_files --quarantine`` when a certificate stored before a check
    # existed fails it now: its download is refused with the reason.
    certificate_quarantined_at = models.DateTimeField(null=True, blank=True)
    certificate_quarantine_reason = models.CharField(
        max_length=32, choices=Refusal.choices, blank=True
    )

    objects = TrainingRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-completed_on"]

    def __str__(self) -> str:
        return f"{self.course} ({self.completed_on})"

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.completed_on <= today and (self.expires_on is None or self.expires_on >= today)


class SafetyPlan(Versioned):
    """The action plan for a person still at risk. One per case, kept up to date."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="safety_plan")
    summary = EncryptedTextField(
        max_length=limits.DETAILS,
        blank=True,
        help_text="What the plan is for, in words the person would use.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = CaseChildQuerySet.as_manager()

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

    plan = models.ForeignKey(SafetyPlan, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    description = EncryptedTextField(max_length=limits.DETAILS)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner_other = EncryptedCharField(
        "owner (if not staff)",
        max_length=limits.LONG_NAME,
        blank=True,
        help_text="For example: the person themselves.",
    )
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # For police contact: what the person wants, and what happened. Never assumed.
    victim_wishes = EncryptedTextField(max_length=limits.DETAILS, blank=True)
    outcome = EncryptedTextField(max_length=limits.DETAILS, blank=True)
    internal_note = EncryptedTextField(
        max_length=limits.DETAILS,
        blank=True,
        help_text="For staff only: never printed on the person's copy.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = SafetyActionQuerySet.as_manager()

    class Meta:
        ordering = ["status", "due_on", "created_at"]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return f"safety action {self.pk}"

    @property
    def is_overdue(self) -> bool:
        return (
            self.status == self.Status.OPEN
            and self.due_on is not None
            and self.due_on < timezone.localdate()
        )
