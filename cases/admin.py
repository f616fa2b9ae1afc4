from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Max

from cases.models import ConfidentialityNotice


@admin.register(ConfidentialityNotice)
class ConfidentialityNoticeAdmin(admin.ModelAdmin):
    """Administrators publish a new version; a published one is never edited, because
    acknowledgements point at the exact words a victim was given."""

    list_display = ("version", "title", "published_at")
    fields = ("version", "title", "body", "published_at")
    readonly_fields = ("version",)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def save_model(self, request: Any, obj: ConfidentialityNotice, form: Any, change: bool) -> None:
        if not change:
            obj.version = (ConfidentialityNotice.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        super().save_model(request, obj, form, change)
