"""Forms of the requests part: logging a request, the identity check, the decision on a
feared match, the extension, and closing (withdrawn or refused)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases.models import ContactMethod
from dataprotection.models import (
    FearedDecision,
    IdentityMethod,
    ReceivedVia,
    RequesterKind,
    RequestKind,
)
from dataprotection.services.requests import CloseOutcome, parse_references
from victimsupport import limits
from victimsupport.concurrency import VersionedFormMixin
from victimsupport.files import check_upload_size, clean_upload
from victimsupport.limits import LimitedCharField
from victimsupport.widgets import DateInput


def _text(label: Any, *, required: bool = False, rows: int = 3, **kwargs: Any) -> LimitedCharField:
    return LimitedCharField(
        label=label,
        max_length=limits.REASON,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


class RequestLogForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What they ask for"),
        choices=RequestKind.choices,
        widget=forms.RadioSelect,
        initial=RequestKind.ACCESS,
        error_messages={"required": _("Choose what the person asks for.")},
    )
    received_on = forms.DateField(
        label=_("Received on"),
        widget=DateInput(),
        help_text=_("The clock starts on this day: the answer is due one month later."),
        error_messages={"required": _("Give the date the request was received.")},
    )
    received_via = forms.ChoiceField(
        label=_("How it came in"),
        choices=[("", _("Choose…")), *ReceivedVia.choices],
        error_messages={"required": _("Choose how the request came in.")},
    )
    requester_kind = forms.ChoiceField(
        label=_("Who asks"),
        choices=RequesterKind.choices,
        widget=forms.RadioSelect,
        initial=RequesterKind.PERSON,
        error_messages={"required": _("Choose who is asking.")},
    )
    requester_name = LimitedCharField(
        label=_("Name of the person asking"),
        max_length=limits.LONG_NAME,
        help_text=_(
            "As they gave it. It is compared, without being read, with the people the file "
            "records as feared."
        ),
        error_messages={"required": _("Give the name of the person asking.")},
    )
    authority_evidence = _text(
        _("Evidence of their authority"),
        help_text=_("For someone acting for the person: a signed authority, a power of attorney…"),
    )
    authority_document = forms.FileField(
        label=_("Copy of the authority (PDF, JPEG or PNG)"), required=False
    )
    case_references = LimitedCharField(
        label=_("Case references"),
        max_length=limits.SHORT_TEXT,
        help_text=_(
            "The reference of each case it is about, e.g. VS-2026-00042, separated by commas."
        ),
        error_messages={
            "required": _("Give the reference of at least one case the request is about.")
        },
    )
    details = _text(_("What they ask for, in their words"), rows=4)
    language = forms.ChoiceField(
        label=_("Language of the copy"), choices=settings.LANGUAGES, required=False
    )

    def clean_case_references(self) -> list[str]:
        references = parse_references(self.cleaned_data["case_references"])
        if not references:
            raise ValidationError(
                _("Give the reference of at least one case the request is about.")
            )
        return references

    def clean_authority_document(self) -> tuple[str, str, bytes] | None:
        upload = self.cleaned_data.get("authority_document")
        if not upload:
            return None
        check_upload_size(upload.size)  # before reading it into memory
        name, content_type = upload.name, upload.content_type
        data = clean_upload(name=name, content_type=content_type, data=upload.read())
        return (name, content_type, data)


class IdentityCheckForm(VersionedFormMixin, forms.Form):
    method = forms.ChoiceField(
        label=_("How their identity was checked"),
        choices=IdentityMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how their identity was checked.")},
    )
    note = _text(_("Note on the check"), rows=2)


class FearedDecisionForm(VersionedFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (FearedDecision.PROCEED, FearedDecision.PROCEED.label),
            (FearedDecision.REFUSE, FearedDecision.REFUSE.label),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether to proceed or refuse.")},
    )
    reason = _text(
        _("Reason for the decision"),
        required=True,
        rows=4,
        error_messages={"required": _("Write the reason for the decision.")},
    )


class ExtensionForm(VersionedFormMixin, forms.Form):
    extended_to = forms.DateField(
        label=_("New due date"),
        widget=DateInput(),
        error_messages={"required": _("Give the new due date.")},
    )
    reason = _text(
        _("Reason for the extension"),
        required=True,
        error_messages={
            "required": _("Write the reason for the extension: the person is told it.")
        },
    )
    told_on = forms.DateField(
        label=_("Person told on"),
        widget=DateInput(),
        error_messages={"required": _("Give the date the person was told of the extension.")},
    )
    told_via = forms.ChoiceField(
        label=_("How they were told"),
        choices=[("", _("Choose…")), *ContactMethod.choices],
        help_text=_("A channel their case records as safe, or in person."),
        error_messages={"required": _("Choose how the person was told.")},
    )


class CloseForm(VersionedFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("How it ends"),
        choices=CloseOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the request ends.")},
    )
    reason = _text(
        _("Reason"),
        required=True,
        help_text=_("What the person said, or why it is refused: a refusal is told to them."),
        error_messages={"required": _("Write the reason.")},
    )


class RequestFilterForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("open", _("Open")),
            ("overdue", _("Overdue")),
            ("closed", _("Closed")),
            ("all", _("All")),
        ],
    )
