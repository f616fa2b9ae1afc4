"""Forms of the safety part: a version of the safety page, sending one back, a sensitive
term."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from premises.models import SafetyPage, Site, TermKind
from victimsupport import limits
from victimsupport.concurrency import VersionedFormMixin

TEXT_HELP = _(
    "Say what the service does to keep people safe here, in plain words. Never write a door "
    "code, a room or floor, an address or a colleague's surname: the page is refused while it "
    "contains one."
)


class SafetyPageForm(forms.Form):
    """Both languages, all four texts required (the page is shown in either)."""

    title_en = forms.CharField(label=_("Title in English"), max_length=limits.LONG_NAME)
    body_en = forms.CharField(
        label=_("Text in English"),
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=TEXT_HELP,
    )
    title_fr = forms.CharField(label=_("Title in French"), max_length=limits.LONG_NAME)
    body_fr = forms.CharField(
        label=_("Text in French"),
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 12, "lang": "fr"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title_fr"].widget.attrs["lang"] = "fr"

    @classmethod
    def initial_from(cls, page: SafetyPage | None) -> dict[str, Any]:
        if page is None:
            return {}
        return {
            name: getattr(page, name) for name in ("title_en", "body_en", "title_fr", "body_fr")
        }


class SafetyPageEditForm(VersionedFormMixin, SafetyPageForm):
    pass


class SafetyPageReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it goes back to its writer"),
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Site) -> str:
        return obj.name


class SensitiveTermForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TermKind.choices)
    term = forms.CharField(
        label=_("Word or phrase"),
        max_length=limits.SHORT_TEXT,
        help_text=_(
            "No safety page may contain it, whatever its case or accents. Of the kind "
            '"Always allowed", it is let through instead: a helpline number or a year '
            "the number checks would refuse (never the site's address or a listed term)."
        ),
    )
    site = SiteChoiceField(
        label=_("For which site"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=_("Every site of the organisation"),
    )

    def __init__(self, *args: Any, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites

    def clean_term(self) -> str:
        term = " ".join(self.cleaned_data["term"].split())
        if not term:
            raise forms.ValidationError(_("Give the word or phrase."))
        return term


class TermRemoveForm(forms.Form):
    """Nothing to fill in: the button confirms."""


HANDOUT_LANGUAGES = [("en-gb", "English"), ("fr", "Français")]


def handout_language(value: str | None, default: str) -> str:
    codes = [code for code, _name in HANDOUT_LANGUAGES]
    if value in codes:
        return value
    return "fr" if (default or "").startswith("fr") else "en-gb"
