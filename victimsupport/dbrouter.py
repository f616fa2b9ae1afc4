"""Reads that may go to a streaming replica, and the rule that keeps everything else on the
primary.

Writes always go to the primary. A read goes to the replica (``DATABASE_REPLICA_URL``, alias
``replica``) only when all of these hold:

- the code reading asked for it: a view or selector marked with ``replica_reads()`` (the
  dashboards, the network figures, the evidence pages: figures that may be a second old);
- it is not inside a transaction on the primary (a service reading what it is about to
  change, the audit chain's head, a ``select_for_update``);
- the request is a safe one (GET, HEAD): a POST reads what it changes;
- the person has not changed anything in the last ``REPLICA_PIN_SECONDS``: after a write their
  reads stay on the primary, so they never see a page without what they just did (the replica
  may lag behind by a moment). ``ReplicaPinMiddleware`` records the time in their session;
- the table is not one whose state must be current: sessions, the cache (rate limits), the
  task queue.

Without ``DATABASE_REPLICA_URL`` every read goes to the primary, marked or not.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from contextlib import ContextDecorator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
# The session key holding the time (seconds since the epoch) until which the person's reads
# stay on the primary.
PIN_SESSION_KEY = "_primary_until"
# Never read from the replica: state that must be exactly current (a session just rotated at
# sign-in, a throttle's counter, a job's status).
PRIMARY_ONLY_APPS = frozenset({"sessions", "django_cache", "django_tasks_db"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_marked: contextvars.ContextVar[bool] = contextvars.ContextVar("replica_reads", default=False)


@dataclass
class _RequestState:
    safe: bool
    pinned: Callable[[], bool]
    wrote: bool = False
    _pinned: bool | None = field(default=None, repr=False)

    def is_pinned(self) -> bool:
        # Asked at most once per request, and only when a marked read is about to happen:
        # the session is already loaded by then (the user was authenticated from it).
        if self._pinned is None:
            self._pinned = self.pinned()
        return self._pinned


_request: contextvars.ContextVar[_RequestState | None] = contextvars.ContextVar(
    "replica_request", default=None
)


def replica_alias() -> str | None:
    """The alias reads may go to, or None when no replica is configured."""
    return getattr(settings, "READ_REPLICA_ALIAS", None)


class replica_reads(ContextDecorator):
    """Allow the reads inside to go to the replica (a decorator or a ``with`` block)."""

    def __init__(self) -> None:
        self._token: contextvars.Token[bool] | None = None

    def _recreate_cm(self) -> replica_reads:
        # A decorated view runs in many threads at once: each call gets its own token.
        return type(self)()

    def __enter__(self) -> replica_reads:
        self._token = _marked.set(True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _marked.reset(self._token)
            self._token = None


def reads_from_replica(model: type[Any] | None = None) -> bool:
    """Whether a read of ``model`` made now would go to the replica."""
    alias = replica_alias()
    if alias is None or not _marked.get():
        return False
    if model is not None and model._meta.app_label in PRIMARY_ONLY_APPS:
        return False
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return False
    state = _request.get()
    return state is None or (state.safe and not state.is_pinned())


class ReplicaRouter:
    """Writes to the primary; reads to the primary unless ``reads_from_replica``."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        if reads_from_replica(model):
            return replica_alias() or DEFAULT_DB_ALIAS
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        state = _request.get()
        if state is not None:
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica is a copy of the primary: a row read from one may point at a row of
        # the other.
        both = {obj1._state.db, obj2._state.db}
        if both <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # A streaming replica is read-only: it receives the schema from the primary.
        if db == REPLICA:
            return False
        return None


class ReplicaPinMiddleware:
    """After a person's request that wrote something, keep their reads on the primary for
    ``REPLICA_PIN_SECONDS``: the replica may not have received the change yet."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if replica_alias() is None:
            return self.get_response(request)
        state = _RequestState(
            safe=request.method in SAFE_METHODS, pinned=lambda: _session_pinned(request)
        )
        token = _request.set(state)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        if state.wrote and not state.safe and _authenticated(request):
            request.session[PIN_SESSION_KEY] = int(time.time()) + settings.REPLICA_PIN_SECONDS
        return response


def _session_pinned(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    if session is None:
        return False
    try:
        until = int(session.get(PIN_SESSION_KEY, 0))
    except (TypeError, ValueError):
        return True
    return until > time.time()


def _authenticated(request: HttpRequest) -> bool:
    # After signing out the session is gone: do not make a new one to hold the pin.
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and hasattr(request, "session"))
