"""Forms of the referral network, one part each (as in services.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from referrals.models import (
    SHAREABLE_CATEGORIES,
    Agreement,
    Channel,
    OrganisationKind,
    Purpose,
)
from victimsupport import limits
from victimsupport.concurrency import VersionedFormMixin
from victimsupport.limits import LimitedCharField, LimitedEmailField
from victimsupport.widgets import DateInput

# --- The directory: partners, agreements, meetings, partner users -----------------------------


def _text(label: Any, limit: int, *, rows: int = 3, **kwargs: Any) -> LimitedCharField:
    return LimitedCharField(
        label=label,
        max_length=limit,
        required=False,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


class PartnerForm(forms.Form):
    name = LimitedCharField(
        label=_("Name of the organisation"),
        max_length=limits.LONG_NAME,
        error_messages={"required": _("Give the organisation's name.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind of organisation"),
        choices=[("", _("Choose…")), *OrganisationKind.choices],
        error_messages={"required": _("Choose the kind of organisation.")},
    )
    services = _text(_("Services they offer"), limits.DESCRIPTION)
    eligibility = _text(_("Who they take"), limits.DESCRIPTION)
    areas = _text(_("Areas they cover"), limits.DESCRIPTION, rows=2)
    languages = LimitedCharField(
        label=_("Languages they work in"), max_length=limits.SHORT_TEXT, required=False
    )
    contacts = _text(
        _("Contacts"),
        limits.DESCRIPTION,
        help_text=_("Names, telephone numbers and addresses of the people to speak to."),
    )
    notify_email = LimitedEmailField(
        label=_("Address for notices"),
        max_length=limits.EMAIL,
        required=False,
        help_text=_(
            "Where 'a referral is waiting' notices go. They never carry anything about a case."
        ),
    )
    channel = forms.ChoiceField(
        label=_("Preferred secure channel"),
        choices=[("", _("Choose…")), *Channel.choices],
        error_messages={"required": _("Choose how they prefer to receive referrals.")},
    )
    is_active = forms.BooleanField(
        label=_("Active: referrals may be sent to them"), required=False, initial=True
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # The page carries the values it showed: only what this person changed is saved,
            # so a colleague's change saved meanwhile to another field is not undone.
            for field in self.fields.values():
                field.show_hidden_initial = True


class DirectoryFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *OrganisationKind.choices]
    )
    active = forms.ChoiceField(
        label=_("Active"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Active")), ("no", _("No longer active"))],
    )


class AgreementForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Type of agreement"),
        choices=Agreement.Type.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the type of agreement.")},
    )
    purposes = forms.MultipleChoiceField(
        label=_("Purposes it covers"),
        choices=Purpose.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one purpose the agreement covers.")},
    )
    categories = forms.MultipleChoiceField(
        label=_("Parts of the case file it covers"),
        choices=SHAREABLE_CATEGORIES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one part of the case file the agreement covers.")
        },
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    valid_to = forms.DateField(label=_("Valid to"), widget=DateInput())
    review_on = forms.DateField(label=_("Review date"), required=False, widget=DateInput())
    signed_copy = forms.FileField(
        label=_("Signed copy (PDF, JPEG or PNG)"),
        error_messages={"required": _("Attach the signed copy of the agreement.")},
    )

    def __init__(self, *args: Any, replacing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if replacing:
            field = self.fields["signed_copy"]
            field.required = False
            field.label = _("Replace the signed copy (PDF, JPEG or PNG)")
            field.help_text = _("Leave empty to keep the copy already kept.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("valid_from")
            and data.get("valid_to")
            and data["valid_to"] < data["valid_from"]
        ):
            self.add_error(
                "valid_to", _("The agreement ends before it starts: check the two dates.")
            )
        return data


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=_("Date of the meeting"), widget=DateInput())
    attendees = LimitedCharField(
        label=_("Who attended"),
        max_length=limits.DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say who attended.")},
    )
    notes = _text(_("Notes"), limits.NOTE, rows=5, help_text=_("Kept encrypted."))
    next_on = forms.DateField(label=_("Next meeting"), required=False, widget=DateInput())


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
