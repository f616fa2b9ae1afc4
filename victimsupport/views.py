from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found

from victimsupport.access import MaySeeNotChange, Role, roles_of

# What each role can do, in the words the home page uses: (url name, query, title, text).
ROLE_TASKS: dict[str, list[tuple[str, str, str, str]]] = {
    Role.CASEWORKER: [
        (
            "cases:intake",
            "",
            "New intake",
            "Take someone in safely, or resume an intake you started.",
        ),
        ("cases:list", "", "My cases", "Open the case files assigned to you."),
        ("cases:list", "?scope=team", "Team cases", "Every case of your teams."),
    ],
    Role.SUPERVISOR: [
        (
            "risk:dashboard",
            "",
            "Risk dashboard",
            "High-risk cases without a plan, overdue reviews and actions, overrides.",
        ),
        ("cases:list", "?scope=team", "Team cases", "Every case of the teams you supervise."),
        ("risk:training", "", "Training", "Who is trained on risk assessment, and until when."),
        (
            "cases:break_glass",
            "",
            "Emergency access",
            "Open a case outside your teams when someone's safety depends on it. The reason "
            "is recorded and reviewed.",
        ),
    ],
    Role.DATA_PROTECTION_OFFICER: [
        ("audit_log", "", "Audit log", "Who changed, viewed or exported what, and when."),
    ],
    Role.AUDITOR: [
        (
            "audit_log",
            "",
            "Audit log",
            "Check that the log is complete and untampered, and review access to case files.",
        ),
    ],
    Role.ADMINISTRATOR: [
        ("admin:accounts_user_changelist", "", "Staff accounts", "Add staff, set roles and teams."),
        ("admin:accounts_team_changelist", "", "Teams", "Create and rename teams."),
        (
            "admin:cases_confidentialitynotice_changelist",
            "",
            "Confidentiality notice",
            "Publish a new version of the notice caseworkers give at intake.",
        ),
        (
            "admin:risk_instrumentversion_changelist",
            "",
            "Risk instruments",
            "Draft, check and publish versions of the risk assessment questions and thresholds.",
        ),
        ("risk:training", "", "Training", "Record staff training on risk assessment."),
    ],
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = roles_of(request.user)
    sections = [(Role(role).label, ROLE_TASKS[role]) for role in Role.values if role in roles]
    return render(request, "home.html", {"sections": sections})


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler403``: a 403 only for "may see, may not change"; every other refusal is the
    404 of an address that does not exist, so that it reveals nothing.

    The administration raises plain ``PermissionDenied`` when a change is refused on a record
    the administrator may see (a published risk instrument, a published notice): a refused
    change there is the same "may see, may not change".
    """
    match = request.resolver_match
    refused_change_in_admin = (
        match is not None and match.app_name == "admin" and request.method not in SAFE_METHODS
    )
    if not isinstance(exception, MaySeeNotChange) and not refused_change_in_admin:
        return page_not_found(request, Http404())
    reason = getattr(exception, "reason", "")
    return render(request, "403.html", {"reason": reason}, status=403)


def admin_login(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """Replaces the admin's login view for every method and every user."""
    next_url = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        # Signed in but not allowed into the admin: no second sign-in form here, and no
        # administration to see either.
        raise Http404("Your account cannot use the administration.")
    return redirect_to_login(next_url, login_url=reverse("account_login"))


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
