"""Forms of the referral network, one part each (as in services.py)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cases.models import Consent
from referrals.models import (
    SHAREABLE_CATEGORIES,
    OrganisationKind,
    PartnerOrganisation,
    Purpose,
)
from victimsupport import limits
from victimsupport.casefile import Category
from victimsupport.limits import LimitedCharField
from victimsupport.widgets import DateInput

# --- The directory: partners, agreements, meetings, partner users -----------------------------


# --- Consents to share -------------------------------------------------------------------------

# What each part of the file holds, in words the person can agree to.
CATEGORY_EXPLANATIONS = {
    Category.IDENTITY: _("who they are: name, date of birth, language, children or dependants"),
    Category.CONTACT_DETAILS: _("how to reach them: phone, e-mail, address"),
    Category.SAFETY: _("the safe ways and times to contact them, and when not to"),
    Category.RISK: _("the risk assessments and the level of risk"),
    Category.NEEDS: _("what they need help with"),
    Category.NOTES: _("the caseworkers' notes and the record of contacts"),
    Category.DOCUMENTS: _("the documents kept in their file"),
    Category.CONSENTS: _("the consents they have given"),
    Category.THIRD_PARTIES: _("other people in their story, such as the person they fear"),
}
EXPLAINED_CATEGORIES = [
    (
        value,
        format_lazy(
            "{label}: {explanation}", label=label, explanation=CATEGORY_EXPLANATIONS[value]
        ),
    )
    for value, label in SHAREABLE_CATEGORIES
]

# A suggestion only: the person says how long their consent lasts.
SUGGESTED_CONSENT_DAYS = 183


class SharingConsentForm(forms.Form):
    recipient = forms.ChoiceField(
        label=_("Who may receive the information?"),
        choices=[
            ("partner", _("This organisation")),
            ("kind", _("Any organisation of this kind in our network")),
        ],
        widget=forms.RadioSelect,
    )
    partner = forms.ModelChoiceField(
        label=_("The organisation"),
        queryset=PartnerOrganisation.objects.none(),
        required=False,
        empty_label=_("Choose an organisation"),
    )
    partner_kind = forms.ChoiceField(
        label=_("The kind of organisation"),
        choices=[("", _("Choose a kind")), *OrganisationKind.choices],
        required=False,
    )
    purpose = forms.ChoiceField(
        label=_("For what purpose?"),
        choices=Purpose.choices,
        widget=forms.RadioSelect,
        help_text=_("One purpose: a consent for another purpose is given separately."),
    )
    categories = forms.MultipleChoiceField(
        label=_("Which parts of their file may be shared?"),
        choices=EXPLAINED_CATEGORIES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only what is ticked may go. Internal staff notes are never shared."),
        error_messages={"required": _("Choose at least one part of the file that may be shared.")},
    )
    method = forms.ChoiceField(
        label=_("How was consent given?"),
        choices=Consent.Method.choices,
        widget=forms.RadioSelect,
    )
    witness = LimitedCharField(
        label=_("Witness (if any)"), max_length=limits.LONG_NAME, required=False
    )
    expires_on = forms.DateField(
        label=_("Consent ends on"),
        widget=DateInput(),
        help_text=_("Agree an end date with them; about six months is usual."),
        error_messages={
            "required": _("Say until when the consent lasts: a consent to share always ends.")
        },
    )

    def __init__(self, *args: Any, partners: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault(
            "expires_on", timezone.localdate() + datetime.timedelta(days=SUGGESTED_CONSENT_DAYS)
        )
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        recipient = data.get("recipient")
        if recipient == "partner":
            data["partner_kind"] = ""
            if not data.get("partner"):
                self.add_error("partner", _("Choose the organisation."))
        elif recipient == "kind":
            data["partner"] = None
            if not data.get("partner_kind"):
                self.add_error("partner_kind", _("Choose the kind of organisation."))
        expires = data.get("expires_on")
        if expires and expires < timezone.localdate():
            self.add_error("expires_on", _("The end date is in the past."))
        return data

    def terms(self) -> dict[str, Any]:
        """The consent's terms, as ``sharing_consent_give`` takes them."""
        data = self.cleaned_data
        return {
            "partner": data["partner"],
            "partner_kind": data["partner_kind"],
            "purpose": data["purpose"],
            "categories": data["categories"],
            "method": data["method"],
            "witness": data["witness"],
            "expires_on": data["expires_on"],
        }


# --- Referrals: drafting, the package, sending, overrides (staff) -----------------------------


# --- Referrals: the partner's answers ----------------------------------------------------------
