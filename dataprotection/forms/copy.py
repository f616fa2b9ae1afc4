"""Forms of the person's copy: adding a redaction, withholding an item, the review."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dataprotection.models import Exemption, RedactionKind
from victimsupport import limits


class ItemForm(forms.Form):
    """Names one item of the copy (its key, which holds no content)."""

    item_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, item_keys: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item_keys = item_keys or []

    def clean_item_key(self) -> str:
        key = self.cleaned_data["item_key"]
        if key not in self.item_keys:
            raise forms.ValidationError(_("That item is not in this copy."))
        return key


class RedactionAddForm(ItemForm):
    term = forms.CharField(label=_("Words to black out"), max_length=limits.LONG_NAME)
    kind = forms.ChoiceField(label=_("Whose information it is"), choices=RedactionKind.choices)
    reason = forms.CharField(
        label=_("Why"), max_length=limits.REASON, widget=forms.Textarea(attrs={"rows": 2})
    )


class RedactionDecideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (optional)"),
        max_length=limits.REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WithholdForm(ItemForm):
    exemption = forms.ChoiceField(label=_("Exemption"), choices=Exemption.choices)
    reason = forms.CharField(
        label=_("Why"), max_length=limits.REASON, widget=forms.Textarea(attrs={"rows": 2})
    )


class SignOffForm(forms.Form):
    # The digest of the copy the review page showed: what is signed off is what was read.
    digest = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=limits.REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SendBackForm(forms.Form):
    note = forms.CharField(
        label=_("What to look at again"),
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
