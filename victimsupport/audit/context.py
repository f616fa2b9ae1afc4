"""Who is acting, for the audit entries written while a request is served.

Replaces django-auditlog's middleware, whose context is never reset after a request: a later
write in the same thread (a task, a command) would be attributed to the previous request's
user. Ours is reset when the response is done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def client_address(request: HttpRequest) -> str | None:
    if settings.TRUST_X_FORWARDED_FOR:
        # The right-most address is the one our own proxy saw; the rest is client-supplied.
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR")


def current_actor_and_address() -> tuple[Any, str | None]:
    request = _request.get()
    if request is None:
        return None, None
    user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    return actor, client_address(request)


@contextmanager
def acting_request(request: HttpRequest) -> Iterator[None]:
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting_request(request):
            return self.get_response(request)
