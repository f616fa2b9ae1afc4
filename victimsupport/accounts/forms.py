from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PreferencesForm(forms.Form):
    preferred_language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("The language of my browser")), *settings.LANGUAGES],
        required=False,
        help_text=_("The pages are shown in this language each time you sign in."),
    )
