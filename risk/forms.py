from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cases.levels import ASSESSED_CHOICES
from cases.models import DuplicateMatch
from risk.models import ReassessmentTrigger, SafetyAction
from risk.services import OVERRIDE_MIN_REASON
from victimsupport import limits
from victimsupport.concurrency import VersionedFormMixin
from victimsupport.limits import LimitedCharField
from victimsupport.widgets import DateInput

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
YES_NO_UNKNOWN = [*YES_NO, ("unknown", _("Don't know"))]


def _field(q: dict[str, Any]) -> forms.Field:
    common = {"label": q["text"], "help_text": q.get("help", ""), "required": False}
    kind = q["type"]
    if kind in {"yes_no", "yes_no_unknown"}:
        choices = YES_NO if kind == "yes_no" else YES_NO_UNKNOWN
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if kind == "scale":
        low, high = q.get("min", 1), q.get("max", 5)
        return forms.TypedChoiceField(
            choices=[(n, str(n)) for n in range(low, high + 1)],
            coerce=int,
            empty_value=None,
            widget=forms.RadioSelect,
            **common,
        )
    if kind == "single":
        choices = [(o["value"], o["label"]) for o in q["options"]]
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if kind == "multiple":
        choices = [(o["value"], o["label"]) for o in q["options"]]
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    return LimitedCharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=limits.DETAILS, **common
    )


class AssessmentForm(forms.Form):
    """The questions of one instrument version, grouped by its sections. Every field may be
    left empty while the draft is saved; finalising checks that all are answered.

    ``definition`` is the version's definition in the page's language
    (``InstrumentVersion.localised()``): the questions are asked in it, the answers are the
    same keys and values in every language."""

    def __init__(self, definition: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.section_titles = []
        for section in definition["sections"]:
            keys = [q["key"] for q in section["questions"]]
            for q in section["questions"]:
                field = _field(q)
                # Blank is allowed while the draft is saved, but the question must be answered
                # to finalise: not "optional" to the person filling it in.
                field.needed_to_finalise = q["type"] != "text" and q.get("required", True)
                self.fields[q["key"]] = field
            self.section_titles.append((section["title"], keys))

    @property
    def sections(self) -> list[tuple[str, list[Any]]]:
        return [(title, [self[k] for k in keys]) for title, keys in self.section_titles]

    def answers(self) -> dict[str, Any]:
        out = {}
        for key, value in self.cleaned_data.items():
            if isinstance(value, list):
                value = list(dict.fromkeys(value))  # each option once
            if value not in (None, "", []):
                out[key] = value
        return out


class FinaliseForm(VersionedFormMixin, forms.Form):
    rationale = LimitedCharField(
        label=_("Rationale: what the result rests on"),
        required=False,
        max_length=limits.DETAILS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    override_level = forms.ChoiceField(
        label=_("Level (change it only on professional judgement)"),
        required=False,
        choices=[("", _("Keep the calculated level")), *ASSESSED_CHOICES],
    )
    override_reason = LimitedCharField(
        label=_("Reason for changing the level"),
        required=False,
        max_length=limits.DETAILS,
        help_text=format_lazy(
            _("Needed when you change the level: at least {n} characters."), n=OVERRIDE_MIN_REASON
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TriggerForm(forms.Form):
    # Empty, it names no one: rendered once per language ({% render_form %}).
    renders_alike_when_empty = True

    kind = forms.ChoiceField(label=_("What happened"), choices=ReassessmentTrigger.Kind.choices)
    occurred_on = forms.DateField(label=_("When"), widget=DateInput())
    note = LimitedCharField(label=_("Note"), required=False, max_length=limits.REASON)


class SafetyPlanForm(VersionedFormMixin, forms.Form):
    version_min = 0  # the page showed no plan yet
    summary = LimitedCharField(
        label=_("What the plan is for"),
        required=False,
        max_length=limits.DETAILS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("In words the person would use: this is printed on their copy."),
    )


class SafetyActionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type of action"), choices=SafetyAction.Kind.choices)
    description = LimitedCharField(
        label=_("What will be done"),
        max_length=limits.DETAILS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # Either field, not both: each alone is optional, so the help says one of them is needed.
    owner = forms.ModelChoiceField(
        label=_("Staff member responsible"),
        queryset=None,
        required=False,
        help_text=_("A member of staff, or someone else below: one of the two is needed."),
    )
    owner_other = LimitedCharField(
        label=_("Or someone else responsible"),
        max_length=limits.LONG_NAME,
        required=False,
        help_text=_("For example: the person themselves, or a partner organisation."),
    )
    due_on = forms.DateField(label=_("Due by"), required=False, widget=DateInput())
    # Needed for one kind of action only (police contact, checked by the service): the label
    # says what it is, the help when it is needed, so the field never reads as both
    # "required" and "(optional)".
    victim_wishes = LimitedCharField(
        label=_("What the person wants"),
        help_text=_("Needed before any contact with the police: record it in their words."),
        required=False,
        max_length=limits.DETAILS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    internal_note = LimitedCharField(
        label=_("Note for staff only (never printed on the person's copy)"),
        required=False,
        max_length=limits.DETAILS,
    )

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff


class ActionStatusForm(VersionedFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=SafetyAction.Status.choices)
    outcome = LimitedCharField(label=_("Outcome"), required=False, max_length=limits.DETAILS)


class TrainingRecordForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Staff member"), queryset=None)
    course = LimitedCharField(label=_("Course"), max_length=limits.LONG_NAME)
    completed_on = forms.DateField(label=_("Completed on"), widget=DateInput())
    provider = LimitedCharField(label=_("Trainer or provider"), max_length=limits.LONG_NAME)
    expires_on = forms.DateField(label=_("Valid until"), required=False, widget=DateInput())
    certificate = forms.FileField(label=_("Certificate (PDF, JPEG or PNG)"), required=False)

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff


class DuplicateResolveForm(forms.Form):
    """A supervisor's decision on a possible duplicate (cases.duplicates)."""

    status = forms.ChoiceField(
        label=_("Is this the same person?"),
        choices=[
            (
                DuplicateMatch.Status.RECONCILED,
                _("Yes: the same person, and the files are reconciled"),
            ),
            (DuplicateMatch.Status.DIFFERENT, _("No: someone else")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether this is the same person.")},
    )
    note = LimitedCharField(
        label=_("Note"),
        help_text=_("What was checked, and with whom. Kept encrypted."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=limits.REASON,
    )
