"""Forms of the referral network, one part each (as in services.py)."""

from __future__ import annotations

# --- The directory: partners, agreements, meetings, partner users -----------------------------


# --- Consents to share -------------------------------------------------------------------------


# --- Referrals: drafting, the package, sending, overrides (staff) -----------------------------


# --- Referrals: the partner's answers ----------------------------------------------------------
