"""Audit: change entries for case data, access entries, redaction, append-only."""

from __future__ import annotations

import json

import pytest
from auditlog.registry import auditlog
from django.apps import apps
from django.core.management import CommandError, call_command

from cases.models import Case
from tests import factories
from tests.testapp.models import Secret
from victimsupport.audit.models import AuditEntry, AuditLogImmutable
from victimsupport.audit.redaction import EMPTY, REDACTED
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.crypto.fields import encrypted_fields

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"accounts", "cases", "risk", "referrals", "premises", "testapp"}


def entries_for(obj):
    return AuditEntry.objects.get_for_object(obj).order_by("seq")


def test_every_model_with_encrypted_fields_is_audited_and_masked():
    for model in apps.get_models():
        secret = {f.name for f in encrypted_fields(model)}
        if not secret:
            continue
        assert auditlog.contains(model), f"{model._meta.label} holds case data but is not audited"
        masked = set(auditlog.get_model_fields(model)["mask_fields"])
        assert secret <= masked, f"{model._meta.label}: unmasked {secret - masked}"


def test_every_case_model_is_audited():
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS and model._meta.model_name not in {
            "casereferencecounter"
        }:
            assert auditlog.contains(model), f"{model._meta.label} is not audited"


def test_create_update_delete_are_logged_without_plaintext():
    secret = Secret.objects.create(text="CANARY-create", name="CANARY-name", label="a")
    secret.text = "CANARY-update"
    secret.label = "b"
    secret.save()
    pk = secret.pk
    secret.delete()
    entries = list(AuditEntry.objects.filter(object_pk=str(pk)).order_by("seq"))
    assert [e.action for e in entries] == [
        AuditEntry.Action.CREATE,
        AuditEntry.Action.UPDATE,
        AuditEntry.Action.DELETE,
    ]
    update = entries[1]
    assert update.changes["text"] == [REDACTED, REDACTED]
    assert update.changes["label"] == ["a", "b"]
    assert entries[0].changes["text"] == [EMPTY, REDACTED]  # "was set", never what to
    assert "born" not in entries[0].changes  # unset fields do not appear at all
    for entry in entries:
        dump = json.dumps([entry.changes, entry.changes_text, entry.object_repr])
        assert "CANARY" not in dump
        assert entry.object_repr == f"testapp.secret {pk}"


def test_a_model_registered_by_hand_still_cannot_leak():
    # Registered directly with auditlog, bypassing our mask list: the entry model redacts.
    auditlog.unregister(Secret)
    auditlog.register(Secret)
    try:
        secret = Secret.objects.create(text="CANARY-unmasked")
        entry = entries_for(secret).get()
        assert "CANARY" not in json.dumps(entry.changes)
        assert entry.changes["text"][1] == REDACTED
    finally:
        from victimsupport.audit.services import register

        auditlog.unregister(Secret)
        register(Secret)


def test_access_entries_record_who_and_what_kind(client):
    team = factories.make_team()
    cara = factories.caseworker(team)
    case = factories.make_case(team=team, assigned_to=cara)
    entry = record_access(actor=cara, obj=case, kind=AccessKind.EXPORT, detail={"pages": 3})
    assert entry.action == AuditEntry.Action.ACCESS
    assert entry.actor == cara
    assert entry.additional_data == {"access": "export", "pages": 3}
    assert entry.object_pk == str(case.pk)


def test_access_detail_refuses_free_text():
    team = factories.make_team()
    case = factories.make_case(team=team)
    with pytest.raises(ValueError, match="free text"):
        record_access(actor=None, obj=case, kind=AccessKind.VIEW, detail={"note": "her address"})


def test_request_actor_and_address_are_recorded(client):
    team = factories.make_team()
    cara = factories.caseworker(team)
    case = factories.make_case(team=team, assigned_to=cara)
    client.force_login(cara)
    client.get(f"/cases/{case.pk}/", REMOTE_ADDR="10.1.2.3")
    entry = entries_for(case).filter(action=AuditEntry.Action.ACCESS).get()
    assert entry.actor == cara
    assert entry.remote_addr == "10.1.2.3"


def test_entries_cannot_be_changed_or_deleted():
    team = factories.make_team()
    case = factories.make_case(team=team)
    entry = entries_for(case).first()
    entry.object_repr = "forged"
    with pytest.raises(AuditLogImmutable):
        entry.save()
    with pytest.raises(AuditLogImmutable):
        entry.delete()
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.bulk_create([AuditEntry(content_type_id=1, object_pk="1", action=0)])


def test_flush_command_is_disabled():
    with pytest.raises(CommandError, match="append-only"):
        call_command("auditlogflush", "-y")
    assert Case.objects.count() == 0  # nothing else touched


def test_admin_offers_no_delete(admin_client):
    from django.contrib import admin

    model_admin = admin.site._registry[AuditEntry]
    assert model_admin.has_delete_permission(None) is False
    assert model_admin.has_change_permission(None) is False
    assert model_admin.has_add_permission(None) is False


def test_blind_index_digests_are_not_in_the_log():
    secret = Secret.objects.create(email="same@example.org")
    other = Secret.objects.create(email="same@example.org")
    entries = AuditEntry.objects.filter(object_pk__in=[str(secret.pk), str(other.pk)])
    for entry in entries:
        assert set(entry.changes["email_index"]) <= {EMPTY, REDACTED}
    secret.refresh_from_db()
    assert all(secret.email_index not in json.dumps(e.changes) for e in entries)
