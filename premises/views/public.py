"""The victim-facing "Your safety here" page: no sign-in, nothing else of the system.

Found by the site's random public id; shows the published version's title and text in the
language of the request, or the one asked for by the page's own links (``?lang=en-gb``,
``?lang=fr``): no form, so no CSRF token, and no cookie at all is left on the reader's device
(a language cookie or a csrftoken would outlive the visit). The quick-exit button comes first,
then what the button can and cannot do. No name of the site (unless the staff wrote it into
the text), no address, no staff, no navigation. An address with no page (unknown, withdrawn,
or the site closed) answers a 404 on the same public base: quick exit, neutral title, nothing
of the staff's system.

No audit entry is written for the read: the reader is anonymous (there is no one to name),
the page holds only text that passed the sensitive-terms check and a supervisor's review,
and a log entry per anonymous read would let anyone grow the log at will.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from premises.selectors.safety import public_page


def _private(response: HttpResponse) -> HttpResponse:
    """Not kept in a shared cache, not indexed, and no address sent on with a click."""
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _language(request: HttpRequest) -> str:
    """The language asked for by the page's links, if it is one of ours; else the request's."""
    asked = request.GET.get("lang")
    codes = [code for code, _name in settings.LANGUAGES]
    return asked if asked in codes else translation.get_language()


@require_http_methods(["GET"])
def safety_page_public(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    language = _language(request)
    with translation.override(language):
        page = public_page(public_id)
        context: dict[str, Any] = {
            "quick_exit_url": settings.QUICK_EXIT_URL,
            "languages": settings.LANGUAGES,
        }
        if page is None:
            response = render(request, "premises/public_missing.html", context, status=404)
        else:
            context["title"] = page.title_in(language)
            context["body"] = page.body_in(language)
            response = render(request, "premises/public_safety.html", context)
    return _private(response)
