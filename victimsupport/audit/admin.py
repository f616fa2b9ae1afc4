from __future__ import annotations

from typing import Any

from auditlog.admin import LogEntryAdmin
from django.contrib import admin

from victimsupport.audit.models import AuditEntry


class SealedAuditEntryAdmin(LogEntryAdmin):
    """Read-only: no add, change or delete, not even for superusers."""

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: Any) -> dict[str, Any]:
        return {}


# django-auditlog registers its own admin for the entry model; ours replaces it (this app
# is listed after auditlog in INSTALLED_APPS so that its admin module is imported later).
if admin.site.is_registered(AuditEntry):
    admin.site.unregister(AuditEntry)
admin.site.register(AuditEntry, SealedAuditEntryAdmin)
