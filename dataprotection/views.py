"""The data-protection officer's dashboard: open requests by days left, breaches and their
72-hour clock, erasures due and legal holds to review."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dataprotection import selectors
from dataprotection.roles import require_dpo_page
from victimsupport.dbrouter import replica_reads


@login_required
@require_GET
@replica_reads()
def dashboard(request: HttpRequest) -> HttpResponse:
    require_dpo_page(request.user)
    return render(request, "dataprotection/dashboard.html", selectors.dashboard(request.user))
