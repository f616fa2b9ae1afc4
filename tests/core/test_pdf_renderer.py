"""The one PDF renderer (victimsupport.pdf): any app, any PDF, the same safety.

It loads nothing but data: URLs, writes only the caller's title into the metadata, lays every
PDF out on the base template (page X of Y, the active language) and, when asked, encrypts
the file with AES-256.
"""

from __future__ import annotations

import http.server
import io
import threading

import pytest
from django.utils import translation
from pypdf import PasswordType, PdfReader
from pypdf.errors import FileNotDecryptedError

from tests import factories
from victimsupport import pdf
from victimsupport.audit.services import AccessKind

PASSWORD = "correct horse battery staple"

NOSY_HEAD = (
    "<html><head><title>Mira Okafor</title>"
    '<meta name="author" content="Cara Caseworker">'
    '<meta name="description" content="Mira Okafor, 12 Hill Road">'
    '<meta name="keywords" content="Okafor">'
    '<meta name="generator" content="victimsupport 1.4.2">'
    '<meta name="dcterms.created" content="2026-11-30T10:00:00Z">'
    "</head><body><p>Mira Okafor</p></body></html>"
)


def metadata_of(content: bytes) -> dict:
    return dict(PdfReader(io.BytesIO(content)).metadata or {})


def text_of(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# --- Nothing is fetched ----------------------------------------------------------------------


class CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        CountingHandler.requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def listening_server():
    CountingHandler.requests = []
    server = http.server.HTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_http_or_file_url_in_a_template_is_never_fetched(listening_server):
    html = (
        f'<link rel="stylesheet" href="{listening_server}/style.css">'
        f'<img src="{listening_server}/tracker.png">'
        '<img src="file:///etc/hostname">'
        f'<p style="background: url({listening_server}/bg.png)">x</p>'
    )
    content = pdf.html_to_pdf(html)
    assert CountingHandler.requests == []
    assert len(PdfReader(io.BytesIO(content)).pages[0].images) == 0


# --- Neutral metadata ------------------------------------------------------------------------


def test_the_metadata_holds_the_callers_title_and_nothing_else():
    meta = metadata_of(pdf.html_to_pdf(NOSY_HEAD, title="Document"))
    assert meta == {"/Title": "Document"}


def test_the_producer_is_not_written():
    assert "/Producer" not in metadata_of(pdf.html_to_pdf("<p>x</p>"))


@pytest.mark.django_db
def test_the_case_file_metadata_names_no_person_and_no_case(client):
    cara = factories.caseworker(factories.make_team("North"))
    case = factories.make_full_case(cara, given_name="Mira", family_name="Okafor")
    client.force_login(cara)
    content = client.get(f"/cases/{case.pk}/export/").content
    factories.assert_accessed(case, AccessKind.EXPORT, cara)
    reader = PdfReader(io.BytesIO(content))
    meta = str(dict(reader.metadata))
    for told in ("Mira", "Okafor", case.reference, "Cara", "North", "WeasyPrint"):
        assert told not in meta
    assert reader.metadata.title == pdf.NEUTRAL_TITLE
    assert reader.xmp_metadata is None


# --- The base template -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_case_file_and_the_safety_plan_extend_the_base_template():
    from django.template.loader import get_template

    for name in ("pdf/case_file.html", "pdf/safety_plan.html"):
        source = get_template(name).template.source
        assert source.startswith('{% extends "pdf/base.html" %}'), name


@pytest.mark.django_db
def test_every_page_says_page_x_of_y(client):
    cara = factories.caseworker(factories.make_team("North"))
    case = factories.make_full_case(cara)
    client.force_login(cara)
    content = client.get(f"/cases/{case.pk}/export/").content
    factories.assert_accessed(case, AccessKind.EXPORT, cara)
    pages = PdfReader(io.BytesIO(content)).pages
    for number, page in enumerate(pages, start=1):
        assert f"page {number} of {len(pages)}" in page.extract_text()


@pytest.mark.django_db
def test_the_document_language_is_the_active_language():
    with translation.override("fr"):
        html = pdf.render_html("pdf/safety_plan.html", {"actions": []}, title="Plan")
        content = pdf.html_to_pdf(html)
    assert '<html lang="fr">' in html
    assert PdfReader(io.BytesIO(content)).trailer["/Root"]["/Lang"] == "fr"


# --- Password protection ---------------------------------------------------------------------


@pytest.fixture
def plain():
    return pdf.html_to_pdf(NOSY_HEAD, title="Document")


def test_a_protected_pdf_is_encrypted_with_aes_256(plain):
    reader = PdfReader(io.BytesIO(pdf.protect(plain, PASSWORD)))
    assert reader.is_encrypted
    encryption = reader.trailer["/Encrypt"]
    # V=5, R=6 is AES-256 (PDF 2.0); pypdf's default, RC4, would be V=1 or 2.
    assert (encryption["/V"], encryption["/R"]) == (5, 6)
    assert encryption["/CF"]["/StdCF"]["/CFM"] == "/AESV3"


def test_the_wrong_password_does_not_open_it_and_the_right_one_does(plain):
    protected = pdf.protect(plain, PASSWORD)
    assert PdfReader(io.BytesIO(protected)).decrypt("wrong") == PasswordType.NOT_DECRYPTED
    reader = PdfReader(io.BytesIO(protected))
    assert reader.decrypt(PASSWORD) != PasswordType.NOT_DECRYPTED
    assert "Mira Okafor" in text_of_reader(reader)
    assert reader.metadata.title == "Document"


def test_without_the_password_neither_the_text_nor_the_metadata_can_be_read(plain):
    protected = pdf.protect(plain, PASSWORD)
    # pypdf writes the document information uncompressed: the title shows in a copy it
    # rewrites without a password, and must not in the protected one.
    assert b"(Document)" in rewritten(plain) and b"Document" not in protected
    reader = PdfReader(io.BytesIO(protected))
    with pytest.raises(FileNotDecryptedError):
        reader.metadata  # noqa: B018 (reading is the test)
    with pytest.raises(FileNotDecryptedError):
        reader.pages[0].extract_text()


def test_the_renderer_protects_when_given_a_password():
    content = pdf.render_pdf("pdf/safety_plan.html", {"actions": []}, password=PASSWORD)
    reader = PdfReader(io.BytesIO(content))
    assert reader.is_encrypted and reader.trailer["/Encrypt"]["/V"] == 5
    assert reader.decrypt(PASSWORD) != PasswordType.NOT_DECRYPTED


def test_an_empty_password_is_refused_rather_than_protecting_nothing(plain):
    with pytest.raises(ValueError):
        pdf.protect(plain, "")


def rewritten(content: bytes) -> bytes:
    from pypdf import PdfWriter

    out = io.BytesIO()
    PdfWriter(clone_from=PdfReader(io.BytesIO(content))).write(out)
    return out.getvalue()


def text_of_reader(reader: PdfReader) -> str:
    return "".join(page.extract_text() for page in reader.pages)
