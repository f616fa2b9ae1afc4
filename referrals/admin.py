"""The directory in the administration: read-mostly. The partner directory is kept through
its own pages (their services check who may keep it and audit each view); here the records
can be looked up, never changed or deleted here, and what names people (contacts, who
attended, the signed copy) is left to the partner's pages, whose openings are audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from referrals.models import Agreement, Meeting, PartnerOrganisation


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(PartnerOrganisation)
class PartnerOrganisationAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "channel", "is_active")
    list_filter = ("kind", "is_active")
    # Contacts name people: they are read on the partner's page, where the opening is audited.
    fields = (
        "name",
        "kind",
        "services",
        "eligibility",
        "areas",
        "languages",
        "channel",
        "is_active",
        "created_at",
    )


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ("partner", "type", "valid_from", "valid_to", "review_on")
    list_filter = ("type",)
    # The signed copy itself is left out: it is downloaded from the partner's page, audited.
    fields = (
        "partner",
        "type",
        "purposes",
        "categories",
        "valid_from",
        "valid_to",
        "review_on",
        "signed_copy_type",
        "signed_copy_size",
        "recorded_by",
        "created_at",
    )


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ("partner", "held_on", "next_on")
    # Who attended and the notes are read on the partner's page, where the opening is audited.
    fields = ("partner", "held_on", "next_on", "recorded_by", "created_at")
