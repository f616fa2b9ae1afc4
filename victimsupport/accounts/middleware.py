"""Session lifetime and the multi-factor requirement, enforced on every request."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from victimsupport.access import roles_of

STARTED_KEY = "vs_started"
SEEN_KEY = "vs_seen"
# Refresh the "last seen" stamp at most once a minute, so a page view does not always write
# the session row.
SEEN_GRANULARITY = 60


class SessionTimeoutMiddleware:
    """Sign out after SESSION_IDLE_TIMEOUT of inactivity or SESSION_ABSOLUTE_LIFETIME in all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.get(STARTED_KEY)
            seen = session.get(SEEN_KEY)
            if started is None or seen is None:
                session[STARTED_KEY] = session[SEEN_KEY] = now
            elif (
                now - seen > settings.SESSION_IDLE_TIMEOUT
                or now - started > settings.SESSION_ABSOLUTE_LIFETIME
            ):
                logout(request)
                messages.info(request, _("You were signed out after a period of inactivity."))
                login = reverse("account_login")
                if request.method == "GET":
                    login += "?" + urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(login)
            elif now - seen >= SEEN_GRANULARITY:
                session[SEEN_KEY] = now
        return self.get_response(request)


def mfa_required_for(user: Any) -> bool:
    """Whether ``user`` must sign in with a second factor (MFA_REQUIRED_ROLES: in production,
    every role, since every role reads case data)."""
    if not settings.MFA_ENFORCE:
        return False
    if settings.MFA_REQUIRED_FOR_ALL or user.is_superuser or user.is_staff:
        return True  # anyone who can reach the administration
    # Someone with no role sees no case, whatever they were granted (Case.visible_to).
    return bool(roles_of(user) & set(settings.MFA_REQUIRED_ROLES))


class RequireMFAMiddleware:
    """Users whose role requires two-factor authentication must set it up before anything else.

    They may still reach the set-up pages, sign out, and static files.
    """

    ALLOWED_PREFIXES = (
        "/accounts/2fa/",
        "/accounts/logout/",
        "/accounts/reauthenticate/",
        # The language switcher, so the set-up pages can be read in one's own language.
        "/i18n/",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not request.path.startswith(settings.STATIC_URL)
            and mfa_required_for(user)
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            messages.warning(
                request,
                _(
                    "Your role requires two-factor authentication. Set up an authenticator app "
                    "to continue."
                ),
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
