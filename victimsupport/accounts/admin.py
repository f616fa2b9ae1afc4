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

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser grants superuser status or permissions outside the roles.
            readonly += ["is_superuser", "user_permissions"]
        if obj is not None and obj.pk == request.user.pk:
            # Nobody changes their own roles or teams: an administrator must not be able to
            # give themselves a caseworker's access to case files.
            readonly += ["groups", "teams", "is_staff", "is_active"]
        return readonly

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        # Deactivate instead: audit entries keep pointing at the person who acted.
        return False


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
