"""Who is acting, for the audit entries written while a request is served, and outside one.

Replaces django-auditlog's middleware, whose context is never reset after a request: a later
write in the same thread (a task, a command) would be attributed to the previous request's
user. Ours is reset when the response is done.

Outside a request (a management command, a background task, a seeder) ``acting_as`` says who
or what writes: a label such as ``system="rotate_keys"``, and the person the work is done
for when there is one (the requester of a background export). Commands get it by subclassing
``AuditedCommand``; a task opens it itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)

# A label names a piece of code (a command, a task), never a person or free text: it is
# stored in the clear in the sealed log.
_LABEL = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")


@dataclass(frozen=True)
class Acting:
    user: Any
    system: str | None


_acting: ContextVar[Acting | None] = ContextVar("audit_acting", default=None)


def _checked_label(system: str | None) -> str | None:
    if system is not None and not _LABEL.match(system):
        raise ValueError("an audit label names code (rotate_keys), never free text")
    return system


@contextmanager
def acting_as(user: Any = None, *, system: str | None = None) -> Iterator[None]:
    """Attribute the audit entries written inside to ``user`` and/or the label ``system``.

    Usable as a decorator too. A request's signed-in user still wins over ``user``.
    """
    if user is None and system is None:
        raise ValueError("say who or what is acting: a user, a system label, or both")
    token = _acting.set(Acting(user, _checked_label(system)))
    try:
        yield
    finally:
        _acting.reset(token)


def on_behalf_of(user: Any) -> None:
    """Inside ``acting_as(system=...)``, name the person the work is for, once it is known
    (a task learns its requester from the job it loads). Ends with the enclosing block."""
    current = _acting.get()
    if current is None or current.system is None:
        raise RuntimeError("on_behalf_of needs an enclosing acting_as(system=...)")
    _acting.set(Acting(user, current.system))


def current_system() -> str | None:
    """The label of the code writing now, outside a request; ``None`` when there is none."""
    current = _acting.get()
    return current.system if current is not None else None


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
        current = _acting.get()
        return (current.user if current is not None else None), None
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
