"""The victim-facing "Your safety here" page: no sign-in, nothing else of the system.

Found by the site's random public id; shows the published version's title and text in the
active language (the English/Français switch posts to set_language, which needs no
sign-in), the quick-exit button first, and what the button can and cannot do. No name of
the site (unless the staff wrote it into the text), no address, no staff, no navigation.

No audit entry is written for the read: the reader is anonymous (there is no one to name),
the page holds only text that passed the sensitive-terms check and a supervisor's review,
and a log entry per anonymous read would let anyone grow the log at will.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
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


@require_http_methods(["GET"])
def safety_page_public(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    page = public_page(public_id)
    if page is None:
        raise Http404("No page here.")
    language = translation.get_language()
    context = {
        "title": page.title_in(language),
        "body": page.body_in(language),
        "quick_exit_url": settings.QUICK_EXIT_URL,
    }
    return _private(render(request, "premises/public_safety.html", context))
