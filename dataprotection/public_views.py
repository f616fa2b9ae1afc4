"""The one-time download page of a person's copy: public, minimal, and it never learns the
secret from the address.

GET shows the page and nothing else: it does not even look the link up, so the address alone
(in a history, a proxy's log, a server's log) downloads nothing and says nothing. The secret
is in the address's fragment (after "#"), which browsers never send; static/js/copy_link.js
copies it into the form, and the person's press of "Download my file" POSTs it. Without
JavaScript, the person types it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from dataprotection.forms.delivery import CopyDownloadForm
from dataprotection.models import CopyJob
from dataprotection.services import delivery as services
from victimsupport import pdfjobs


def _private(response: HttpResponse) -> HttpResponse:
    """Nothing kept, sent on or indexed: the page's address never leaves with a click, no
    cache holds it or the file, and no search engine lists it."""
    add_never_cache_headers(response)  # Cache-Control: no-store (and no-cache, max-age=0)
    # same-origin, not no-referrer: under no-referrer browsers send "Origin: null" with the
    # page's POST, which the CSRF check refuses (settings.SECURE_REFERRER_POLICY says the same).
    # Nothing goes to another site either way, and the secret after "#" is never in a referrer.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_http_methods(["GET", "POST"])
def copy_download(request: HttpRequest, link_id: str) -> HttpResponse:
    form = CopyDownloadForm(request.POST or None)
    status = 200
    refused: Any = None
    if request.method == "POST":
        if form.is_valid():
            try:
                content = services.delivery_link_use(
                    link_id=link_id, secret=form.cleaned_data["given"]
                )
            except ValidationError as exc:
                refused = exc.messages[0]
            else:
                return _private(pdfjobs.pdf_response(content, CopyJob.FILENAME))
        status = 400
    context = {
        "form": form,
        "refused": refused,
        "quick_exit_url": settings.QUICK_EXIT_URL,
        "link_days": services.LINK_DAYS,
    }
    return _private(render(request, "dataprotection/public_copy.html", context, status=status))
