"""The intake's check page: every answer under its question's label, in words.

The rows are read from the step forms themselves, so a question added to a step appears
here without anyone remembering: a choice shows its label, a date is written out in the
active language ("3 March 1990", "3 mars 1990"), a yes/no box reads yes or no, and the
person's own view of their risk is a sentence. No key or code reaches the page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.forms import STEP_FORMS, NoticeForm
from cases.models import IntakeDraft, Victim

Step = IntakeDraft.Step

# "Their own view of the risk: high": the words of the sentence, not the radio's label.
OWN_VIEW = {
    "low": gettext_lazy("low"),
    "medium": gettext_lazy("medium"),
    "high": gettext_lazy("high"),
    "unsure": gettext_lazy("they are not sure, or did not say"),
}


@dataclass(frozen=True)
class Answer:
    label: str
    text: str


@dataclass(frozen=True)
class StepAnswers:
    step: str
    title: str
    answers: list[Answer]
    sentences: list[str]


def _form_for(step: str) -> forms.Form:
    return NoticeForm() if step == Step.NOTICE else STEP_FORMS[step]()


def _choice_labels(field: forms.Field) -> dict[str, str]:
    return {str(key): str(label) for key, label in getattr(field, "choices", [])}


def answer_text(field: forms.Field, value: Any) -> str | None:
    """``value`` as words, or None when nothing was given."""
    if isinstance(field, forms.BooleanField):
        return _("Yes") if value else _("No")
    if value in (None, "", [], ()):
        return None
    if isinstance(field, forms.MultipleChoiceField):
        labels = _choice_labels(field)
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    if isinstance(field, forms.ChoiceField):
        return _choice_labels(field).get(str(value), str(value))
    if isinstance(field, forms.DateField):
        try:
            day = datetime.date.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return date_format(day, "j F Y")  # "3 March 1990", in the active language
    return str(value)


CODE_WORD_KEPT = gettext_lazy("Recorded. It is not shown here: do not read it aloud.")


def review_sections(data: dict[str, Any]) -> list[StepAnswers]:
    """The answered steps in the intake's order, each answer under its label."""
    sections = []
    for step, title in Step.choices:
        if step == Step.REVIEW or step not in data:
            continue
        answers = data[step] or {}
        form = _form_for(step)
        rows: list[Answer] = []
        sentences: list[str] = []
        for name, field in form.fields.items():
            if step == Step.SCREENING and name == "victim_view":
                view = answers.get(name)
                if view in OWN_VIEW:
                    sentences.append(
                        _("Their own view of the risk: %(view)s.") % {"view": OWN_VIEW[view]}
                    )
                continue
            if name not in answers:
                continue
            text = answer_text(field, answers[name])
            if text is not None and name in Victim.SAFETY_DETAILS:
                # As on the case page: a code word is never shown again, so it is never read
                # back on a call someone else may hear, nor left on a shared screen.
                text = CODE_WORD_KEPT
            if text is not None:
                rows.append(Answer(label=str(field.label), text=text))
        sections.append(StepAnswers(step=step, title=str(title), answers=rows, sentences=sentences))
    return sections
