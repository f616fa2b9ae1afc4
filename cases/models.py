from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from victimsupport.access import CASE_ROLES, roles_of
from victimsupport.crypto.fields import EncryptedTextField


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, user: Any) -> CaseQuerySet:
        """The cases ``user`` may see, each annotated with ``can_write``.

        Seen: cases of the user's teams and cases assigned to them (caseworkers and supervisors
        only), cases granted to the user or one of their groups through an object permission,
        and cases opened by a current break-glass access (read-only). Model permissions and
        superuser status grant nothing here.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        now = timezone.now()
        user_grant = CaseUserObjectPermission.objects.filter(
            content_object=OuterRef("pk"), user=user
        )
        group_grant = CaseGroupObjectPermission.objects.filter(
            content_object=OuterRef("pk"), group__user=user
        )
        view_codes = ["view_case", "change_case"]
        can_view = Exists(user_grant.filter(permission__codename__in=view_codes)) | Exists(
            group_grant.filter(permission__codename__in=view_codes)
        )
        can_change = Exists(user_grant.filter(permission__codename="change_case")) | Exists(
            group_grant.filter(permission__codename="change_case")
        )
        if roles_of(user) & CASE_ROLES:
            own = Q(team__in=user.teams.all()) | Q(assigned_to=user)
            can_view |= own
            can_change |= own
        glass = Exists(
            BreakGlassAccess.objects.filter(case=OuterRef("pk"), user=user, expires_at__gt=now)
        )
        return self.filter(can_view | glass).annotate(
            can_write=ExpressionWrapper(can_change, output_field=models.BooleanField())
        )


class Case(models.Model):
    """A victim's case file. The fields here carry no personal data: what names, locates or
    describes the person lives in encrypted fields of the models that hang off a case."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class RiskLevel(models.TextChoices):
        UNKNOWN = "unknown", "Not yet assessed"
        STANDARD = "standard", "Standard"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="cases")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    risk_level = models.CharField(
        max_length=10, choices=RiskLevel.choices, default=RiskLevel.UNKNOWN
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["team", "status", "-opened_at"])]

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

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="break_glass")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass"
    )
    reason = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "case", "expires_at"])]
        verbose_name = "break-glass access"
        verbose_name_plural = "break-glass accesses"

    def __str__(self) -> str:
        return f"break-glass {self.pk}"

    @property
    def is_current(self) -> bool:
        return self.expires_at > timezone.now()
