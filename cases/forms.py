from __future__ import annotations

import datetime
from typing import Any

from django import forms

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
)
from cases.services import BREAK_GLASS_MIN_REASON, VICTIM_FIELDS
from victimsupport.concurrency import VersionedFormMixin


class BreakGlassForm(forms.Form):
    reference = forms.CharField(
        label="Case reference",
        max_length=20,
        help_text="For example VS-2026-00042.",
    )
    reason = forms.CharField(
        label="Why do you need emergency access?",
        min_length=BREAK_GLASS_MIN_REASON,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Recorded and reviewed. Access is read-only and ends automatically.",
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
        label="Is it safe for them to talk now?",
        choices=[("yes", "Yes"), ("no", "No: agree a safe time and end the call")],
        widget=forms.RadioSelect,
    )
    do_not_contact = forms.BooleanField(
        label="Do not contact them at all (blocks every outbound contact)", required=False
    )
    code_word = forms.CharField(
        label="Code word",
        required=False,
        max_length=60,
        help_text="A word they can use to tell us they are not safe to talk.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for method, label in ContactMethod.choices:
            self.fields[f"{method}_safe"] = forms.BooleanField(
                label=f"{label} is safe", required=False
            )
            self.fields[f"{method}_times"] = forms.CharField(
                label=f"{label}: safe times or conditions",
                required=False,
                max_length=200,
            )

    def method_rows(self) -> list[tuple[str, Any, Any]]:
        return [
            (label, self[f"{method}_safe"], self[f"{method}_times"])
            for method, label in ContactMethod.choices
        ]


class NoticeForm(StepForm):
    method = forms.ChoiceField(
        label="How was the notice given?",
        choices=NoticeAcknowledgement.Method.choices,
        widget=forms.RadioSelect,
    )
    understood = forms.BooleanField(
        label="They have heard or read the notice and say they understand it",
        error_messages={"required": "Confirm that the notice was given and understood."},
    )


def date_of_birth_not_in_future(value: Any) -> Any:
    """The same rule at intake and when the details are edited later."""
    if value and value > datetime.date.today():
        raise forms.ValidationError("The date of birth cannot be in the future.")
    return value


class PersonForm(StepForm):
    given_name = forms.CharField(label="Given name", max_length=100)
    family_name = forms.CharField(label="Family name", max_length=100, required=False)
    preferred_name = forms.CharField(
        label="Alias or preferred name",
        max_length=100,
        required=False,
        help_text="Shown in lists instead of their name.",
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    email = forms.EmailField(label="Email", max_length=200, required=False)
    address = forms.CharField(
        label="Address", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    address_withheld = forms.BooleanField(
        label="They prefer not to give an address", required=False
    )
    language = forms.CharField(label="Preferred language", max_length=60, required=False)
    interpreter_needed = forms.BooleanField(label="Needs an interpreter", required=False)
    dependants = forms.CharField(
        label="Children or other dependants",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    feared_name = forms.CharField(
        label="Name of the person they fear", max_length=200, required=False
    )
    feared_relationship = forms.CharField(
        label="Their relationship to that person", max_length=100, required=False
    )
    feared_details = forms.CharField(
        label="What else we should know about that person",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_date_of_birth(self) -> Any:
        return date_of_birth_not_in_future(self.cleaned_data.get("date_of_birth"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("address_withheld"):
            data["address"] = ""
        return data


class ScreeningForm(StepForm):
    ongoing_threat = forms.ChoiceField(
        label="Is there still a threat?", choices=YES_NO_UNKNOWN, widget=forms.RadioSelect
    )
    ongoing_victimisation = forms.ChoiceField(
        label="Is the harm still going on?", choices=YES_NO_UNKNOWN, widget=forms.RadioSelect
    )
    fearful = forms.ChoiceField(
        label="Are they afraid of something happening?",
        choices=YES_NO_UNKNOWN,
        widget=forms.RadioSelect,
    )
    victim_view = forms.ChoiceField(
        label="How at risk do they feel?",
        choices=RiskScreen.VictimView.choices,
        widget=forms.RadioSelect,
    )
    victim_words = forms.CharField(
        label="In their own words",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NeedsForm(StepForm):
    categories = forms.MultipleChoiceField(
        label="What do they need help with?",
        choices=NEED_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    details = forms.CharField(
        label="Details", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    crime_reported = forms.ChoiceField(
        label="Has the crime been reported?",
        choices=NeedsRecord.CrimeReported.choices,
        widget=forms.RadioSelect,
        help_text="Support never depends on reporting.",
    )


class ConsentForm(StepForm):
    processing = forms.ChoiceField(
        label="Do they agree that we keep and use their information to support them?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(
        label="How was consent given?", choices=Consent.Method.choices, widget=forms.RadioSelect
    )
    witness = forms.CharField(label="Witness (if any)", max_length=200, required=False)
    sharing = forms.BooleanField(
        label="They agree to share information with another organisation", required=False
    )
    sharing_recipient = forms.CharField(label="Organisation", max_length=200, required=False)
    sharing_purpose = forms.CharField(
        label="For what purpose", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    sharing_categories = forms.MultipleChoiceField(
        label="Which information",
        choices=DATA_CATEGORY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sharing_expires_on = forms.DateField(
        label="Consent to share ends on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("sharing"):
            if not data.get("sharing_recipient"):
                self.add_error(
                    "sharing_recipient", "Name the organisation the information may go to."
                )
            if not data.get("sharing_purpose"):
                self.add_error("sharing_purpose", "Say what the information will be shared for.")
            if not data.get("sharing_categories"):
                self.add_error("sharing_categories", "Choose which information may be shared.")
        expires = data.get("sharing_expires_on")
        if expires and expires < datetime.date.today():
            self.add_error("sharing_expires_on", "The end date is in the past.")
        return data


STEP_FORMS: dict[str, type[StepForm]] = {
    "safety": SafetyForm,
    "person": PersonForm,
    "screening": ScreeningForm,
    "needs": NeedsForm,
    "consent": ConsentForm,
}


# --- The case file -------------------------------------------------------------------------


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Add a note", max_length=20000, widget=forms.Textarea(attrs={"rows": 4})
    )


class ContactForm(forms.Form):
    direction = forms.ChoiceField(
        label="Direction", choices=ContactLog.Direction.choices, widget=forms.RadioSelect
    )
    method = forms.ChoiceField(label="Method", choices=ContactMethod.choices)
    summary = forms.CharField(
        label="What was said or agreed", max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    safety_checked = forms.BooleanField(
        label="I checked that this method was safe to use this time", required=False
    )


class ConsentGiveForm(forms.Form):
    kind = forms.ChoiceField(
        label="Consent to", choices=Consent.Kind.choices, widget=forms.RadioSelect
    )
    purpose = forms.CharField(
        label="Purpose", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    recipient = forms.CharField(
        label="Recipient organisation (for sharing)", max_length=200, required=False
    )
    data_categories = forms.MultipleChoiceField(
        label="Which information",
        choices=DATA_CATEGORY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    method = forms.ChoiceField(
        label="How it was given", choices=Consent.Method.choices, widget=forms.RadioSelect
    )
    witness = forms.CharField(label="Witness (if any)", max_length=200, required=False)
    expires_on = forms.DateField(
        label="Ends on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == Consent.Kind.SHARING and not data.get("recipient"):
            self.add_error("recipient", "Name the organisation the information may go to.")
        if data.get("expires_on") and data["expires_on"] < datetime.date.today():
            self.add_error("expires_on", "The end date is in the past.")
        return data


class WithdrawForm(VersionedFormMixin, forms.Form):
    note = forms.CharField(label="Note (optional)", max_length=2000, required=False)


class VictimForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Victim
        fields = VICTIM_FIELDS
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
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
    file = forms.FileField(label="File (PDF, JPEG, PNG or text)")
    description = forms.CharField(label="Description", max_length=500, required=False)


class CloseForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(VersionedFormMixin, forms.Form):
    team = forms.ModelChoiceField(label="Team", queryset=None)
    assigned_to = forms.ModelChoiceField(label="Caseworker", queryset=None, required=False)

    def __init__(self, *args: Any, teams: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["assigned_to"].queryset = users


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        label="Find by reference, or exact name, phone or email",
        required=False,
        max_length=200,
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any"), *Case.Status.choices]
    )
    risk = forms.ChoiceField(
        label="Risk level", required=False, choices=[("", "Any"), *Case.RiskLevel.choices]
    )
    assigned = forms.ModelChoiceField(
        label="Assigned to", required=False, queryset=None, empty_label="Anyone"
    )
    review_due = forms.BooleanField(label="Risk review due or overdue", required=False)

    def __init__(self, *args: Any, workers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned"].queryset = workers
