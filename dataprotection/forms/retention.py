"""Forms of retention and erasure: the schedule, legal holds, and the DPO's decisions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dataprotection.models import RefusalGround
from victimsupport import limits
from victimsupport.concurrency import VersionedFormMixin


class RetentionRuleForm(VersionedFormMixin, forms.Form):
    version_min = 0  # no rule yet: the profile's default
    days = forms.IntegerField(label=_("Kept for (days)"), min_value=1, max_value=36500)


class LegalHoldForm(forms.Form):
    reference = forms.CharField(
        label=_("Case reference"),
        max_length=limits.REFERENCE,
        help_text=_("Exactly as it is written, for example VS-2026-00042."),
    )
    reason = forms.CharField(
        label=_("Why the file must be kept"),
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    review_on = forms.DateField(
        label=_("Review on"), widget=forms.DateInput(attrs={"type": "date"})
    )


class LegalHoldLiftForm(forms.Form):
    note = forms.CharField(
        label=_("Why it ends"),
        max_length=limits.REASON // 2,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "I have checked: every record of this case will be erased, and this cannot be undone."
        )
    )


# The most records one confirmation deletes: the page lists as many, no more.
RECORDS_SHOWN = 50


class RecordsDeleteForm(forms.Form):
    """Given a prefix per kind of record (the page holds one for each); the kind itself is
    the form's ``kind`` field outside the prefix. The ids of the records listed come as
    hidden ``<prefix>-ids`` inputs the page writes from the very rows it shows (never from
    what was posted before), and end in ``cleaned_data["ids"]``: only those are deleted."""

    confirm = forms.BooleanField(
        label=_("I have reviewed them: delete these records, which cannot be undone.")
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        getlist = getattr(self.data, "getlist", None)
        ids = getlist(self.add_prefix("ids")) if getlist else []
        cleaned["ids"] = [str(i) for i in ids if str(i).strip()][:RECORDS_SHOWN]
        return cleaned


class KeepForm(forms.Form):
    grounds = forms.MultipleChoiceField(
        label=_("Legal reasons to keep the file"),
        choices=RefusalGround.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label=_("Explanation"), max_length=limits.REASON, widget=forms.Textarea(attrs={"rows": 3})
    )


class ErasureRequestDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("erase", _("Erase the file")), ("refuse", _("Refuse: keep the file"))],
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(
        label=_("I have checked the request and its grounds; an erasure cannot be undone."),
    )
    grounds = forms.MultipleChoiceField(
        label=_("Legal reasons to keep the file (when refusing)"),
        choices=RefusalGround.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    reason = forms.CharField(
        label=_("Explanation (when refusing)"),
        max_length=limits.REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
