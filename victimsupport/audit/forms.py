"""The audit log's filters. They travel in the query string, so each is something that may
be in an address: a date, a staff member's id, a kind of entry, a case's pseudonymous
reference. Never a name, a phone number or any other value about a person."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from victimsupport.audit import selectors
from victimsupport.widgets import DateInput

REFERENCE = re.compile(r"^[A-Z0-9-]{1,20}$")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    person = StaffChoiceField(
        label=_("Person"), required=False, queryset=None, empty_label=_("Anyone")
    )
    kind = forms.ChoiceField(
        label=_("Kind of entry"),
        required=False,
        choices=[("", _("Any")), *selectors.KIND_CHOICES],
    )
    case = forms.CharField(
        label=_("Case reference"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "VS-2026-00042", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = get_user_model().objects.order_by(
            "first_name", "last_name", "username"
        )

    def clean_case(self) -> Any:
        reference = self.cleaned_data["case"].strip().upper()
        if not reference:
            return None
        model = selectors.case_model()
        found = None
        if model is not None and REFERENCE.match(reference):
            found = model._default_manager.filter(**{selectors.REFERENCE_FIELD: reference}).first()
        if found is None:
            raise forms.ValidationError(_("No case has this reference. Check it and try again."))
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end of the range is before its start."))
        return data

    def filters(self) -> dict[str, Any]:
        """The cleaned filters as ``selectors.filtered`` takes them (none if invalid)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}

    def audit_detail(self) -> dict[str, Any]:
        """The filters as an export's audit entry records them: ids and enum values only."""
        detail: dict[str, Any] = {}
        for key, value in self.filters().items():
            if key == "person":
                detail[key] = value.pk
            elif key == "case":
                detail[key] = getattr(value, selectors.REFERENCE_FIELD)
            elif key in ("date_from", "date_to"):
                detail[key] = value.isoformat()
            else:
                detail[key] = value
        return detail
