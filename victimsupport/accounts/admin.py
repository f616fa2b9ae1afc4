from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from victimsupport.accounts.models import Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Teams", {"fields": ("teams",)}),
    )
    filter_horizontal = ("groups", "user_permissions", "teams")
    list_display = ("username", "email", "first_name", "last_name", "is_active")

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        # Deactivate instead: audit entries keep pointing at the person who acted.
        return False


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
