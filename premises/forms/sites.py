"""Forms of the sites part: a site's details, added by a supervisor to one of their teams."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from premises.models import Opening, SiteKind, SiteStatus
from victimsupport import limits
from victimsupport.concurrency import VersionedFormMixin
from victimsupport.limits import LimitedCharField


class SiteForm(VersionedFormMixin, forms.Form):
    """A site's details. Adding one (``teams`` given) also chooses its team, among the teams
    the supervisor works in; editing one keeps its team and names the version it was read at."""

    team = forms.ModelChoiceField(label=_("Team"), queryset=None, empty_label=None)
    name = LimitedCharField(
        label=_("Name"),
        max_length=limits.LONG_NAME,
        help_text=_("What staff call it. Avoid a name that says where it is."),
    )
    kind = forms.ChoiceField(label=_("Kind of site"), choices=SiteKind.choices)
    address = LimitedCharField(
        label=_("Address"),
        max_length=limits.ADDRESS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Shown only to the staff of the site's team (and, for a site that is not a refuge, "
            "to auditors). Never shown in lists."
        ),
    )
    opening = forms.ChoiceField(label=_("Opening arrangement"), choices=Opening.choices)
    walk_in_hours = LimitedCharField(
        label=_("Walk-in hours"),
        max_length=limits.SHORT_TEXT,
        required=False,
        help_text=_("For example: Tuesday and Thursday, 10:00 to 13:00. Only with walk-in hours."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=SiteStatus.choices)

    def __init__(self, *args: Any, teams: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if teams is None:
            del self.fields["team"]
        else:
            # A new site has no saved version to compare with.
            del self.fields["version"]
            self.fields["team"].queryset = teams
