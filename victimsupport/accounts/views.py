from __future__ import annotations

from typing import Any

from allauth.account.views import PasswordResetView as AllauthPasswordResetView
from django.http import HttpResponse, HttpResponseRedirect

from victimsupport.accounts.adapter import MailNotSent


class PasswordResetView(AllauthPasswordResetView):
    """allauth's reset request, with the same answer whether the mail server works or not.

    Only accounts are mailed (ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS is off: the service must not be
    made to write to any address someone types). So a mail server that fails fails only for
    known addresses, and a different answer then would tell who has an account. Every request
    is therefore answered with the same page, worded for both cases ("on its way ... if nothing
    arrives, ask your administrator"); the adapter has logged the failure, without the address.
    """

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)
        except MailNotSent:
            # What allauth answers once the mail has gone (FormView's redirect to the done page).
            return HttpResponseRedirect(self.get_success_url())


password_reset = PasswordResetView.as_view()
