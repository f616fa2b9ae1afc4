"""The audit log: django-auditlog's entry, made append-only and sealed in a hash chain."""

from __future__ import annotations

from typing import Any

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.conf import settings
from django.db import models


class AuditLogImmutable(Exception):
    """Raised on any attempt to change or delete an audit entry through the ORM."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditLogImmutable("Audit entries are append-only and cannot be changed.")

    def delete(self) -> Any:
        raise AuditLogImmutable("Audit entries are append-only and cannot be deleted.")

    def bulk_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AuditLogImmutable("Audit entries are sealed one by one; bulk_create is refused.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> Any:
        raise AuditLogImmutable("Audit entries are append-only.")


class AuditEntryManager(LogEntryManager.from_queryset(AuditEntryQuerySet)):  # type: ignore[misc]
    pass


class AuditEntry(AbstractLogEntry):
    """One change or access. ``seq``, ``prev_seal`` and ``seal`` chain the entries together:
    ``seal = HMAC(audit key, prev_seal, seq, content)``; ``manage.py verify_audit`` walks it."""

    # PROTECT, not auditlog's SET_NULL / CASCADE: deleting a user or a content type would
    # otherwise rewrite or remove sealed entries behind the chain's back. Deactivate users.
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        blank=True,
        null=True,
        related_name="+",
    )
    seq = models.PositiveBigIntegerField(unique=True, null=True, editable=False)
    prev_seal = models.CharField(max_length=64, blank=True, editable=False)
    seal = models.CharField(max_length=64, blank=True, editable=False)

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        # The log is read newest first (by seq) and filtered by who and what: a page of one
        # person's or one kind's entries is a seek into one of these, not a walk of the log.
        indexes = [
            models.Index(fields=["actor", "-seq"], name="audit_actor_seq_idx"),
            models.Index(fields=["action", "-seq"], name="audit_action_seq_idx"),
        ]

    @property
    def access_label(self) -> str:
        """ "Viewed", "Exported"... for access entries; empty for changes."""
        from victimsupport.audit.services import AccessKind

        kind = (self.additional_data or {}).get("access")
        return str(AccessKind(kind).label) if kind in AccessKind.values else ""

    @property
    def refusal(self) -> dict[str, Any] | None:
        """For a refused-access entry: the route's name, the answer and the hour's count."""
        data = self.additional_data or {}
        if data.get("access") != "refused":
            return None
        return {key: data.get(key) for key in ("route", "status", "count")}

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Append-only is enforced here, in the one place every ORM write passes through.
        # Sealing must happen at insert time under the chain lock, so it cannot be a service.
        if not self._state.adding or self.seq is not None:
            raise AuditLogImmutable("Audit entries are append-only and cannot be changed.")
        from victimsupport.audit.chain import seal_and_insert

        seal_and_insert(
            self, lambda **how: super(AuditEntry, self).save(*args, **{**kwargs, **how})
        )

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AuditLogImmutable("Audit entries are append-only and cannot be deleted.")


class ChainHead(models.Model):
    """The last sealed entry. Locked while an entry is appended, so the chain never forks;
    it also lets verify_audit notice entries removed from the end of the log."""

    seq = models.PositiveBigIntegerField(default=0)
    seal = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "audit chain head"

    def __str__(self) -> str:
        return f"audit chain at {self.seq}"


class RefusalCount(models.Model):
    """Refused requests for case-bound addresses, counted per person, route, answer and hour.

    A script trying id after id must leave a trace without flooding the sealed log (every
    sealed entry takes the chain lock): the count lives here, and only the hour's first
    refusal and each tenfold (10, 100, 1000...) becomes a sealed entry. No id, path or
    query string is kept: the route's name says what kind of thing was tried.
    """

    # PROTECT, as on the sealed entries that point at these rows: deactivate users instead.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="refusal_counts"
    )
    route = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()

    class Meta:
        verbose_name = "refused-access count"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "route", "status", "window_start"],
                name="audit_refusal_one_row_per_window",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=(403, 404)), name="audit_refusal_status_403_404"
            ),
        ]
        indexes = [models.Index(fields=["window_start"], name="audit_refusal_window")]

    def __str__(self) -> str:
        hour = f"{self.window_start:%Y-%m-%d %H}:00"
        return f"{self.count} refused {self.route} ({self.status}) from {hour}"
