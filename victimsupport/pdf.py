"""PDF rendering that fetches nothing and says nothing about whom a file concerns.

Only ``data:`` URLs are loaded (no network, no local files), the document title is neutral,
and no author or keywords are written into the metadata.
"""

from __future__ import annotations

import threading
from typing import Any

from django.template.loader import render_to_string

NEUTRAL_TITLE = "Case file"


def safe_url_fetcher() -> Any:
    # Imported here: WeasyPrint loads its fonts and stylesheets on import, which every
    # process would otherwise pay for at start-up.
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=False)


def render_pdf(template: str, context: dict[str, Any], *, title: str = NEUTRAL_TITLE) -> bytes:
    return html_to_pdf(render_html(template, context, title=title))


def render_html(template: str, context: dict[str, Any], *, title: str = NEUTRAL_TITLE) -> str:
    """The HTML a PDF is made from, with the neutral title."""
    return render_to_string(template, {**context, "pdf_title": title})


def html_to_pdf(html: str) -> bytes:
    return lay_out(html).write_pdf()


def lay_out(html: str) -> Any:
    """Lay the HTML out into pages (a WeasyPrint ``Document``); ``write_pdf()`` on the result
    gives the bytes. Split in two so a background export can report each step."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=None, url_fetcher=safe_url_fetcher())
    return document.render(font_config=_font_config())


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
