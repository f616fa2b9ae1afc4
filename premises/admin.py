from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from premises import checklist
from premises.models import ChecklistTemplate, ChecklistVersion
from premises.services.assessments import checklist_copy, checklist_publish


class ChecklistVersionForm(forms.ModelForm):
    class Meta:
        model = ChecklistVersion
        fields = ["template", "definition"]

    def clean_definition(self) -> Any:
        definition = self.cleaned_data["definition"]
        try:
            checklist.validate(definition)
        except checklist.ChecklistError as exc:
            raise forms.ValidationError([f"{e}." for e in exc.errors]) from exc
        return definition


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "key")

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        return ("key",) if obj is not None else ()

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ChecklistVersion)
class ChecklistVersionAdmin(admin.ModelAdmin):
    """Drafts are edited (their definition is validated on save) and then published; a
    published version is never edited again, since assessments keep meaning what they meant:
    copy it to a new draft instead."""

    form = ChecklistVersionForm
    list_display = ("template", "version", "status", "published_at")
    list_filter = ("template", "status")
    actions = ["publish", "copy_to_new_draft"]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        if obj is not None and obj.status == ChecklistVersion.Status.PUBLISHED:
            return ["template", "definition", "version", "status", "published_at"]
        if obj is not None:  # a draft stays with its template: its number is that one's
            return ["template", "version", "status", "published_at"]
        return ["version", "status", "published_at"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        if obj is not None and obj.status == ChecklistVersion.Status.PUBLISHED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def save_model(self, request: Any, obj: ChecklistVersion, form: Any, change: bool) -> None:
        if not change:
            latest = obj.template.versions.aggregate(n=Max("version"))["n"] or 0
            obj.version = latest + 1
            obj.status = ChecklistVersion.Status.DRAFT
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request: Any, queryset: Any) -> None:
        for version in queryset.filter(status=ChecklistVersion.Status.DRAFT):
            try:
                checklist_publish(actor=request.user, version=version)
            except checklist.ChecklistError as exc:
                self.message_user(request, f"{version}: {exc}", messages.ERROR)
            else:
                self.message_user(request, _("Published %(version)s.") % {"version": version})

    @admin.action(description=_("Copy to a new draft version"))
    def copy_to_new_draft(self, request: Any, queryset: Any) -> None:
        for version in queryset:
            copy = checklist_copy(actor=request.user, version=version)
            self.message_user(request, _("Created %(version)s as a draft.") % {"version": copy})
