from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    """Pages shown to a signed-in user are never kept in the browser's cache: an office
    computer is often shared, and the back button must not bring a case file back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            add_never_cache_headers(response)  # includes no-store
        return response


class NoIndexMiddleware:
    """Every answer tells search engines and archives to keep away: a confidential service's
    pages, public ones included, must never turn up in a search. First in the chain, so it
    also marks what the others answer themselves (static files, redirects, refusals)."""

    VALUE = "noindex, nofollow, noarchive, nosnippet"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers["X-Robots-Tag"] = self.VALUE
        return response
