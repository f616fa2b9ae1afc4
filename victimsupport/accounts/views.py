from __future__ import annotations

from typing import Any

from allauth.account.views import PasswordResetView as AllauthPasswordResetView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from victimsupport.accounts.adapter import MailNotSent
from victimsupport.accounts.forms import PreferencesForm
from victimsupport.accounts.language import apply_language
from victimsupport.accounts.services import user_set_preferred_language


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


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """The signed-in staff member's own preferences (their language)."""
    user = request.user
    form = PreferencesForm(
        request.POST or None, initial={"preferred_language": user.preferred_language}
    )
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["preferred_language"]
        user_set_preferred_language(user=user, language=language)
        response = redirect("account_preferences")
        # Applied at once: the message below and the next page are in the new language.
        apply_language(response, language)
        messages.success(request, _("Your preferences are saved."))
        return response
    return render(request, "account/preferences.html", {"form": form})
