from __future__ import annotations

import logging
import smtplib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from victimsupport.accounts import mfa_secrets, throttle
from victimsupport.accounts.language import apply_preferred_language

logger = logging.getLogger(__name__)


class MailNotSent(Exception):
    """The mail server could not be reached or refused the message."""


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
        attempt = throttle.consume(request, credentials)
        if attempt is None:
            # The cool-off of this account from this place: even the right password waits.
            raise self.validation_error("too_many_login_attempts")
        # allauth's authenticate() rolls this back when the password is right.
        self._login_failed_rl_usage = throttle.failures_only(attempt.usage)
        self._over_wide_limit = attempt.over_wide_limit

    def authenticate(self, request: HttpRequest, **credentials: Any) -> Any:
        self._over_wide_limit = False
        user = super().authenticate(request, **credentials)
        if user is None and self._over_wide_limit:
            # A wide limit is full: the wrong password (counted) is told to wait, the same
            # for an unknown account, whose password allauth's backend has hashed all the
            # same. A right one has got through: someone else's failures refuse no one.
            raise self.validation_error("too_many_login_attempts")
        return user

    def _delete_login_attempts_cached_email(self, request: HttpRequest, **credentials: Any) -> None:
        # Called by allauth after a successful password reset, once per address of the user.
        throttle.forget_failures(request, credentials.get("email") or "")

    def set_password(self, user: Any, password: str) -> None:
        super().set_password(user, password)
        # After a reset (or a change) the guesses made so far are moot, and the person must
        # not stay refused for an hour because an attacker filled the account's limit. The
        # new password also forgets every known browser (the cookie is bound to it).
        if context.request is not None:
            throttle.forget_failures(context.request, user.email)

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse:
        response = super().post_login(request, user, **kwargs)
        throttle.remember_browser(request, response, user)
        apply_preferred_language(response, user)
        return response

    # --- Mail ---------------------------------------------------------------------------------

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        try:
            super().send_mail(template_prefix, email, context)
        except (smtplib.SMTPException, OSError) as exc:
            # Never the address (nor the exception's text, which may hold it): the kind of
            # failure is enough for an operator to look at the mail settings.
            code = getattr(exc, "smtp_code", None) or getattr(exc, "errno", None)
            logger.error("An e-mail could not be sent: %s (%s)", type(exc).__name__, code)
            raise MailNotSent from exc


class MFAAdapter(DefaultMFAAdapter):
    """Second-factor secrets are stored as key-ring tokens, never in the clear.

    allauth passes every TOTP secret and recovery-code seed through ``encrypt`` before it
    saves an authenticator, and through ``decrypt`` when it reads one. A value that does not
    decrypt raises DecryptionError: the sign-in fails rather than trusting it.
    """

    def encrypt(self, text: str) -> str:
        return mfa_secrets.encrypt_secret(text)

    def decrypt(self, encrypted_text: str) -> str:
        return mfa_secrets.decrypt_secret(encrypted_text)
