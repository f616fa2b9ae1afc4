"""The data-protection officer's dashboard: open requests by days left, breaches and their
72-hour clock, erasures due and legal holds to review."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dataprotection import selectors
from victimsupport.access import Role, has_role


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, Role.DATA_PROTECTION_OFFICER):
        raise Http404("No page here.")
    return render(request, "dataprotection/dashboard.html", selectors.dashboard(request.user))
