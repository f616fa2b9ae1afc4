from __future__ import annotations

from django import forms

from cases.services import BREAK_GLASS_MIN_REASON


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
