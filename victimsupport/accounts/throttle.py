"""Failed sign-ins slow guessing down without locking an office out.

A cool-off counts the failures of one account *from one place*: a browser that has signed in
to that account before (the known-browser cookie), or else one network address. It is absolute:
during it even the right password waits, so guessing one account from one place stays slow.
Colleagues behind the same office address, and the owner on their own browser, are not in
that place's cool-off, so someone else's failures do not refuse them.

Wider limits count failures per account across all addresses, and per address across all
accounts (spraying), plus attempts per address. They refuse only a *wrong* password: over one,
the password is still checked; a right one signs in (production then asks every role for its
second factor, which allauth limits itself), a wrong one gets the throttle message instead of
"wrong password" and is counted. So an attacker who fills them cannot keep anyone with the
right password out, on a new browser or not. Unknown accounts get the same answer, after the
same password hashing (allauth's backend hashes for them too). A known browser is exempt from
the wider limits altogether.

Counting uses allauth's rate limiter (the same cache, the same "consume before, roll back on
success" rule as allauth's own login_failed limit); the rates are ACCOUNT_RATE_LIMITS entries.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from typing import Any

from allauth.core.internal import ratelimit
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.http import HttpRequest, HttpResponseBase
from django.utils.crypto import salted_hmac

APP = "allauth.account"
# Failures of one account from one browser or one address: the cool-off (absolute).
COOLOFF = "login_failed"
# The wide limits, which refuse only a wrong password.
# Failures of one account from anywhere.
PER_ACCOUNT = "login_failed_account"
# Failures from one address, whatever the account: password spraying.
PER_ADDRESS = "login_failed_address"
# Attempts, failed or not, from one address. Counted here instead of by allauth's "login" view
# limit, which would refuse before the password is checked, and a known browser too.
ADDRESS_ATTEMPTS = "login_address"

COOKIE = "vs_known_browser"
SALT = "victimsupport.accounts.known-browser"
# Several people may share one office computer; each keeps their own entry.
ACCOUNTS_PER_BROWSER = 5


def _login(credentials: dict[str, Any]) -> str:
    return str(credentials.get("email") or credentials.get("username") or "").strip().lower()


def _fingerprint(user: Any) -> str:
    # Bound to the password hash: changing or resetting the password forgets every browser.
    return salted_hmac(SALT, f"{user.pk}:{user.password}", algorithm="sha256").hexdigest()[:32]


def _max_age() -> int:
    return settings.LOGIN_KNOWN_BROWSER_DAYS * 86400


def _entries(request: HttpRequest) -> list[dict[str, Any]]:
    raw = request.COOKIES.get(COOKIE)
    if not raw:
        return []
    try:
        entries = signing.loads(raw, salt=SALT, max_age=_max_age())
    except signing.BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    # Each person's entry ages on its own: a colleague signing in on a shared computer does
    # not extend it.
    oldest = time.time() - _max_age()
    return [
        e
        for e in entries
        if isinstance(e, dict) and {"u", "t", "h", "at"} <= e.keys() and e["at"] >= oldest
    ][:ACCOUNTS_PER_BROWSER]


def known_browser_token(request: HttpRequest, login: str) -> str | None:
    """This browser's token for the account ``login``, if it has signed in to it before."""
    entries = _entries(request)
    if not entries or not login:
        return None
    users = get_user_model().objects.filter(pk__in=[e["u"] for e in entries], is_active=True)
    by_pk = {user.pk: user for user in users}
    for entry in entries:
        user = by_pk.get(entry["u"])
        if (
            user is not None
            and user.email.lower() == login
            and secrets.compare_digest(str(entry["h"]), _fingerprint(user))
        ):
            return str(entry["t"])
    return None


@dataclasses.dataclass
class Attempt:
    """One sign-in attempt as counted: what a success rolls back, and whether a wide limit
    was already full (then a wrong password is refused with the throttle message)."""

    usage: ratelimit.RateLimitUsage
    over_wide_limit: bool


def consume(request: HttpRequest, credentials: dict[str, Any]) -> Attempt | None:
    """Count one sign-in attempt; None if the account is in cool-off from this place (nothing
    is counted then: a refused attempt must not fill the other counters)."""
    login = _login(credentials)
    token = known_browser_token(request, login)
    if token:
        place = f"browser:{token}"
        wide: list[tuple[str, str | None]] = []
    else:
        place = f"address:{ratelimit.get_ip(request)}"
        wide = [(PER_ACCOUNT, login), (PER_ADDRESS, None), (ADDRESS_ATTEMPTS, None)]
    cooloff = ratelimit.consume(request, app=APP, action=COOLOFF, key=f"{login}|{place}")
    if cooloff is None:
        return None
    taken = list(cooloff.usage)
    over = False
    for action, key in wide:
        usage = ratelimit.consume(request, app=APP, action=action, key=key)
        if usage is None:
            # Full: not refused yet. The other counters still count this attempt.
            over = True
        else:
            taken += usage.usage
    return Attempt(usage=ratelimit.RateLimitUsage(usage=taken), over_wide_limit=over)


def failures_only(usage: ratelimit.RateLimitUsage) -> ratelimit.RateLimitUsage:
    """What a success rolls back: every counter but the address's attempts."""
    marker = f":{ADDRESS_ATTEMPTS}:"
    return ratelimit.RateLimitUsage(usage=[u for u in usage.usage if marker not in u.cache_key])


def forget_failures(request: HttpRequest, login: str) -> None:
    """After a password reset: the account's own counters start again (not the address's)."""
    login = login.strip().lower()
    ratelimit.clear(request, app=APP, action=PER_ACCOUNT, key=login)
    address = ratelimit.get_ip(request)
    ratelimit.clear(request, app=APP, action=COOLOFF, key=f"{login}|address:{address}")


def remember_browser(request: HttpRequest, response: HttpResponseBase, user: Any) -> None:
    """Mark this browser as one that has signed in to ``user`` (signed, HttpOnly cookie)."""
    others = [e for e in _entries(request) if e["u"] != user.pk]
    entry = {
        "u": user.pk,
        "t": secrets.token_urlsafe(16),
        "h": _fingerprint(user),
        "at": int(time.time()),
    }
    value = signing.dumps([entry, *others][:ACCOUNTS_PER_BROWSER], salt=SALT, compress=True)
    response.set_cookie(
        COOKIE,
        value,
        max_age=_max_age(),
        path="/accounts/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
