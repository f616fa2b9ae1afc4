"""Forms of the referral network, one part each (as in services.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from referrals.models import (
    SHAREABLE_CATEGORIES,
    OverrideGround,
    PartnerOrganisation,
    Purpose,
    Urgency,
)
from referrals.services import OVERRIDE_REASON_MIN
from victimsupport import limits
from victimsupport.concurrency import VersionedFormMixin

# --- The directory: partners, agreements, meetings, partner users -----------------------------


# --- Consents to share -------------------------------------------------------------------------


# --- Referrals: drafting, the package, sending, overrides (staff) -----------------------------


class ReferralForm(forms.Form):
    """A referral's terms: drafted, previewed, then sent."""

    partner = forms.ModelChoiceField(
        label=_("Partner organisation"),
        queryset=PartnerOrganisation.objects.filter(is_active=True).order_by("name"),
        empty_label=_("Choose a partner"),
    )
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Urgency.choices, initial=Urgency.ROUTINE
    )
    message = forms.CharField(
        label=_("Message to the partner"),
        max_length=limits.DETAILS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "What you ask of them and what they need to know first. The partner reads this; "
            "keep staff notes out of it."
        ),
    )
    categories = forms.MultipleChoiceField(
        label=_("Parts of the file to send"),
        choices=SHAREABLE_CATEGORIES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only what the partner needs. You will see the package exactly as they will "
            "before it goes."
        ),
    )


class ReferralEditForm(VersionedFormMixin, ReferralForm):
    pass


class ReferralSendForm(VersionedFormMixin, forms.Form):
    """Sending names the version previewed: a draft changed since is not sent unseen."""


class OverrideRequestForm(VersionedFormMixin, forms.Form):
    ground = forms.ChoiceField(
        label=_("Legal ground"), choices=OverrideGround.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Why it cannot wait for the person's consent"),
        min_length=OVERRIDE_REASON_MIN,
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "A supervisor decides on what you write here, and it stays on the record. Say what "
            "the danger or the duty is, and why this partner must know now."
        ),
    )


class OverrideDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve and send now")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note to the caseworker"),
        required=False,
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when you refuse: say why, so that they know what to do next."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("decision") == "refuse" and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Say why you refuse, so that the caseworker knows."))
        return cleaned


# --- Referrals: the partner's answers ----------------------------------------------------------
