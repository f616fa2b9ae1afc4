"""The one PDF renderer: it fetches nothing and says nothing about whom a file concerns.

Any app renders any PDF through it, case-bound or not, from a template that extends
``pdf/base.html`` (page numbers, a neutral footer, the active language):

- Only ``data:`` URLs are loaded: no network, no local files (``safe_url_fetcher``).
- The metadata is neutral: the title is the caller's (never the HTML's ``<title>``), and no
  author, description, keywords, generator, dates, attachments or producer are written,
  whatever the template says.
- ``protect`` encrypts a finished PDF with a password, AES-256 named explicitly: pypdf falls
  back to RC4 when the algorithm is left out. An archive copy in PDF/A cannot be encrypted
  (PDF/A forbids it), so encrypt delivered copies only.
"""

from __future__ import annotations

import io
import threading
from typing import Any

from django.template.loader import render_to_string

NEUTRAL_TITLE = "Case file"
# pypdf's own name for it; RC4 (its default) is broken and must never be used.
ENCRYPTION = "AES-256"


def safe_url_fetcher() -> Any:
    # Imported here: WeasyPrint loads its fonts and stylesheets on import, which every
    # process would otherwise pay for at start-up.
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=False)


def render_pdf(
    template: str,
    context: dict[str, Any],
    *,
    title: str = NEUTRAL_TITLE,
    password: str | None = None,
) -> bytes:
    """The PDF of ``template``; encrypted with ``password`` (AES-256) when one is given."""
    content = html_to_pdf(render_html(template, context, title=title), title=title)
    return protect(content, password) if password else content


def render_html(template: str, context: dict[str, Any], *, title: str = NEUTRAL_TITLE) -> str:
    """The HTML a PDF is made from, with the neutral title."""
    return render_to_string(template, {**context, "pdf_title": title})


def html_to_pdf(html: str, *, title: str = NEUTRAL_TITLE) -> bytes:
    return write(lay_out(html, title=title))


def lay_out(html: str, *, title: str = NEUTRAL_TITLE) -> Any:
    """Lay the HTML out into pages (a WeasyPrint ``Document``); ``write`` on the result gives
    the bytes. Split in two so a background export can report each step."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=None, url_fetcher=safe_url_fetcher())
    document = document.render(font_config=_font_config())
    _neutralise(document.metadata, title=title)
    return document


def write(document: Any) -> bytes:
    """The bytes of a laid-out document, without the producer WeasyPrint writes."""
    return document.write_pdf(finisher=_strip_producer)


def protect(pdf: bytes, password: str) -> bytes:
    """``pdf`` encrypted with ``password``, AES-256 (encryption dictionary V=5, R=6).

    The document information (title included) is encrypted with the rest, so nothing of the
    file is readable without the password.
    """
    if not password:
        raise ValueError("A password is needed to protect a PDF.")
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=password, algorithm=ENCRYPTION)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _neutralise(metadata: Any, *, title: str) -> None:
    """Whatever the template's ``<meta>`` and ``<title>`` say, the file says only its title."""
    metadata.title = title
    metadata.authors = []
    metadata.description = None
    metadata.keywords = []
    metadata.generator = None
    metadata.created = None
    metadata.modified = None
    metadata.attachments = []
    metadata.custom = {}
    metadata.xmp_metadata = []


def _strip_producer(document: Any, pdf: Any) -> None:
    # "WeasyPrint <version>" says which software (and version) a service runs.
    pdf.info.pop("Producer", None)


_local = threading.local()


def _font_config() -> Any:
    """One font configuration per thread, reused by every PDF the thread renders: building
    it is about 4 % of a 10-page file. Per thread, because Pango's font map is not
    thread-safe (gunicorn runs threaded workers)."""
    config = getattr(_local, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _local.font_config = FontConfiguration()
    return config
