"""Recording refused access to case-bound objects, whichever view refused it.

One middleware rather than a call in every lookup: the access helper, the child lookups that
raise Http404 themselves and every ``get_for_user`` still to come all answer 404 or 403, and
the resolved URL pattern says whether the address names an object. Nothing about the object
is kept, only the route's name: no path, id or query string.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import ResolverMatch

from victimsupport.audit.services import REFUSAL_STATUSES, record_refusal, safe_detail


def route_kind(match: ResolverMatch) -> str:
    """``cases:detail``; for a pattern someone forgot to name, the view's dotted path."""
    name = match.view_name
    return name if safe_detail(name) else "unnamed"


def names_an_object(match: ResolverMatch | None) -> bool:
    """Whether the pattern takes an object's id (``pk``, ``consent_id``, ``case_pk``...), in
    any app.

    A typo has no match at all, and a list or a form without an id refuses no one object.
    """
    if match is None:
        return False
    return any(
        name == "pk" or name.endswith("_id") or name.endswith("_pk") for name in match.kwargs
    )


class RefusedAccessMiddleware:
    """Counts a signed-in user's 403 and 404 answers on addresses that name an object.

    Sits last, so that ``process_view`` runs only when every other middleware let the request
    through to the view: a CSRF failure (403 from the CSRF middleware) is not a refusal of
    the object, and anonymous requests are sent to sign in before they reach any view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> None:
        request._vs_view_reached = True  # type: ignore[attr-defined]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code in REFUSAL_STATUSES
            and getattr(request, "_vs_view_reached", False)
            and request.user.is_authenticated
            and names_an_object(request.resolver_match)
        ):
            record_refusal(
                actor=request.user,
                route=route_kind(request.resolver_match),  # type: ignore[arg-type]
                status=response.status_code,
            )
        return response
