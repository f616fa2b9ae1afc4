"""The canary scan: distinctive strings written through every encrypted field of every model
(found by introspection, so new models are covered) must not appear anywhere in the raw
database: not in their tables, not in the audit log, not in sessions."""

from __future__ import annotations

import datetime
import itertools
import uuid
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, models
from django.utils import timezone

from victimsupport.audit.models import AuditEntry
from victimsupport.crypto.fields import (
    EncryptedBinaryField,
    EncryptedDateField,
    EncryptedJSONField,
    encrypted_fields,
)

_n = itertools.count(1)
CANARY_DATE = datetime.date(1901, 7, 13)


def canary_for(field: Any, label: str) -> tuple[Any, bytes]:
    """A value for ``field`` and the bytes that must never be found in the database."""
    marker = f"CANARY{next(_n):04d}{label}"
    if isinstance(field, EncryptedBinaryField):
        return marker.encode(), marker.encode()
    if isinstance(field, EncryptedJSONField):
        return {"answer": marker}, marker.encode()
    if isinstance(field, EncryptedDateField):
        return CANARY_DATE, CANARY_DATE.isoformat().encode()
    return marker, marker.encode()


def build(model: type[models.Model], canaries: list[bytes], depth: int = 0) -> models.Model:
    """Save an instance with every encrypted field set to a canary and other required fields
    filled with plain values. Extend here if a new model needs something special."""
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key and (field.has_default() or isinstance(field, models.AutoField)):
            continue
        if getattr(field, "encrypted", False):
            value, needle = canary_for(field, model._meta.model_name)
            values[field.name] = value
            canaries.append(needle)
        elif field.is_relation:
            if field.null:
                continue
            values[field.name] = build(field.related_model, canaries, depth + 1)
        elif field.has_default() or field.null or getattr(field, "auto_now_add", False):
            continue
        elif field.choices:
            values[field.name] = field.choices[0][0]
        elif isinstance(field, models.UUIDField):
            values[field.name] = uuid.uuid4()
        elif isinstance(field, models.DateTimeField):
            values[field.name] = timezone.now() + datetime.timedelta(hours=1)
        elif isinstance(field, models.DateField):
            values[field.name] = timezone.localdate()
        elif isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
            values[field.name] = next(_n)
        elif isinstance(field, models.BooleanField):
            values[field.name] = False
        elif isinstance(field, models.EmailField):
            values[field.name] = f"person{next(_n)}@canary.example"
        elif isinstance(field, (models.CharField, models.TextField)):
            values[field.name] = f"p{next(_n)}"[: field.max_length or 50]
        elif isinstance(field, models.JSONField):
            values[field.name] = {}
    return model._default_manager.create(**values)


def models_with_encrypted_fields() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models()
        if encrypted_fields(m) and not m._meta.proxy and m._meta.managed
    ]


# Base32, as allauth's TOTP secrets are, so that codes can be made from it.
CANARY_TOTP_SECRET = "CANARYTOTPSECRETQQQQQQQQ"
CANARY_RECOVERY_SEED = "CANARYRECOVERYSEED"


def add_second_factors(canaries: list[bytes], monkeypatch: Any) -> None:
    """A TOTP authenticator and recovery codes, made by allauth's own code with canary
    secrets: allauth's authenticator table keeps its secrets in a JSON column that the
    introspection above cannot see."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    from tests import factories
    from victimsupport.access import Role

    monkeypatch.setattr(
        RecoveryCodes, "generate_seed", classmethod(lambda cls: CANARY_RECOVERY_SEED)
    )
    user = factories.make_user("Canary", role=Role.SUPERVISOR)
    TOTP.activate(user, CANARY_TOTP_SECRET)
    codes = RecoveryCodes.activate(user)
    assert codes.validate_code(codes.generate_codes()[0])  # and it is used, so saved again
    # The codes themselves are derived from the seed, never stored (and eight digits could
    # occur in the file by chance, so they are not canaries).
    canaries += [CANARY_TOTP_SECRET.encode(), CANARY_RECOVERY_SEED.encode()]


@pytest.mark.django_db(transaction=True)
def test_no_plaintext_reaches_the_database(client, monkeypatch):
    assert connection.vendor in {"sqlite", "postgresql"}
    if connection.vendor == "sqlite":
        assert "memory" not in str(connection.settings_dict["NAME"])
    canaries: list[bytes] = []
    targets = models_with_encrypted_fields()
    assert targets, "introspection found no encrypted field at all"
    labels = {m._meta.label for m in targets}
    assert {"cases.BreakGlassAccess", "cases.ExportJob", "testapp.Secret"} <= labels
    saved = []
    for model in targets:
        instance = build(model, canaries)
        # Update each one too, so update entries are scanned as well as create entries.
        for field in encrypted_fields(model):
            value, needle = canary_for(field, "upd")
            setattr(instance, field.name, value)
            canaries.append(needle)
        instance.save()
        saved.append(instance)

    # The canaries really were written and read back through the ORM...
    for instance in saved:
        fresh = type(instance)._default_manager.get(pk=instance.pk)
        for field in encrypted_fields(type(instance)):
            assert getattr(fresh, field.name) == getattr(instance, field.name)
    # ...and audited. File contents are left out of the audit diff (their plain size field
    # is logged instead), so a model whose only encrypted field is a file writes no entry here.
    diffed = [
        i
        for i in saved
        if any(not isinstance(f, EncryptedBinaryField) for f in encrypted_fields(type(i)))
    ]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).count() >= len(diffed)

    add_second_factors(canaries, monkeypatch)

    # A signed-in session exists too, so the session table is part of the scan.
    from tests import factories

    team = factories.make_team("Canary team")
    client.force_login(factories.caseworker(team))
    assert client.get("/").status_code == 200

    raw = factories.raw_database_bytes()
    assert len(raw) > 10_000
    found = [c.decode() for c in canaries if c in raw]
    assert not found, f"plaintext found in the raw database: {found}"
