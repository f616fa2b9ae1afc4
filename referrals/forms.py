"""Forms of the referral network, one part each (as in services.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from victimsupport import limits
from victimsupport.concurrency import VersionedFormMixin
from victimsupport.limits import LimitedCharField, LimitedEmailField

# --- The directory: partners, agreements, meetings, partner users -----------------------------


class PartnerUserForm(forms.Form):
    name = LimitedCharField(label=_("Name"), max_length=150)
    email = LimitedEmailField(
        label=_("E-mail address"),
        max_length=limits.EMAIL,
        help_text=_(
            "They sign in with it. An e-mail goes to it at once for them to choose their own "
            "password."
        ),
    )


# --- Consents to share -------------------------------------------------------------------------


# --- Referrals: drafting, the package, sending, overrides (staff) -----------------------------


# --- Referrals: the partner's answers ----------------------------------------------------------


class AcceptForm(VersionedFormMixin, forms.Form):
    pass


class DeclineForm(VersionedFormMixin, forms.Form):
    reason = LimitedCharField(
        label=_("Why you cannot take this referral on"),
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The caseworker reads this to find the person help elsewhere."),
        error_messages={"required": _("Say why you cannot take this referral on.")},
    )


class OutcomeForm(VersionedFormMixin, forms.Form):
    outcome = LimitedCharField(
        label=_("Outcome"),
        max_length=limits.DETAILS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you did for the person, and anything the caseworker should know."),
        error_messages={"required": _("Say what came of the referral.")},
    )
