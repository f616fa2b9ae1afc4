"""Reads of the safety part."""

from __future__ import annotations

from typing import Any

from premises.models import Site


def site_panel(site: Site, user: Any) -> dict[str, Any]:
    """What the site's page shows of this part (its template: premises/_site_safety.html)."""
    return {}
