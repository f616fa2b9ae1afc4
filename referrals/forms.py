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
    Agreement,
    Channel,
    OrganisationKind,
    OverrideGround,
    PartnerOrganisation,
    Purpose,
    Urgency,
)
from referrals.package import PACKAGE_CATEGORIES
from referrals.services import OVERRIDE_REASON_MIN
from victimsupport import limits
from victimsupport.casefile import Category
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

    def __init__(
        self, *args: Any, replacing: bool = False, fixed_terms: tuple = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Terms a referral went under: shown, not changed (a change is a new agreement).
        for name in fixed_terms:
            self.fields[name].disabled = True
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


class ReferralForm(forms.Form):
    """A referral's terms: drafted, previewed, then sent."""

    partner = forms.ModelChoiceField(
        label=_("Partner organisation"),
        queryset=PartnerOrganisation.objects.filter(is_active=True).order_by("name"),
        empty_label=_("Choose a partner"),
    )
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Urgency.choices, initial=Urgency.ROUTINE
    )
    message = forms.CharField(
        label=_("Message to the partner"),
        max_length=limits.DETAILS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "What you ask of them and what they need to know first. The partner reads this; "
            "keep staff notes out of it."
        ),
    )
    categories = forms.MultipleChoiceField(
        label=_("Parts of the file to send"),
        choices=PACKAGE_CATEGORIES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only what the partner needs. You will see the package exactly as they will "
            "before it goes."
        ),
    )


class ReferralEditForm(VersionedFormMixin, ReferralForm):
    pass


class ReferralSendForm(VersionedFormMixin, forms.Form):
    """Sending names the version previewed and the digest of the package previewed: a draft,
    or a case file, changed since is not sent unseen."""

    preview = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class OverrideRequestForm(VersionedFormMixin, forms.Form):
    ground = forms.ChoiceField(
        label=_("Legal ground"), choices=OverrideGround.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Why it cannot wait for the person's consent"),
        min_length=OVERRIDE_REASON_MIN,
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "A supervisor decides on what you write here, and it stays on the record. Say what "
            "the danger or the duty is, and why this partner must know now."
        ),
    )


class OverrideDecideForm(VersionedFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve and send now")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note to the caseworker"),
        required=False,
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when you refuse: say why, so that they know what to do next."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("decision") == "refuse" and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Say why you refuse, so that the caseworker knows."))
        return cleaned


# --- Referrals: the partner's answers ----------------------------------------------------------


class _AnswerForm(VersionedFormMixin, forms.Form):
    """The partner's page holds the three answers at once: each form's ids are its own, so
    that no id (the hidden version's above all) is used twice on the page."""

    ID_PREFIX = "answer"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.ID_PREFIX}_%s")
        super().__init__(*args, **kwargs)


class AcceptForm(_AnswerForm):
    ID_PREFIX = "accept"


class DeclineForm(_AnswerForm):
    ID_PREFIX = "decline"

    reason = LimitedCharField(
        label=_("Why you cannot take this referral on"),
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The caseworker reads this to find the person help elsewhere."),
        error_messages={"required": _("Say why you cannot take this referral on.")},
    )


class OutcomeForm(_AnswerForm):
    ID_PREFIX = "outcome"

    outcome = LimitedCharField(
        label=_("Outcome"),
        max_length=limits.DETAILS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you did for the person, and anything the caseworker should know."),
        error_messages={"required": _("Say what came of the referral.")},
    )


class RecordAnswerForm(VersionedFormMixin, forms.Form):
    """Staff record the answer a partner without accounts gave them: the answers the
    referral's state allows (accept or decline a sent one; the outcome of an accepted one)."""

    ANSWERS = {
        "accept": _("They accept it"),
        "decline": _("They cannot take it on"),
        "complete": _("Their work with the person has ended: record the outcome"),
    }

    answer = forms.ChoiceField(
        label=_("The partner's answer"),
        choices=[],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the partner's answer.")},
    )
    reason = LimitedCharField(
        label=_("Why they cannot take it on"),
        max_length=limits.REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when they cannot take it on, to find the person help elsewhere."),
    )
    outcome = LimitedCharField(
        label=_("Outcome"),
        max_length=limits.DETAILS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What they did for the person, as they told you."),
    )

    def __init__(self, *args: Any, status: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if status == "accepted":
            answers = ["complete"]
            del self.fields["reason"]
        else:
            answers = ["accept", "decline"]
            del self.fields["outcome"]
        self.fields["answer"].choices = [(a, self.ANSWERS[a]) for a in answers]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        answer = cleaned.get("answer")
        if answer == "decline" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Say why the partner cannot take it on."))
        if answer == "complete" and not (cleaned.get("outcome") or "").strip():
            self.add_error("outcome", _("Say what came of the referral."))
        return cleaned
