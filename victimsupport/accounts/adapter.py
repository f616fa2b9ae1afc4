from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from victimsupport.accounts import throttle


class AccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by administrators only: there is no self sign-up."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        # The same words for every address, known or not: it says to wait, nothing more.
        "too_many_login_attempts": _(
            "Too many failed login attempts. Please wait a few minutes, then try again."
        ),
    }

    def is_open_for_signup(self, request: Any) -> bool:
        return False

    # --- Sign-in throttling (see victimsupport.accounts.throttle) ---------------------------

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        usage = throttle.consume(request, credentials)
        if usage is None:
            raise self.validation_error("too_many_login_attempts")
        # allauth's authenticate() rolls this back when the password is right.
        self._login_failed_rl_usage = throttle.failures_only(usage)

    def _delete_login_attempts_cached_email(self, request: HttpRequest, **credentials: Any) -> None:
        # Called by allauth after a successful password reset, once per address of the user.
        throttle.forget_failures(request, credentials.get("email") or "")

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse:
        response = super().post_login(request, user, **kwargs)
        throttle.remember_browser(request, response, user)
        return response
