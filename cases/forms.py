from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cases.models import (
    DATA_CATEGORY_CHOICES,
    NEED_CHOICES,
    Case,
    Consent,
    ContactLog,
    ContactMethod,
    NeedsRecord,
    NoticeAcknowledgement,
    RiskScreen,
    Victim,
    YesNoUnknown,
    document_language_choices,
)
from cases.services import BREAK_GLASS_MIN_REASON, VICTIM_FIELDS
from victimsupport import limits
from victimsupport.concurrency import VersionedFormMixin
from victimsupport.limits import LimitedCharField, LimitedEmailField
from victimsupport.widgets import DateInput


class BreakGlassForm(forms.Form):
    reference = LimitedCharField(
        label=_("Case reference"),
        max_length=limits.REFERENCE,
        help_text=_("For example VS-2026-00042."),
    )
    reason = LimitedCharField(
        label=_("Why do you need emergency access?"),
        min_length=BREAK_GLASS_MIN_REASON,
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Recorded and reviewed. Access is read-only and ends automatically."),
    )

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].strip().upper()


# --- Intake steps ------------------------------------------------------------------------
# Each form's ``answers()`` gives JSON-safe values for the encrypted draft.

YES_NO_UNKNOWN = YesNoUnknown.choices


class StepForm(forms.Form):
    def answers(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if isinstance(value, (datetime.date, datetime.datetime)):
                value = value.isoformat()
            elif isinstance(value, str):
                value = value.strip()
            out[name] = value
        return out


class SafetyForm(StepForm):
    safe_to_talk = forms.ChoiceField(
        label=_("Is it safe for them to talk now?"),
        choices=[("yes", _("Yes")), ("no", _("No: agree a safe time and end the call"))],
        widget=forms.RadioSelect,
    )
    do_not_contact = forms.BooleanField(
        label=_("Do not contact them at all (blocks every outbound contact)"), required=False
    )
    code_word = LimitedCharField(
        label=_("Code word"),
        required=False,
        max_length=limits.CODE_WORD,
        help_text=_("A word they can use to tell us they are not safe to talk."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for method, label in ContactMethod.choices:
            self.fields[f"{method}_safe"] = forms.BooleanField(
                label=format_lazy(_("{method} is safe"), method=label), required=False
            )
            self.fields[f"{method}_times"] = LimitedCharField(
                label=format_lazy(_("{method}: safe times or conditions"), method=label),
                required=False,
                max_length=limits.SHORT_TEXT,
            )

    def method_rows(self) -> list[tuple[str, Any, Any]]:
        return [
            (label, self[f"{method}_safe"], self[f"{method}_times"])
            for method, label in ContactMethod.choices
        ]


class NoticeForm(StepForm):
    method = forms.ChoiceField(
        label=_("How was the notice given?"),
        choices=NoticeAcknowledgement.Method.choices,
        widget=forms.RadioSelect,
    )
    understood = forms.BooleanField(
        label=_("They have heard or read the notice and say they understand it"),
        error_messages={"required": _("Confirm that the notice was given and understood.")},
    )


def date_of_birth_not_in_future(value: Any) -> Any:
    """The same rule at intake and when the details are edited later."""
    if value and value > datetime.date.today():
        raise forms.ValidationError(_("The date of birth cannot be in the future."))
    return value


class PersonForm(StepForm):
    given_name = LimitedCharField(label=_("Given name"), max_length=limits.NAME)
    family_name = LimitedCharField(label=_("Family name"), max_length=limits.NAME, required=False)
    preferred_name = LimitedCharField(
        label=_("Alias or preferred name"),
        max_length=limits.NAME,
        required=False,
        help_text=_("Shown in lists instead of their name."),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=DateInput(),
    )
    phone = LimitedCharField(label=_("Phone"), max_length=limits.PHONE, required=False)
    email = LimitedEmailField(label=_("Email"), max_length=limits.EMAIL, required=False)
    address = LimitedCharField(
        label=_("Address"),
        max_length=limits.ADDRESS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    address_withheld = forms.BooleanField(
        label=_("They prefer not to give an address"), required=False
    )
    language = LimitedCharField(
        label=_("Preferred language"), max_length=limits.LANGUAGE, required=False
    )
    document_language = forms.ChoiceField(
        label=_("Language for what we give them"),
        choices=document_language_choices,
        required=False,
        help_text=_("Their safety plan and their copy of the file are written in this language."),
    )
    interpreter_needed = forms.BooleanField(label=_("Needs an interpreter"), required=False)
    dependants = LimitedCharField(
        label=_("Children or other dependants"),
        max_length=limits.DETAILS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    feared_name = LimitedCharField(
        label=_("Name of the person they fear"), max_length=limits.LONG_NAME, required=False
    )
    feared_relationship = LimitedCharField(
        label=_("Their relationship to that person"), max_length=limits.NAME, required=False
    )
    feared_details = LimitedCharField(
        label=_("What else we should know about that person"),
        max_length=limits.DETAILS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_date_of_birth(self) -> Any:
        return date_of_birth_not_in_future(self.cleaned_data.get("date_of_birth"))


class ScreeningForm(StepForm):
    ongoing_threat = forms.ChoiceField(
        label=_("Is there still a threat?"), choices=YES_NO_UNKNOWN, widget=forms.RadioSelect
    )
    ongoing_victimisation = forms.ChoiceField(
        label=_("Is the harm still going on?"), choices=YES_NO_UNKNOWN, widget=forms.RadioSelect
    )
    fearful = forms.ChoiceField(
        label=_("Are they afraid of something happening?"),
        choices=YES_NO_UNKNOWN,
        widget=forms.RadioSelect,
    )
    victim_view = forms.ChoiceField(
        label=_("How at risk do they feel?"),
        choices=RiskScreen.VictimView.choices,
        widget=forms.RadioSelect,
    )
    victim_words = LimitedCharField(
        label=_("In their own words"),
        max_length=limits.DETAILS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NeedsForm(StepForm):
    categories = forms.MultipleChoiceField(
        label=_("What do they need help with?"),
        choices=NEED_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    details = LimitedCharField(
        label=_("Details"),
        max_length=limits.DETAILS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    crime_reported = forms.ChoiceField(
        label=_("Has the crime been reported?"),
        choices=NeedsRecord.CrimeReported.choices,
        widget=forms.RadioSelect,
        help_text=_("Support never depends on reporting."),
    )


class ConsentForm(StepForm):
    processing = forms.ChoiceField(
        label=_("Do they agree that we keep and use their information to support them?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(
        label=_("How was consent given?"), choices=Consent.Method.choices, widget=forms.RadioSelect
    )
    witness = LimitedCharField(
        label=_("Witness (if any)"), max_length=limits.LONG_NAME, required=False
    )


STEP_FORMS: dict[str, type[StepForm]] = {
    "safety": SafetyForm,
    "person": PersonForm,
    "screening": ScreeningForm,
    "needs": NeedsForm,
    "consent": ConsentForm,
}


# --- The case file -------------------------------------------------------------------------


class NoteForm(forms.Form):
    # Empty, it names no one: rendered once per language ({% render_form %}).
    renders_alike_when_empty = True

    body = LimitedCharField(
        label=_("Add a note"), max_length=limits.NOTE, widget=forms.Textarea(attrs={"rows": 4})
    )


class ContactForm(forms.Form):
    # Empty, it names no one: rendered once per language ({% render_form %}).
    renders_alike_when_empty = True

    direction = forms.ChoiceField(
        label=_("Direction"), choices=ContactLog.Direction.choices, widget=forms.RadioSelect
    )
    method = forms.ChoiceField(label=_("Method"), choices=ContactMethod.choices)
    summary = LimitedCharField(
        label=_("What was said or agreed"),
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    safety_checked = forms.BooleanField(
        label=_("I checked that this method was safe to use this time"), required=False
    )


class ConsentGiveForm(forms.Form):
    """A consent to keep and use the person's information. A consent to share with a partner
    names the organisation and one purpose from a list, and is given in the case file's
    "Consents to share" section."""

    # Empty, it names no one: rendered once per language ({% render_form %}).
    renders_alike_when_empty = True

    purpose = LimitedCharField(
        label=_("Purpose"), max_length=limits.REASON, widget=forms.Textarea(attrs={"rows": 2})
    )
    data_categories = forms.MultipleChoiceField(
        label=_("Which information"),
        choices=DATA_CATEGORY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    method = forms.ChoiceField(
        label=_("How it was given"), choices=Consent.Method.choices, widget=forms.RadioSelect
    )
    witness = LimitedCharField(
        label=_("Witness (if any)"), max_length=limits.LONG_NAME, required=False
    )
    expires_on = forms.DateField(label=_("Ends on"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("expires_on") and data["expires_on"] < datetime.date.today():
            self.add_error("expires_on", _("The end date is in the past."))
        return data


class WithdrawForm(VersionedFormMixin, forms.Form):
    note = LimitedCharField(label=_("Note"), max_length=limits.REASON, required=False)

    def __init__(self, *args: Any, consent_id: int, **kwargs: Any) -> None:
        # Each consent on the page has its own form: its ids name the consent.
        kwargs.setdefault("auto_id", f"id_withdraw_{consent_id}_%s")
        super().__init__(*args, **kwargs)
        self.consent_id = consent_id


class VictimForm(VersionedFormMixin, forms.ModelForm):
    document_language = PersonForm.base_fields["document_language"]

    class Meta:
        model = Victim
        fields = VICTIM_FIELDS
        widgets = {
            "date_of_birth": DateInput(),
            "address": forms.Textarea(attrs={"rows": 3}),
            "dependants": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_email(self) -> str:
        value = self.cleaned_data.get("email", "")
        if value:
            forms.EmailField().clean(value)
        return value

    def clean_date_of_birth(self) -> Any:
        return date_of_birth_not_in_future(self.cleaned_data.get("date_of_birth"))

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class DocumentForm(forms.Form):
    # Empty, it names no one: rendered once per language ({% render_form %}).
    renders_alike_when_empty = True

    file = forms.FileField(label=_("File (PDF, JPEG, PNG or text)"))
    description = LimitedCharField(
        label=_("Description"), max_length=limits.DESCRIPTION, required=False
    )


class CloseForm(forms.Form):
    # Empty, it names no one: rendered once per language ({% render_form %}).
    renders_alike_when_empty = True

    reason = LimitedCharField(
        label=_("Reason"), max_length=limits.REASON, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(forms.Form):
    # Empty, it names no one: rendered once per language ({% render_form %}).
    renders_alike_when_empty = True

    reason = LimitedCharField(
        label=_("Reason"), max_length=limits.REASON, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(VersionedFormMixin, forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=None)
    assigned_to = forms.ModelChoiceField(label=_("Caseworker"), queryset=None, required=False)

    def __init__(self, *args: Any, teams: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["assigned_to"].queryset = users


class CaseFilterForm(forms.Form):
    q = LimitedCharField(
        label=_("Find by reference, or exact name, phone or email"),
        required=False,
        max_length=limits.SHORT_TEXT,
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *Case.Status.choices]
    )
    risk = forms.ChoiceField(
        label=_("Risk level"), required=False, choices=[("", _("Any")), *Case.RiskLevel.choices]
    )
    assigned = forms.ModelChoiceField(
        label=_("Assigned to"), required=False, queryset=None, empty_label=_("Anyone")
    )
    review_due = forms.BooleanField(label=_("Risk review due or overdue"), required=False)

    def __init__(self, *args: Any, workers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned"].queryset = workers
