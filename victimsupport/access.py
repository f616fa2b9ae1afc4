"""Roles and the one way in.

Views never fetch an object reached from a URL themselves: they call ``get_for_user``, which
is built on the model's own ``visible_to(user)`` queryset method. Someone who may not see an
object gets 404 whether it exists or not; someone who may see it but not change it gets 403.
This module knows no model of any app: each model says who sees it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _


class MaySeeNotChange(PermissionDenied):
    """The one refusal answered 403: the person may see this, but not change it.

    Every other refusal (a role's page opened by another role, a plain ``PermissionDenied``)
    is answered with the same 404 as an address that does not exist: a 403 says that there
    is something here, which is true only for someone who may see it.
    """

    def __init__(self, reason: Any = "") -> None:
        super().__init__(reason or _("You may see this, but you may not change it."))
        self.reason = reason


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    SUPERVISOR = "supervisor", _("Supervisor")
    DATA_PROTECTION_OFFICER = "data_protection_officer", _("Data-protection officer")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")
    # A member of a partner organisation: sees the referral packages sent to it, nothing else.
    PARTNER = "partner", _("Partner organisation")


# Model permissions each role's group holds. They say what kind of thing a role may do; which
# cases it may do it to is decided by visible_to(), never by these (accept_global_perms=False).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CASEWORKER: ["cases.view_case", "cases.add_case", "cases.change_case"],
    Role.SUPERVISOR: [
        "cases.view_case",
        "cases.add_case",
        "cases.change_case",
        "cases.add_breakglassaccess",
        "cases.view_breakglassaccess",
    ],
    Role.DATA_PROTECTION_OFFICER: ["audit.view_auditentry"],
    Role.AUDITOR: ["audit.view_auditentry"],
    Role.ADMINISTRATOR: [
        "risk.view_instrument",
        "risk.change_instrument",
        "risk.view_instrumentversion",
        "risk.add_instrumentversion",
        "risk.change_instrumentversion",
        "risk.view_trainingrecord",
        "cases.view_confidentialitynotice",
        "cases.add_confidentialitynotice",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_team",
        "accounts.add_team",
        "accounts.change_team",
        "auth.view_group",
        "referrals.view_partnerorganisation",
        "referrals.view_agreement",
        "referrals.view_meeting",
        # --- Premises (issue 14): the organisation's premises security checklists ---
        "premises.view_checklisttemplate",
        "premises.add_checklisttemplate",
        "premises.change_checklisttemplate",
        "premises.view_checklistversion",
        "premises.add_checklistversion",
        "premises.change_checklistversion",
        # --- end of premises checklists ---
    ],
    # What a partner user may open is decided by the referrals' visible_to alone.
    Role.PARTNER: [],
}

# Roles whose members see their teams' cases.
CASE_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR})


def sync_roles(**kwargs: Any) -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    wanted = {p for perms in ROLE_PERMISSIONS.values() for p in perms}
    found = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in=[w.split(".", 1)[1] for w in wanted]
        )
    }
    if not wanted <= set(found):
        return  # an earlier post_migrate, before every app's permissions exist
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set([found[p] for p in perms])


def roles_of(user: Any) -> frozenset[str]:
    """The user's role names, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_vs_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(r for r in Role.values if r in names)
        user._vs_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def get_for_user(user: Any, model_or_queryset: Any, pk: Any, *, write: bool = False) -> Any:
    """The object ``pk`` if ``user`` may see it (and change it, with ``write``).

    ``model_or_queryset`` is a model or a queryset of it (to narrow it to the object named by
    the rest of the URL, or to choose related rows to load); either way its ``visible_to(user)``
    decides, and its ``can_write`` annotation (absent: read-only) answers ``write``.
    """
    if isinstance(model_or_queryset, type):
        queryset = model_or_queryset._default_manager.all()
    else:
        queryset = model_or_queryset
    visible_to = getattr(queryset, "visible_to", None)
    if visible_to is None:
        # A model without a rule of its own is not reachable from a URL at all.
        raise TypeError(f"{queryset.model.__name__} has no visible_to(user) queryset method.")
    try:
        obj = visible_to(user).filter(pk=pk).first()
    except (ValidationError, ValueError, TypeError):
        obj = None  # a malformed id names nothing
    if obj is None:
        # Same answer for "does not exist" and "not yours": existence is not revealed.
        raise Http404(f"No {queryset.model._meta.verbose_name} found.")
    if write and not getattr(obj, "can_write", False):
        raise MaySeeNotChange()
    return obj
