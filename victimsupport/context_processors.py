from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest
from django.urls import reverse
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
        items.append(("referrals:dashboard", _("Partner network")))
    if roles & {Role.CASEWORKER, Role.SUPERVISOR, Role.ADMINISTRATOR}:
        items.append(("referrals:directory", _("Partners")))
    # Premises: a supervisor's dashboard (which links to the sites), or the list of sites.
    if Role.SUPERVISOR in roles:
        items.append(("premises:dashboard", _("Premises")))
    elif roles & {Role.CASEWORKER, Role.AUDITOR}:
        items.append(("premises:sites", _("Premises")))
    if roles & {Role.SUPERVISOR, Role.ADMINISTRATOR}:
        items.append(("risk:training", _("Training")))
    if Role.DATA_PROTECTION_OFFICER in roles:
        items.append(("dataprotection:dashboard", _("Data protection")))
    if roles & {Role.AUDITOR, Role.DATA_PROTECTION_OFFICER}:
        items.append(("audit_log", _("Audit log")))
    if Role.ADMINISTRATOR in roles:
        items.append(("admin:index", _("Administration")))
    if Role.PARTNER in roles:
        # A partner user's whole service: the referrals sent to their organisation.
        items.append(("referrals:inbox", _("Referrals")))
    return {"nav_items": items, "user_roles": sorted(Role(r).label for r in roles)}


def language_next(request: HttpRequest) -> dict[str, Any]:
    """Where the language switcher brings the person back to: the page's path (never its
    query string). A page shown in answer to a form (a POST, e.g. a note refused with what to
    correct) has an address that answers POST only: back to the page the form was sent from
    (its same-origin Referer, path only), or home."""
    if request.method == "GET":
        return {"language_next": request.path}
    referer = urlsplit(request.META.get("HTTP_REFERER", ""))
    same_origin = referer.netloc == request.get_host() and referer.scheme in ("http", "https")
    if same_origin and referer.path.startswith("/") and referer.path != request.path:
        return {"language_next": referer.path}
    return {"language_next": reverse("home")}
