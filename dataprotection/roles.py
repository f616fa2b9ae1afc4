"""Who may open the data-protection officer's pages: one check for every views module."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from victimsupport.access import Role, has_role


def require_dpo_page(user: Any) -> None:
    """A page of the DPO's alone: anyone else gets the same 404 as an address that does not
    exist (a 403 would tell them there is something here)."""
    if not has_role(user, Role.DATA_PROTECTION_OFFICER):
        raise Http404("No page here.")
