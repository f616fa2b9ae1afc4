"""PDF export: through the safe renderer (no fetches, neutral metadata), audited."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests import factories
from victimsupport.audit.models import AuditEntry
from victimsupport.pdf import html_to_pdf, safe_url_fetcher

pytestmark = pytest.mark.django_db


def test_export_is_a_pdf_with_neutral_metadata_and_is_audited(client):
    cara = factories.caseworker(factories.make_team("North"))
    case = factories.make_full_case(cara, given_name="Mira", family_name="Okafor")
    client.force_login(cara)
    response = client.get(f"/cases/{case.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="case-file.pdf"'
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert case.reference in text and "Mira Okafor" in text
    meta = reader.metadata
    assert meta.title == "Case file"
    assert not meta.author and "Okafor" not in str(dict(meta))
    entry = AuditEntry.objects.get_for_object(case).get(additional_data__access="export")
    assert entry.actor == cara


def test_export_is_404_for_outsiders(client):
    cara = factories.caseworker(factories.make_team("North"))
    case = factories.make_full_case(cara)
    client.force_login(factories.caseworker(factories.make_team("South"), "Sam"))
    assert client.get(f"/cases/{case.pk}/export/").status_code == 404


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/tracker.png", "https://example.org/x.css", "file:///etc/passwd"]
)
def test_the_renderer_refuses_every_url_but_data(url):
    with pytest.raises(ValueError, match="disallowed protocol"):
        safe_url_fetcher().fetch(url)


def test_external_resources_are_not_loaded_but_data_urls_are():
    pixel = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
        "z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    html = f'<img src="file:///etc/hostname"><img src="{pixel}"><p>x</p>'
    pdf = html_to_pdf(html)
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    images = reader.pages[0].images
    assert len(images) == 1  # the data: image only
