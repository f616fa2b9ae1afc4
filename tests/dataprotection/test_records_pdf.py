"""The record of processing as a PDF: every entry in it, and an export entry for each."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from dataprotection.models import ProcessingActivity
from dataprotection.services import records
from tests import factories
from victimsupport.audit.services import AccessKind

pytestmark = pytest.mark.django_db


def test_the_pdf_holds_every_entry_and_is_audited(client):
    dana = factories.dpo("Dana")
    factories.make_agreement(factories.make_partner("Harbour Refuge"), purposes=("housing",))
    records.processing_prefill(actor=dana)
    records.processing_activity_add(
        actor=dana,
        name="Volunteer rota",
        purpose="Plan shifts.",
        lawful_basis="contract",
        data_categories=[],
        people="Volunteers.",
        retention="One year.",
        security="Encrypted.",
    )
    client.force_login(dana)
    since = factories.audit_mark()
    response = client.get("/data-protection/records/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = " ".join(text.split())
    assert "Record of processing activities" in flat
    assert "Volunteer rota" in flat and "Harbour Refuge" in flat
    assert "Casework: supporting victims" in flat
    assert "Data-protection officer" in flat and "Dana" in flat
    for activity in ProcessingActivity.objects.all():
        factories.assert_accessed(activity, AccessKind.EXPORT, dana, since=since, **{"as": "pdf"})
