"""Forms of the DPO's records: the record of processing activities and the breach register."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import ContactMethod
from dataprotection.models import BreachDecision, LawfulBasis
from victimsupport import limits
from victimsupport.casefile import Category
from victimsupport.concurrency import VersionedFormMixin
from victimsupport.limits import LimitedCharField

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _when(label: Any, *, required: bool = True, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=DATETIME_FORMATS,
        widget=DateTimeInput(),
        **kwargs,
    )


def _text(label: Any, limit: int, *, required: bool = False, rows: int = 3, **kwargs: Any) -> Any:
    return LimitedCharField(
        label=label,
        max_length=limit,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


def _categories(label: Any, *, required: bool = False) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=Category.choices,
        required=required,
        widget=forms.CheckboxSelectMultiple,
    )


class ProcessingActivityForm(VersionedFormMixin, forms.Form):
    name = LimitedCharField(label=_("Name"), max_length=limits.LONG_NAME)
    purpose = _text(_("Purpose"), limits.REASON, required=True)
    lawful_basis = forms.ChoiceField(label=_("Lawful basis"), choices=LawfulBasis.choices)
    special_category_condition = _text(
        _("Condition for special-category data (art. 9)"), limits.REASON
    )
    data_categories = _categories(_("Categories of data"))
    people = _text(_("Categories of people"), limits.REASON, required=True)
    recipients = _text(_("Recipients"), limits.REASON)
    transfers = _text(_("Transfers outside the EU"), limits.REASON, rows=2)
    retention = _text(_("How long it is kept"), limits.REASON, required=True)
    security = _text(_("Security measures"), limits.REASON, required=True, rows=5)

    def __init__(self, *args: Any, adding: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if adding:
            # A new entry has no saved version to compare with.
            del self.fields["version"]


class RemoveForm(VersionedFormMixin, forms.Form):
    pass


class BreachLogForm(forms.Form):
    discovered_at = _when(_("Discovered at"))
    occurred_at = _when(
        _("Happened at"), required=False, help_text=_("Leave empty if it is not known.")
    )
    description = _text(
        _("What happened"),
        limits.DETAILS,
        required=True,
        rows=5,
        help_text=_("What was exposed, lost or changed, and how. Name no one."),
    )
    data_categories = _categories(_("Categories of data affected"), required=True)
    people_affected = forms.IntegerField(
        label=_("Number of people affected"), min_value=0, max_value=10_000_000
    )
    measures = _text(_("Measures taken"), limits.DETAILS, rows=4)


class BreachDecisionForm(VersionedFormMixin, forms.Form):
    prefix = "decide"
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[c for c in BreachDecision.choices if c[0]],
        widget=forms.RadioSelect,
    )
    reason = _text(
        _("Reason"),
        limits.REASON,
        required=True,
        help_text=_("Needed whether you notify or not."),
    )
    people_to_be_told = forms.BooleanField(
        label=_("The people affected must be told (a high risk to them)"), required=False
    )


class BreachNotifiedForm(VersionedFormMixin, forms.Form):
    prefix = "notified"
    notified_at = _when(_("Regulator told at"))
    reference = LimitedCharField(
        label=_("Regulator's reference"), max_length=limits.SHORT_TEXT, required=False
    )


class BreachToldForm(forms.Form):
    prefix = "told"
    case_reference = LimitedCharField(
        label=_("Case reference"),
        max_length=limits.REFERENCE,
        help_text=_("Exactly as it is written, for example VS-2026-00042."),
    )
    method = forms.ChoiceField(label=_("How they were told"), choices=ContactMethod.choices)


class BreachCloseForm(VersionedFormMixin, forms.Form):
    prefix = "close"
