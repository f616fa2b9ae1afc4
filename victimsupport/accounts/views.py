from __future__ import annotations

from typing import Any

from allauth.account.views import PasswordResetView as AllauthPasswordResetView
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from victimsupport.accounts.adapter import MailNotSent


class PasswordResetView(AllauthPasswordResetView):
    """allauth's reset request, with a clear answer when the mail server fails.

    Every address gets the same answer: allauth mails unknown addresses too
    (ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS), so a failing server fails for all of them alike.
    """

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)
        except MailNotSent:
            form.add_error(
                None,
                _(
                    "The e-mail could not be sent just now. Nothing has been changed. Please "
                    "try again later, or ask an administrator to reset your password."
                ),
            )
            response = self.form_invalid(form)
            response.status_code = 503
            return response


password_reset = PasswordResetView.as_view()
