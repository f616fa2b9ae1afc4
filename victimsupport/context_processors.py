from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from victimsupport.access import Role, roles_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Main navigation for the signed-in user's roles (views still check every permission)."""
    user = getattr(request, "user", None)
    roles = roles_of(user) if user is not None else frozenset()
    items: list[tuple[str, str]] = []
    if roles & {Role.CASEWORKER, Role.SUPERVISOR}:
        items.append(("cases:list", _("Cases")))
        items.append(("cases:intake", _("Intake")))
    if Role.SUPERVISOR in roles:
        items.append(("risk:dashboard", _("Risk dashboard")))
        items.append(("cases:break_glass", _("Emergency access")))
    if roles & {Role.SUPERVISOR, Role.ADMINISTRATOR}:
        items.append(("risk:training", _("Training")))
    if roles & {Role.AUDITOR, Role.DATA_PROTECTION_OFFICER}:
        items.append(("audit_log", _("Audit log")))
    if Role.ADMINISTRATOR in roles:
        items.append(("admin:index", _("Administration")))
    return {"nav_items": items, "user_roles": sorted(Role(r).label for r in roles)}
