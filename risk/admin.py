from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from risk import engine
from risk.models import Instrument, InstrumentVersion, TrainingRecord
from risk.services import instrument_publish


class InstrumentVersionForm(forms.ModelForm):
    class Meta:
        model = InstrumentVersion
        fields = ["instrument", "definition"]

    def clean_definition(self) -> Any:
        definition = self.cleaned_data["definition"]
        try:
            engine.validate(definition)
        except engine.InstrumentError as exc:
            raise forms.ValidationError([f"{e}." for e in exc.errors]) from exc
        return definition


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ("name", "key")
    readonly_fields = ("key",)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(admin.ModelAdmin):
    """Drafts are edited (their definition is validated on save) and then published; a
    published version is never edited again: copy it to a new draft instead."""

    form = InstrumentVersionForm
    list_display = ("instrument", "version", "status", "published_at")
    list_filter = ("instrument", "status")
    actions = ["publish", "copy_to_new_draft"]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        if obj is not None and obj.status == InstrumentVersion.Status.PUBLISHED:
            return ["instrument", "definition", "version", "status", "published_at"]
        if obj is not None:  # a draft stays with its instrument: its number is that one's
            return ["instrument", "version", "status", "published_at"]
        return ["version", "status", "published_at"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        if obj is not None and obj.status == InstrumentVersion.Status.PUBLISHED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def save_model(self, request: Any, obj: InstrumentVersion, form: Any, change: bool) -> None:
        if not change:
            latest = obj.instrument.versions.aggregate(n=Max("version"))["n"] or 0
            obj.version = latest + 1
            obj.status = InstrumentVersion.Status.DRAFT
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request: Any, queryset: Any) -> None:
        for version in queryset.filter(status=InstrumentVersion.Status.DRAFT):
            try:
                instrument_publish(version)
            except engine.InstrumentError as exc:
                self.message_user(request, f"{version}: {exc}", messages.ERROR)
            else:
                self.message_user(request, _("Published %(version)s.") % {"version": version})

    @admin.action(description=_("Copy to a new draft version"))
    def copy_to_new_draft(self, request: Any, queryset: Any) -> None:
        for version in queryset:
            latest = version.instrument.versions.aggregate(n=Max("version"))["n"] or 0
            copy = InstrumentVersion.objects.create(
                instrument=version.instrument,
                version=latest + 1,
                definition=json.loads(json.dumps(version.definition)),
            )
            self.message_user(request, _("Created %(version)s as a draft.") % {"version": copy})


@admin.register(TrainingRecord)
class TrainingRecordAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "completed_on", "expires_on")
    fields = ("user", "course", "completed_on", "provider", "expires_on", "recorded_by")
    list_filter = ("course",)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
