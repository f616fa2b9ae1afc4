"""Forms of the assessments part. They validate and normalise; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from premises import checklist
from premises.models import AnswerKind, Impact, IncidentKind, Likelihood, ReviewReason
from victimsupport import limits
from victimsupport.concurrency import VersionedFormMixin
from victimsupport.limits import LimitedCharField
from victimsupport.widgets import DateInput


def _text(label: Any, limit: int = limits.DETAILS, *, required: bool = True, rows: int = 4) -> Any:
    return LimitedCharField(
        label=label,
        max_length=limit,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class AssessmentStartForm(forms.Form):
    checklist_version = forms.ModelChoiceField(
        label=_("Checklist"), queryset=None, empty_label=None, widget=forms.RadioSelect
    )
    reason = forms.ChoiceField(
        label=_("Why the site is assessed"), choices=ReviewReason.choices, widget=forms.RadioSelect
    )
    incident = forms.ModelChoiceField(
        label=_("The incident it follows"),
        queryset=None,
        required=False,
        help_text=_("Only for an assessment after an incident."),
    )

    def __init__(self, *args: Any, checklists: Any, incidents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["checklist_version"].queryset = checklists
        self.fields["incident"].queryset = incidents
        self.fields["incident"].label_from_instance = lambda i: (
            f"{timezone.localtime(i.occurred_at):%Y-%m-%d %H:%M} · {i.get_kind_display()}"
        )


class AssessmentReturnForm(forms.Form):
    reason = LimitedCharField(
        label=_("What is to be changed before it is submitted again"),
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AnswersForm(VersionedFormMixin, forms.Form):
    """One radio (yes, partly, no, not applicable) and one note per question of the
    checklist, and a summary. A draft may leave any of them empty."""

    summary = _text(_("Summary"), required=False)

    def __init__(self, *args: Any, definition: dict[str, Any], language: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        shown = checklist.localise(definition, language)
        self.sections = []
        summary = self.fields.pop("summary")
        for section in shown["sections"]:
            keys = []
            for q in section["questions"]:
                key = q["key"]
                self.fields[f"answer_{key}"] = forms.ChoiceField(
                    label=q["text"],
                    choices=AnswerKind.choices,
                    required=False,
                    widget=forms.RadioSelect,
                    help_text=q.get("guidance", ""),
                )
                self.fields[f"note_{key}"] = LimitedCharField(
                    label=_("Note"),
                    max_length=limits.REASON,
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
                keys.append(key)
            self.sections.append((section["title"], keys))
        self.fields["summary"] = summary

    def section_fields(self) -> list[tuple[str, list[tuple[Any, Any]]]]:
        return [
            (title, [(self[f"answer_{k}"], self[f"note_{k}"]) for k in keys])
            for title, keys in self.sections
        ]

    def answers(self) -> dict[str, Any]:
        return {
            name.removeprefix("answer_"): {
                "answer": value,
                "note": self.cleaned_data.get(f"note_{name.removeprefix('answer_')}", ""),
            }
            for name, value in self.cleaned_data.items()
            if name.startswith("answer_")
        }


def answers_initial(answers: dict[str, Any]) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for key, value in (answers or {}).items():
        initial[f"answer_{key}"] = value.get("answer", "")
        initial[f"note_{key}"] = value.get("note", "")
    return initial


class FindingForm(forms.Form):
    question_key = forms.ChoiceField(label=_("The question it arose from"), required=False)
    description = _text(_("What risk was found"))
    likelihood = forms.TypedChoiceField(
        label=_("How likely it is"),
        choices=Likelihood.choices,
        coerce=int,
        widget=forms.RadioSelect,
    )
    impact = forms.TypedChoiceField(
        label=_("How bad it would be"), choices=Impact.choices, coerce=int, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, questions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["question_key"].choices = [("", _("None: found outside the checklist"))] + [
            (key, text) for key, text in questions
        ]


class ActionForm(forms.Form):
    description = _text(_("What is to be done"))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None)
    due_on = forms.DateField(label=_("Due on"), widget=DateInput)
    finding = forms.ModelChoiceField(
        label=_("The finding it answers"), queryset=None, required=False
    )

    def __init__(self, *args: Any, staff: Any, findings: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.username
        if findings is None:
            del self.fields["finding"]
        else:
            self.fields["finding"].queryset = findings
            self.fields["finding"].label_from_instance = lambda f: (
                f"{_('Finding')} {f.pk}: {f.description[:80]}"
            )


class ActionDoneForm(VersionedFormMixin, forms.Form):
    note = _text(_("What was done"))


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label=_("What kind of incident"), choices=IncidentKind.choices)
    occurred_at = forms.DateTimeField(
        label=_("When it happened"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    description = _text(_("What happened"))
    actions_taken = _text(_("What was done at the time"), required=False)
