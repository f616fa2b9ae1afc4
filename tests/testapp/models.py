"""Models that exist only in tests: one of each encrypted field type and a blind index, and
throwaway models showing what `visible_to` can say."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from cases.models import CaseChildQuerySet
from victimsupport import pdfjobs
from victimsupport.access import CASE_ROLES, Role, roles_of
from victimsupport.crypto.fields import (
    BlindIndexField,
    EncryptedBinaryField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
)


class Secret(models.Model):
    label = models.CharField(max_length=20, default="plain")
    text = EncryptedTextField(null=True, blank=True)
    name = EncryptedCharField(max_length=50, null=True, blank=True)
    born = EncryptedDateField(null=True, blank=True)
    answers = EncryptedJSONField(null=True, blank=True)
    blob = EncryptedBinaryField(null=True, blank=True)
    email = EncryptedCharField(max_length=200, null=True, blank=True)
    email_index = BlindIndexField(source="email", normaliser="email")
    name_index = BlindIndexField(source="name", normaliser="name")

    def __str__(self) -> str:
        # Deliberately leaky: the audit log must not use __str__ for encrypted models.
        return f"Secret {self.name}"


# Throwaway models showing that ``visible_to`` can say what the next features need (referrals,
# the auditor's evidence, premises). Relations to other apps' tables carry no database
# constraint: this app has no migrations, and its tables are made before theirs.


def _link(to: str, **kwargs: Any) -> models.ForeignKey:
    return models.ForeignKey(
        to, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", **kwargs
    )


class Organisation(models.Model):
    name = models.CharField(max_length=50)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", db_constraint=False
    )


class HandoverQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> HandoverQuerySet:
        """Only members of the organisation it was sent to, and only while it is open: not
        the team that sent it, whatever they see of the case."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(sent_to__members=user, is_open=True).annotate(
            can_write=models.Value(False)
        )


class Handover(models.Model):
    """Like a referral: a case's file sent to a partner organisation."""

    case = _link("cases.Case")
    sent_to = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    is_open = models.BooleanField(default=True)

    objects = HandoverQuerySet.as_manager()


class PersonQuerySet(CaseChildQuerySet):
    def visible_to(self, user: Any) -> models.QuerySet:
        """Staff who see the case see the person; an auditor sees every row, but as a model
        with no identifying field at all, so nothing can load a name later."""
        if Role.AUDITOR in roles_of(user):
            return PseudonymousPerson.objects.annotate(can_write=models.Value(False))
        return super().visible_to(user)


class Person(models.Model):
    case = _link("cases.Case")
    name = EncryptedCharField(max_length=50)
    area = models.CharField(max_length=20)

    objects = PersonQuerySet.as_manager()


class PseudonymousPerson(models.Model):
    """The rows of Person without what identifies them (same table, fewer columns)."""

    case = _link("cases.Case")
    area = models.CharField(max_length=20)

    class Meta:
        managed = False
        db_table = "testapp_person"


class SiteQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> SiteQuerySet:
        """Staff of the site's team (caseworkers and supervisors); supervisors may change it."""
        roles = roles_of(user)
        if not roles & CASE_ROLES:
            return self.none()
        return self.filter(team__in=user.teams.all()).annotate(
            can_write=models.Value(Role.SUPERVISOR in roles)
        )


class Site(models.Model):
    """Like premises: a place that belongs to a team, not to a case."""

    team = _link("accounts.Team")
    name = models.CharField(max_length=50)

    objects = SiteQuerySet.as_manager()


# A background document that is not about a case: a site's report, made by the same task as
# the case file, visible to its requester while they are staff of the site's team.


class SiteReportJobQuerySet(pdfjobs.DocumentJobQuerySet):
    def visible_to(self, user: Any) -> SiteReportJobQuerySet:
        """The requester's own unexpired reports, while they may still see the site."""
        sites = Site.objects.visible_to(user).values("pk")
        return super().visible_to(user).filter(site__in=sites)


class SiteReportJob(pdfjobs.DocumentJob):
    site = _link("testapp.Site")
    # No database constraint, like every relation of this app (its tables come first).
    requested_by = _link(settings.AUTH_USER_MODEL)

    objects = SiteReportJobQuerySet.as_manager()

    FILENAME = "site-report.pdf"

    def get_absolute_url(self) -> str:
        return reverse("site_report_status", args=[self.pk])

    def subject(self) -> Site | None:
        return Site.objects.visible_to(self.requested_by).filter(pk=self.site_id).first()

    def get_download_url(self) -> str:
        return reverse("site_report_download", args=[self.pk])

    def get_retry_url(self) -> str:
        return reverse("site_report_request", args=[self.site_id])
