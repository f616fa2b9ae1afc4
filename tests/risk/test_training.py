"""Training on risk assessment: records, the compliance view, certificates."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from risk.models import TrainingRecord
from risk.services import has_current_training
from tests import factories
from victimsupport.access import Role

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def test_supervisor_records_training_and_sees_compliance(client, north):
    sofia = factories.supervisor(north)
    cara = factories.caseworker(north)
    nia = factories.caseworker(north, "Nia")
    factories.caseworker(factories.make_team("South"), "Sam")  # not Sofia's team
    client.force_login(sofia)
    certificate = factories.blank_pdf()
    response = client.post(
        "/risk/training/",
        {
            "user": cara.pk,
            "course": "Risk assessment in practice",
            "completed_on": (TODAY - datetime.timedelta(days=30)).isoformat(),
            "provider": "Regional network",
            "expires_on": (TODAY + datetime.timedelta(days=20)).isoformat(),
            "certificate": SimpleUploadedFile("cert.pdf", certificate, "application/pdf"),
        },
    )
    assert response.status_code == 302
    assert has_current_training(cara) and not has_current_training(nia)
    page = client.get("/risk/training/").text
    assert "Expires within 60 days" in page and "No training recorded" in page
    assert "Sam" not in page
    record = TrainingRecord.objects.get()
    cert = client.get(f"/risk/training/{record.pk}/certificate/")
    assert cert.content == certificate
    assert cert["Content-Disposition"] == f'attachment; filename="certificate-{record.pk}.pdf"'


def test_bad_training_input_is_refused(client, north):
    sofia = factories.supervisor(north)
    cara = factories.caseworker(north)
    client.force_login(sofia)
    response = client.post(
        "/risk/training/",
        {
            "user": cara.pk,
            "course": "X",
            "completed_on": TODAY.isoformat(),
            "provider": "Y",
            "expires_on": (TODAY - datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "expiry date is before the course date" in response.text
    assert not TrainingRecord.objects.exists()


def test_caseworkers_cannot_see_the_training_register(client, north):
    client.force_login(factories.caseworker(north))
    assert client.get("/risk/training/").status_code == 404


def test_administrators_see_every_member_of_staff(client, settings):
    settings.MFA_ENFORCE = False
    sam = factories.caseworker(factories.make_team("South"), "Sam")
    client.force_login(factories.make_user("Ada", role=Role.ADMINISTRATOR, is_staff=True))
    assert str(sam) in client.get("/risk/training/").text


def test_nobody_records_their_own_training(client, north):
    sofia = factories.supervisor(north)
    client.force_login(sofia)
    response = client.post(
        "/risk/training/",
        {"user": sofia.pk, "course": "X", "completed_on": TODAY.isoformat(), "provider": "Y"},
    )
    assert response.status_code == 400
    assert not TrainingRecord.objects.exists()


def test_compliance_agrees_with_the_gate(client, north):
    sofia = factories.supervisor(north)
    cara = factories.caseworker(north)
    TrainingRecord.objects.create(
        user=cara,
        course="Old",
        completed_on=TODAY - datetime.timedelta(days=400),
        expires_on=TODAY + datetime.timedelta(days=300),
        provider="P",
        recorded_by=sofia,
    )
    TrainingRecord.objects.create(
        user=cara,
        course="Newer but expired",
        completed_on=TODAY - datetime.timedelta(days=100),
        expires_on=TODAY - datetime.timedelta(days=1),
        provider="P",
        recorded_by=sofia,
    )
    assert has_current_training(cara)
    client.force_login(sofia)
    rows = {r.user.pk: r.state for r in client.get("/risk/training/").context["rows"]}
    assert rows[cara.pk] == "current"


def test_oversized_or_wrong_certificates_are_refused(client, north, settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    sofia = factories.supervisor(north)
    cara = factories.caseworker(north)
    client.force_login(sofia)
    base = {"user": cara.pk, "course": "C", "completed_on": TODAY.isoformat(), "provider": "P"}
    big = client.post(
        "/risk/training/",
        {
            **base,
            "certificate": SimpleUploadedFile("c.pdf", b"%PDF-" + b"x" * 4096, "application/pdf"),
        },
    )
    assert big.status_code == 400 and "the limit is 1 KB" in big.text
    wrong = client.post(
        "/risk/training/",
        {**base, "certificate": SimpleUploadedFile("c.exe", b"MZ", "application/octet-stream")},
    )
    assert wrong.status_code == 400 and "Only PDF, JPEG, PNG" in wrong.text
    assert not TrainingRecord.objects.exists()
