"""Safe premises: sites, security assessments against versioned checklists, photos, escape
plans, drills, premises incidents, and the page that tells victims what the service does to
keep them safe there.

Who sees what (the one way in, ``SiteQuerySet.visible_to``):

- the staff of a site's team (caseworkers and supervisors) see the site and everything of it,
  its address included, and may record what staff record (answers, photos, drills, incidents,
  readings of the escape plan, a draft of the safety page); the services keep what only a
  supervisor may do (sign-off, approval, publication, the sensitive-terms list) to supervisors;
- an auditor sees every site's evidence (assessments, findings and actions, photos, escape
  plans, drills, the published safety pages), read-only, and never a refuge's address; not
  incidents (they may name the person at the door) and not the sensitive-terms list;
- anyone else, another team's staff included, sees nothing (404).

Every free text and every file is encrypted; names of sites are too (a refuge's name can
place it). Checklist templates are the organisation's wording, kept in plain like the risk
instruments.
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import BooleanField, Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from victimsupport import limits
from victimsupport.access import CASE_ROLES, Role, roles_of
from victimsupport.concurrency import Versioned
from victimsupport.crypto.fields import (
    EncryptedBinaryField,
    EncryptedCharField,
    EncryptedJSONField,
    EncryptedTextField,
)
from victimsupport.stored_files import Refusal

# A site's security is reviewed at least once a year, and after every premises incident.


def a_year_after(day: datetime.date) -> datetime.date:
    """The same day next year (29 February gives 28 February): when a signed-off site's next
    review falls due."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


# --- Who sees a site ------------------------------------------------------------------------


def _staff_teams(user: Any) -> Any:
    return user.teams.all()


def site_rules(user: Any, path: str = "") -> tuple[Q | None, Any, Any]:
    """What ``user`` sees of sites, for a queryset whose site is reached by ``path``
    (``""`` for sites themselves, ``"site__"`` for their children): the filter (None: nothing),
    and the ``can_write`` and ``can_see_address`` expressions. One place for the rule."""
    roles = roles_of(user)
    staff = bool(roles & CASE_ROLES)
    auditor = Role.AUDITOR in roles
    if not staff and not auditor:
        return None, Value(False), Value(False)
    own = Q(**{f"{path}team__in": _staff_teams(user)}) if staff else None
    # An auditor sees every site's evidence; staff their teams' sites.
    seen = Q() if auditor else own
    can_write: Any = (
        Case(When(own, then=Value(True)), default=Value(False), output_field=BooleanField())
        if own is not None
        else Value(False)
    )
    # A refuge's address only to its team's staff; another site's also to an auditor.
    address = own
    if auditor:
        not_refuge = ~Q(**{f"{path}kind": SiteKind.REFUGE})
        address = not_refuge if own is None else own | not_refuge
    can_see_address = Case(
        When(address, then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    return seen, can_write, can_see_address


def site_staff(site: Site) -> Any:
    """The active staff of the site's team (its caseworkers and supervisors): who may own its
    actions, take part in its drills, and whom the escape plan's read share counts."""
    return (
        get_user_model()
        .objects.filter(is_active=True, teams=site.team_id, groups__name__in=CASE_ROLES)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def is_site_supervisor(user: Any, site: Site) -> bool:
    """A supervisor of the site's team: signs off, approves, publishes."""
    return Role.SUPERVISOR in roles_of(user) and user.teams.filter(pk=site.team_id).exists()


class SiteKind(models.TextChoices):
    OFFICE = "office", _("Office")
    REFUGE = "refuge", _("Refuge")
    OUTREACH = "outreach", _("Outreach point")
    COURT_DESK = "court_desk", _("Court desk")


class Opening(models.TextChoices):
    APPOINTMENT_ONLY = "appointment_only", _("By appointment only")
    WALK_IN = "walk_in", _("Walk-in hours, and by appointment")
    RESIDENTS_ONLY = "residents_only", _("Residents and staff only")


class SiteStatus(models.TextChoices):
    OPEN = "open", _("Open")
    TEMPORARILY_CLOSED = "temporarily_closed", _("Temporarily closed")
    CLOSED = "closed", pgettext_lazy("site status", "Closed")


class ReviewReason(models.TextChoices):
    FIRST = "first", _("Never assessed")
    YEARLY = "yearly", _("Yearly review")
    INCIDENT = "incident", _("After an incident")


class SiteQuerySet(models.QuerySet["Site"]):
    def visible_to(self, user: Any) -> SiteQuerySet:
        seen, can_write, can_see_address = site_rules(user)
        if seen is None:
            return self.none()
        return self.filter(seen).annotate(can_write=can_write, can_see_address=can_see_address)

    def of_staff(self, user: Any) -> SiteQuerySet:
        """The sites of the user's own teams (the ones they work at or supervise)."""
        if not roles_of(user) & CASE_ROLES:
            return self.none()
        return self.filter(team__in=_staff_teams(user))

    def review_due(self, on: datetime.date | None = None) -> SiteQuerySet:
        """Open sites whose security review is due by ``on`` (today): never assessed, a year
        since the last sign-off, or an incident since."""
        on = on or timezone.localdate()
        return self.exclude(status=SiteStatus.CLOSED).filter(
            Q(review_due_on__isnull=True) | Q(review_due_on__lte=on)
        )


class Site(Versioned):
    """A place where the service meets people: an office, a refuge, an outreach point, a desk
    at court. Its address is among the most sensitive data the service holds."""

    name = EncryptedCharField(verbose_name=_("name"), max_length=limits.LONG_NAME)
    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=SiteKind.choices)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="sites"
    )
    address = EncryptedTextField(verbose_name=_("address"), max_length=limits.ADDRESS)
    opening = models.CharField(
        verbose_name=_("opening arrangement"), max_length=20, choices=Opening.choices
    )
    # "Tuesday and Thursday, 10:00 to 13:00": a refuge has none.
    walk_in_hours = EncryptedCharField(
        verbose_name=_("walk-in hours"), max_length=limits.SHORT_TEXT, blank=True
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=20, choices=SiteStatus.choices, default=SiteStatus.OPEN
    )
    # The address of the public safety page: random, says nothing about the site.
    public_id = models.UUIDField(
        verbose_name=_("public page id"), default=uuid.uuid4, unique=True, editable=False
    )
    # When the next security review falls due (None: never assessed, due now), and why.
    review_due_on = models.DateField(verbose_name=_("review due on"), null=True, blank=True)
    review_reason = models.CharField(
        verbose_name=_("review reason"),
        max_length=10,
        choices=ReviewReason.choices,
        default=ReviewReason.FIRST,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)

    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return f"site {self.pk}"

    @property
    def shown_name(self) -> str:
        """The name pages show. A refuge's name can place it, so it is shown only to those who
        may see its address (``can_see_address``, from ``visible_to``); anyone else, and any
        page that read the site another way, reads "Refuge no. 12" instead."""
        if self.kind != SiteKind.REFUGE or getattr(self, "can_see_address", False):
            return self.name
        return gettext("Refuge no. %(number)s") % {"number": self.pk}

    @property
    def review_overdue(self) -> bool:
        return self.status != SiteStatus.CLOSED and (
            self.review_due_on is None or self.review_due_on < timezone.localdate()
        )


class SiteChildQuerySet(models.QuerySet):
    """Rows of a site: seen by whoever sees the site (an auditor only where the model says
    it is evidence), changed by its team's staff."""

    auditor_sees = True

    def visible_to(self, user: Any) -> SiteChildQuerySet:
        seen, can_write, _address = site_rules(user, "site__")
        if seen is None:
            return self.none()
        if not self.auditor_sees and not roles_of(user) & CASE_ROLES:
            return self.none()
        if not self.auditor_sees:
            seen = Q(site__team__in=_staff_teams(user))
        return self.filter(seen).annotate(can_write=can_write)

    def of_site(self, site: Site) -> SiteChildQuerySet:
        return self.filter(site=site)


class StaffOnlyQuerySet(SiteChildQuerySet):
    """Rows an auditor never sees: they may name a person or give the way in."""

    auditor_sees = False


# --- Checklist templates (the organisation's wording, versioned like risk instruments) ----


class PublishedChecklistLocked(Exception):
    pass


class AnswerKind(models.TextChoices):
    YES = "yes", _("Yes")
    PARTLY = "partly", _("Partly")
    NO = "no", _("No")
    NOT_APPLICABLE = "na", _("Not applicable")


class ChecklistTemplate(models.Model):
    """A family of checklist versions (the organisation's premises security checklist)."""

    key = models.SlugField(verbose_name=_("key"), max_length=50, unique=True)
    name = models.CharField(verbose_name=_("name"), max_length=limits.LONG_NAME)

    class Meta:
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def validate_checklist_size(value: Any) -> None:
    size = len(json.dumps(value, ensure_ascii=False))
    if size > limits.INSTRUMENT:
        raise ValidationError(
            limits.TOO_LONG,
            code="max_length",
            params={"limit_value": limits.INSTRUMENT, "show_value": size},
        )


class ChecklistVersion(models.Model):
    """One version of a checklist: sections of questions, each with guidance, each text in
    every language it has (a string is English; a mapping gives each language). A published
    version is never edited: assessments keep meaning what they meant.

    ``definition``: {"key", "name", "description", "sections": [{"key", "title",
    "questions": [{"key", "text", "guidance", "seed"}]}]} where ``seed`` names the standard's
    question the item comes from (premises.checklist validates it)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    template = models.ForeignKey(
        ChecklistTemplate,
        verbose_name=_("checklist template"),
        on_delete=models.PROTECT,
        related_name="versions",
    )
    version = models.PositiveIntegerField(verbose_name=_("version"))
    status = models.CharField(
        verbose_name=_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    definition = models.JSONField(
        verbose_name=_("definition"), validators=[validate_checklist_size]
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    published_at = models.DateTimeField(verbose_name=_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")
        ordering = ["template", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "version"], name="one_number_per_checklist_version"
            )
        ]

    def __str__(self) -> str:
        return gettext("%(name)s, version %(number)d") % {
            "name": self.template.name,
            "number": self.version,
        }

    def save(self, *args: Any, **kwargs: Any) -> None:
        if (
            not self._state.adding
            and type(self).objects.filter(pk=self.pk, status=self.Status.PUBLISHED).exists()
        ):
            raise PublishedChecklistLocked(
                gettext("%(version)s is published and cannot be changed.") % {"version": self}
            )
        super().save(*args, **kwargs)


# --- Security assessments -----------------------------------------------------------------


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Being filled in")
    SUBMITTED = "submitted", _("Waiting for sign-off")
    SIGNED_OFF = "signed_off", _("Signed off")


class SecurityAssessmentQuerySet(SiteChildQuerySet):
    pass


class SecurityAssessment(Versioned):
    """A site assessed against one checklist version: the answers (``{question key:
    {"answer": yes|partly|no|na, "note": text}}``), a summary, and a supervisor's sign-off,
    which sets the site's next review a year on."""

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="assessments"
    )
    checklist = models.ForeignKey(
        ChecklistVersion,
        verbose_name=_("checklist version"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=12,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.DRAFT,
    )
    reason = models.CharField(
        verbose_name=_("reason"),
        max_length=10,
        choices=ReviewReason.choices,
        default=ReviewReason.YEARLY,
    )
    # The premises incident that made this reassessment due, if one did.
    incident = models.ForeignKey(
        "premises.PremisesIncident",
        verbose_name=_("incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reassessments",
    )
    answers = EncryptedJSONField(verbose_name=_("answers"), default=dict, blank=True)
    summary = EncryptedTextField(verbose_name=_("summary"), max_length=limits.DETAILS, blank=True)
    assessed_on = models.DateField(verbose_name=_("assessed on"), default=timezone.localdate)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(verbose_name=_("started at"), default=timezone.now)
    submitted_at = models.DateTimeField(verbose_name=_("submitted at"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed off by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(verbose_name=_("signed off at"), null=True, blank=True)
    # The supervisor's reason when a submitted assessment was sent back to draft (the last time).
    returned_reason = EncryptedTextField(
        verbose_name=_("reason for sending back"), max_length=limits.REASON, blank=True
    )
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent back by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    returned_at = models.DateTimeField(verbose_name=_("sent back at"), null=True, blank=True)
    # Everyone who started it or wrote in it (answers, findings, actions): none of them signs
    # it off while another supervisor of the team can (premises.review).
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("written or changed by"), related_name="+"
    )

    objects = SecurityAssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("security assessment")
        verbose_name_plural = _("security assessments")
        ordering = ["-assessed_on", "-pk"]

    def __str__(self) -> str:
        return f"security assessment {self.pk}"


class Likelihood(models.IntegerChoices):
    RARE = 1, _("Rare")
    UNLIKELY = 2, _("Unlikely")
    POSSIBLE = 3, _("Possible")
    LIKELY = 4, _("Likely")
    ALMOST_CERTAIN = 5, _("Almost certain")


class Impact(models.IntegerChoices):
    MINOR = 1, _("Minor")
    MODERATE = 2, _("Moderate")
    SERIOUS = 3, _("Serious")
    MAJOR = 4, _("Major")
    SEVERE = 5, _("Severe")


class Finding(models.Model):
    """A risk the assessment found: what, how likely, how bad (score: likelihood times impact)."""

    assessment = models.ForeignKey(
        SecurityAssessment,
        verbose_name=_("security assessment"),
        on_delete=models.CASCADE,
        related_name="findings",
    )
    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="+"
    )
    # The checklist question it arose from ("" for one found outside the checklist).
    question_key = models.CharField(verbose_name=_("question"), max_length=50, blank=True)
    description = EncryptedTextField(verbose_name=_("description"), max_length=limits.DETAILS)
    likelihood = models.PositiveSmallIntegerField(
        verbose_name=_("likelihood"), choices=Likelihood.choices
    )
    impact = models.PositiveSmallIntegerField(verbose_name=_("impact"), choices=Impact.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"), default=timezone.now)

    objects = SiteChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["assessment", "pk"]

    def __str__(self) -> str:
        return f"finding {self.pk}"

    @property
    def score(self) -> int:
        return int(self.likelihood) * int(self.impact)


class ActionSource(models.TextChoices):
    ASSESSMENT = "assessment", _("Security assessment")
    DRILL = "drill", _("Drill")
    INCIDENT = "incident", _("Incident")


class SiteActionQuerySet(SiteChildQuerySet):
    def visible_to(self, user: Any) -> SiteActionQuerySet:
        """As for any row of a site, except that the actions following an incident are its
        staff's only: what to do after an incident tells what happened (an auditor never
        reads an incident, so neither its actions)."""
        seen = super().visible_to(user)
        if not roles_of(user) & CASE_ROLES:
            seen = seen.exclude(Q(source=ActionSource.INCIDENT) | Q(incident__isnull=False))
        return seen

    def open(self) -> SiteActionQuerySet:
        return self.filter(done_on__isnull=True)

    def overdue(self, on: datetime.date | None = None) -> SiteActionQuerySet:
        return self.open().filter(due_on__lt=on or timezone.localdate())


class SiteAction(Versioned):
    """Something to do about a site's safety, with an owner and a due date: from an
    assessment's finding, a drill's lessons or an incident."""

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="actions"
    )
    source = models.CharField(verbose_name=_("source"), max_length=12, choices=ActionSource.choices)
    assessment = models.ForeignKey(
        SecurityAssessment,
        verbose_name=_("security assessment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="actions",
    )
    finding = models.ForeignKey(
        Finding,
        verbose_name=_("finding"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
    )
    drill = models.ForeignKey(
        "premises.Drill",
        verbose_name=_("drill"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="actions",
    )
    incident = models.ForeignKey(
        "premises.PremisesIncident",
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="actions",
    )
    description = EncryptedTextField(verbose_name=_("what to do"), max_length=limits.DETAILS)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="site_actions",
    )
    due_on = models.DateField(verbose_name=_("due on"))
    done_on = models.DateField(verbose_name=_("done on"), null=True, blank=True)
    done_note = EncryptedTextField(
        verbose_name=_("what was done"), max_length=limits.DETAILS, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)

    objects = SiteActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("site action")
        verbose_name_plural = _("site actions")
        ordering = ["done_on", "due_on", "pk"]

    def __str__(self) -> str:
        return f"site action {self.pk}"

    @property
    def is_overdue(self) -> bool:
        return self.done_on is None and self.due_on < timezone.localdate()


# --- Photos -----------------------------------------------------------------------------


class SitePhoto(models.Model):
    """A picture of the premises (evidence for the standard): re-encoded from its pixels in
    the core (``victimsupport.files``), so nothing the camera recorded (GPS, EXIF, XMP, the
    embedded thumbnail) survives; encrypted here, with a small preview."""

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="photos"
    )
    caption = EncryptedCharField(verbose_name=_("caption"), max_length=limits.DESCRIPTION)
    taken_on = models.DateField(verbose_name=_("taken on"))
    content_type = models.CharField(verbose_name=_("content type"), max_length=100)
    size = models.PositiveIntegerField(verbose_name=_("size"))
    width = models.PositiveIntegerField(verbose_name=_("width"))
    height = models.PositiveIntegerField(verbose_name=_("height"))
    content = EncryptedBinaryField(verbose_name=_("content"))
    preview = EncryptedBinaryField(verbose_name=_("preview"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(verbose_name=_("uploaded at"), default=timezone.now)
    quarantined_at = models.DateTimeField(verbose_name=_("quarantined at"), null=True, blank=True)
    quarantine_reason = models.CharField(
        verbose_name=_("quarantine reason"), max_length=32, choices=Refusal.choices, blank=True
    )

    objects = SiteChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("photo of premises")
        verbose_name_plural = _("photos of premises")
        ordering = ["-taken_on", "-pk"]

    def __str__(self) -> str:
        return f"photo {self.pk}"


# --- Escape plans -------------------------------------------------------------------------


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved, current")
    SUPERSEDED = "superseded", _("Replaced by a newer version")


class EscapePlan(models.Model):
    """One version of a site's escape plan: the floor plan (an image or a PDF, checked and
    cleaned in the core), the routes, the assembly point and who does what. A supervisor
    approves a version, which replaces the one before; staff record reading it."""

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="escape_plans"
    )
    version = models.PositiveIntegerField(verbose_name=_("version"))
    status = models.CharField(
        verbose_name=_("status"),
        max_length=12,
        choices=PlanStatus.choices,
        default=PlanStatus.DRAFT,
    )
    routes = EncryptedTextField(verbose_name=_("escape routes"), max_length=limits.DETAILS)
    assembly_point = EncryptedCharField(
        verbose_name=_("assembly point"), max_length=limits.SHORT_TEXT
    )
    roles = EncryptedTextField(verbose_name=_("who does what"), max_length=limits.DETAILS)
    floor_plan = EncryptedBinaryField(verbose_name=_("floor plan"), null=True, blank=True)
    floor_plan_type = models.CharField(
        verbose_name=_("floor plan type"), max_length=100, blank=True
    )
    floor_plan_size = models.PositiveIntegerField(verbose_name=_("floor plan size"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("written at"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(verbose_name=_("approved at"), null=True, blank=True)
    quarantined_at = models.DateTimeField(verbose_name=_("quarantined at"), null=True, blank=True)
    quarantine_reason = models.CharField(
        verbose_name=_("quarantine reason"), max_length=32, choices=Refusal.choices, blank=True
    )
    # Everyone who wrote or changed this version (none of them may approve it).
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("written or changed by"), related_name="+"
    )
    # Optimistic locking for a draft two people edit (victimsupport.concurrency): ``version``
    # is the plan's number, so the edit counter has a name of its own.
    revision = models.PositiveIntegerField(
        verbose_name=_("revision"),
        default=1,
        editable=False,
        help_text=_("Raised by one at each save from a form; a save names the revision it read."),
    )

    objects = SiteChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("escape plan")
        verbose_name_plural = _("escape plans")
        ordering = ["site", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["site", "version"], name="one_number_per_escape_plan"),
            models.UniqueConstraint(
                fields=["site"],
                condition=Q(status="approved"),
                name="one_current_escape_plan_per_site",
            ),
        ]

    def __str__(self) -> str:
        return f"escape plan {self.pk}"


class PlanReadingQuerySet(SiteChildQuerySet):
    pass


class EscapePlanReading(models.Model):
    """A member of staff recorded that they read and understood this version of the plan."""

    plan = models.ForeignKey(
        EscapePlan, verbose_name=_("escape plan"), on_delete=models.CASCADE, related_name="readings"
    )
    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member of staff"),
        on_delete=models.PROTECT,
        related_name="escape_plan_readings",
    )
    read_at = models.DateTimeField(verbose_name=_("read at"), default=timezone.now)

    objects = PlanReadingQuerySet.as_manager()

    class Meta:
        verbose_name = _("escape plan reading")
        verbose_name_plural = _("escape plan readings")
        constraints = [
            models.UniqueConstraint(fields=["plan", "user"], name="one_reading_per_plan_and_user")
        ]

    def __str__(self) -> str:
        return f"escape plan reading {self.pk}"


# --- Drills -----------------------------------------------------------------------------


class DrillScenario(models.TextChoices):
    FIRE = "fire", _("Fire or evacuation")
    INTRUDER = "intruder", _("Someone dangerous at the door or inside")
    LOCKDOWN = "lockdown", _("Lockdown: keeping everyone inside safe")
    MEDICAL = "medical", _("Medical emergency")
    OTHER = "other", _("Another situation")


class Drill(models.Model):
    """A practice of a dangerous situation: when, what, who took part, how long it took and
    what was learnt; follow-up actions are ``SiteAction`` rows."""

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="drills"
    )
    held_on = models.DateField(verbose_name=_("held on"))
    scenario = models.CharField(
        verbose_name=_("scenario"), max_length=12, choices=DrillScenario.choices
    )
    scenario_details = EncryptedTextField(
        verbose_name=_("what was practised"), max_length=limits.DETAILS, blank=True
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("staff who took part"), related_name="+"
    )
    # People who took part without an account here (volunteers, residents): a count, no names.
    others_count = models.PositiveIntegerField(verbose_name=_("others who took part"), default=0)
    minutes_taken = models.PositiveIntegerField(verbose_name=_("minutes taken"))
    lessons = EncryptedTextField(
        verbose_name=_("what was learnt"), max_length=limits.DETAILS, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"), default=timezone.now)

    objects = SiteChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("drill")
        verbose_name_plural = _("drills")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"drill {self.pk}"


# --- Premises incidents -------------------------------------------------------------------


class IncidentKind(models.TextChoices):
    THREAT_AT_DOOR = "threat_at_door", _("A threat at the door")
    ADDRESS_BREACH = "address_breach", _("The address became known to someone who must not know it")
    INTRUSION = "intrusion", _("Someone got in who should not have")
    DAMAGE = "damage", _("Damage to the premises")
    OTHER = "other", _("Something else")


class PremisesIncident(models.Model):
    """Something that happened at a site that bears on its safety. Recording one makes the
    site's security review due at once; the reassessment links back to it."""

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="incidents"
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=IncidentKind.choices)
    occurred_at = models.DateTimeField(verbose_name=_("when it happened"))
    description = EncryptedTextField(verbose_name=_("what happened"), max_length=limits.DETAILS)
    actions_taken = EncryptedTextField(
        verbose_name=_("what was done at the time"), max_length=limits.DETAILS, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"), default=timezone.now)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("premises incident")
        verbose_name_plural = _("premises incidents")
        ordering = ["-occurred_at", "-pk"]

    def __str__(self) -> str:
        return f"premises incident {self.pk}"


# --- What victims are told ------------------------------------------------------------------


class PageStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for review")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Replaced by a newer version")


class SafetyPageQuerySet(SiteChildQuerySet):
    def published(self) -> SafetyPageQuerySet:
        return self.filter(status=PageStatus.PUBLISHED)


class SafetyPage(Versioned):
    """One version of a site's "Your safety here" page, in English and French: written by
    staff, checked against the sensitive terms, reviewed and published by a supervisor. The
    published version is what the public page and the printable handout show."""

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="safety_pages"
    )
    number = models.PositiveIntegerField(verbose_name=_("version"))
    status = models.CharField(
        verbose_name=_("status"),
        max_length=12,
        choices=PageStatus.choices,
        default=PageStatus.DRAFT,
    )
    title_en = EncryptedCharField(verbose_name=_("title (English)"), max_length=limits.LONG_NAME)
    body_en = EncryptedTextField(verbose_name=_("text (English)"), max_length=limits.NOTE)
    title_fr = EncryptedCharField(verbose_name=_("title (French)"), max_length=limits.LONG_NAME)
    body_fr = EncryptedTextField(verbose_name=_("text (French)"), max_length=limits.NOTE)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    written_at = models.DateTimeField(verbose_name=_("written at"), default=timezone.now)
    # Everyone who wrote or changed this version (none of them may publish it).
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("written or changed by"), related_name="+"
    )
    submitted_at = models.DateTimeField(verbose_name=_("submitted at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(verbose_name=_("published at"), null=True, blank=True)
    # The reviewer's reason when a version was sent back to its writer (the last time).
    returned_reason = EncryptedTextField(
        verbose_name=_("reason for sending back"), max_length=limits.REASON, blank=True
    )
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent back by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    returned_at = models.DateTimeField(verbose_name=_("sent back at"), null=True, blank=True)

    objects = SafetyPageQuerySet.as_manager()

    class Meta:
        verbose_name = _("safety page")
        verbose_name_plural = _("safety pages")
        ordering = ["site", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="one_number_per_safety_page"),
            models.UniqueConstraint(
                fields=["site"],
                condition=Q(status="published"),
                name="one_published_safety_page_per_site",
            ),
        ]

    def __str__(self) -> str:
        return f"safety page {self.pk}"

    def title_in(self, language: str | None) -> str:
        return self.title_fr if (language or "").startswith("fr") else self.title_en

    def body_in(self, language: str | None) -> str:
        return self.body_fr if (language or "").startswith("fr") else self.body_en


class TermKind(models.TextChoices):
    DOOR_CODE = "door_code", _("Door or alarm code")
    ROOM = "room", _("Room or floor")
    STREET = "street", _("Street or place name")
    SURNAME = "surname", _("Staff surname")
    OTHER = "other", _("Something else")
    # Not refused but let through: a phrase the number shapes would catch ("0808 2000 247").
    ALLOWED = "allowed", _("Always allowed: a helpline number or a year")


class SensitiveTermQuerySet(models.QuerySet["SensitiveTerm"]):
    """Seen by staff: the terms of their teams' sites and the organisation's own (no site);
    changed by supervisors only (of the site's team; any supervisor for the organisation's).
    Never by an auditor: the list is a map to the way in."""

    def visible_to(self, user: Any) -> SensitiveTermQuerySet:
        roles = roles_of(user)
        if not roles & CASE_ROLES:
            return self.none()
        teams = _staff_teams(user)
        seen = Q(site__isnull=True) | Q(site__team__in=teams)
        if Role.SUPERVISOR not in roles:
            return self.filter(seen).annotate(can_write=Value(False))
        return self.filter(seen).annotate(can_write=Value(True))


class SensitiveTerm(models.Model):
    """A word or phrase a victim-facing page must never contain (a door code, a room number,
    a street, a surname): for one site, or for every site when ``site`` is empty. Encrypted:
    the list itself is a map to the way in. Besides this list, the check always refuses the
    site's own address, its team's staff surnames and anything shaped like a street address,
    a door code or a room number (premises.sensitive)."""

    site = models.ForeignKey(
        Site,
        verbose_name=_("site"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sensitive_terms",
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=12, choices=TermKind.choices)
    term = EncryptedCharField(verbose_name=_("word or phrase"), max_length=limits.SHORT_TEXT)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(verbose_name=_("added at"), default=timezone.now)

    objects = SensitiveTermQuerySet.as_manager()

    class Meta:
        verbose_name = _("sensitive term")
        verbose_name_plural = _("sensitive terms")
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return f"sensitive term {self.pk}"
