"""Forms of the delivery of a copy: the staff's steps and the public download page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import ContactMethod
from dataprotection.services.delivery import HAND_OVER_CHOICES


class PassphraseSentForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How the passphrase was sent"),
        choices=ContactMethod.choices,
        widget=forms.RadioSelect,
        help_text=_("Only a method the case records as safe is accepted."),
    )


class HandOverForm(forms.Form):
    via = forms.ChoiceField(
        label=_("How the copy was handed over"),
        choices=HAND_OVER_CHOICES,
        widget=forms.RadioSelect,
    )


class LinkForm(forms.Form):
    """Nothing to fill in: the button makes the link."""


# Longer than any secret we make, shorter than anything worth hashing at length.
SECRET_MAX = 100


class CopyDownloadForm(forms.Form):
    """The public page's form: the secret copied from the address by copy_link.js (hidden),
    or, without JavaScript, typed by the person (the code after "#" in their link)."""

    secret = forms.CharField(required=False, max_length=SECRET_MAX, widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("The code given with your link"),
        required=False,
        max_length=SECRET_MAX,
        help_text=_("In your link it is everything after the # sign."),
        # Never echoed back: a page answered 400 (a wrong code) shows an empty box, so the code
        # is not left on the screen or in the page's source.
        widget=forms.PasswordInput(
            render_value=False,
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
        ),
    )

    def clean(self) -> dict:
        data = super().clean()
        given = (data.get("secret") or data.get("code") or "").strip().lstrip("#")
        if not given:
            raise forms.ValidationError(_("Type the code given with your link."))
        data["given"] = given
        return data
