"""Forms of the evidence part: a photo, a version of the escape plan, a drill and a drill's
follow-up action. The files' checks are the core's, run by the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from premises.models import DrillScenario
from victimsupport import limits
from victimsupport.concurrency import VersionedFormMixin
from victimsupport.limits import LimitedCharField

NOT_IN_FUTURE = _("This date is in the future: give the date it happened.")


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _past_date(value: Any) -> Any:
    if value and value > timezone.localdate():
        raise ValidationError(NOT_IN_FUTURE, code="future")
    return value


def _text(label: Any, limit: int, *, required: bool = True, rows: int = 4) -> LimitedCharField:
    return LimitedCharField(
        label=label,
        max_length=limit,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class PhotoForm(forms.Form):
    file = forms.FileField(
        label=_("Photo (JPEG or PNG)"),
        help_text=_(
            "Where and when it was taken, the camera and any other details the file carries "
            "are removed before it is kept."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    caption = LimitedCharField(label=_("Caption"), max_length=limits.DESCRIPTION)
    taken_on = forms.DateField(
        label=_("Date taken"), widget=_DateInput(), initial=timezone.localdate
    )

    def clean_taken_on(self) -> Any:
        return _past_date(self.cleaned_data.get("taken_on"))


class EscapePlanForm(forms.Form):
    routes = _text(_("Escape routes"), limits.DETAILS, rows=5)
    assembly_point = LimitedCharField(label=_("Assembly point"), max_length=limits.SHORT_TEXT)
    roles = _text(_("Who does what"), limits.DETAILS, rows=5)
    floor_plan = forms.FileField(
        label=_("Floor plan (JPEG, PNG or PDF)"),
        required=False,
        help_text=_("Leave empty to keep the floor plan of the version it starts from."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )


class EscapePlanEditForm(VersionedFormMixin, EscapePlanForm):
    """A draft's edit: the hidden ``version`` field carries the plan's ``revision`` (the
    plan's own ``version`` is its number), read when the page was given."""


class DrillForm(forms.Form):
    held_on = forms.DateField(label=_("Date held"), widget=_DateInput(), initial=timezone.localdate)
    scenario = forms.ChoiceField(
        label=_("Scenario"), choices=DrillScenario.choices, widget=forms.RadioSelect
    )
    scenario_details = _text(_("What was practised"), limits.DETAILS, required=False)
    participants = forms.ModelMultipleChoiceField(
        label=_("Staff who took part"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    others_count = forms.IntegerField(
        label=_("Others who took part"),
        help_text=_("Volunteers, residents or visitors: a number, no names."),
        min_value=0,
        max_value=1000,
        initial=0,
    )
    minutes_taken = forms.IntegerField(label=_("Minutes taken"), min_value=0, max_value=24 * 60)
    lessons = _text(_("What was learnt"), limits.DETAILS, required=False)

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = staff

    def clean_held_on(self) -> Any:
        return _past_date(self.cleaned_data.get("held_on"))


class DrillActionForm(forms.Form):
    description = _text(_("What to do"), limits.DETAILS, rows=3)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None)
    due_on = forms.DateField(label=_("Due on"), widget=_DateInput())

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff
