from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from django import db
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found

from victimsupport.access import MaySeeNotChange, Role, roles_of
from victimsupport.audit.models import AuditEntry

# What each role can do, in the words the home page uses: (url name, query, title, text).
# Every link here answers 200 for the role (tests/core/test_home_links.py follows them all).
ROLE_TASKS: dict[str, list[tuple[str, str, Any, Any]]] = {
    Role.CASEWORKER: [
        (
            "cases:intake",
            "",
            _("New intake"),
            _("Take someone in safely, or resume an intake you started."),
        ),
        ("cases:list", "", _("My cases"), _("Open the case files assigned to you.")),
        ("cases:list", "?scope=team", _("Team cases"), _("Every case of your teams.")),
        (
            "premises:sites",
            "",
            _("Sites"),
            _("Your teams' sites: read the escape plan, record drills and incidents."),
        ),
        (
            "referrals:directory",
            "",
            _("Partner directory"),
            _("The organisations we refer people to, their agreements and meetings."),
        ),
    ],
    Role.SUPERVISOR: [
        (
            "risk:dashboard",
            "",
            _("Risk dashboard"),
            _("High-risk cases without a plan, overdue reviews and actions, overrides."),
        ),
        (
            "premises:dashboard",
            "",
            _("Premises"),
            _(
                "Security reviews and actions due at your teams' sites, who read the escape "
                "plan, safety pages to review and recent incidents."
            ),
        ),
        (
            "cases:list",
            "?scope=team",
            _("Team cases"),
            _("Every case of the teams you supervise."),
        ),
        (
            "risk:training",
            "",
            _("Training"),
            _("Who is trained on risk assessment, and until when."),
        ),
        (
            "cases:break_glass",
            "",
            _("Emergency access"),
            _(
                "Open a case outside your teams when someone's safety depends on it. The "
                "reason is recorded and reviewed."
            ),
        ),
        (
            "referrals:dashboard",
            "",
            _("Partner network"),
            _(
                "Agreements ending or expired, partners not met in a year, overrides waiting "
                "for approval, and the figures of your teams' referrals."
            ),
        ),
        (
            "referrals:directory",
            "",
            _("Partner directory"),
            _("The organisations we refer people to, their agreements and meetings."),
        ),
    ],
    Role.DATA_PROTECTION_OFFICER: [
        (
            "dataprotection:dashboard",
            "",
            _("Data protection"),
            _(
                "Requests from people by days left, breaches and their 72-hour clock, "
                "erasures due and legal holds to review."
            ),
        ),
        (
            "audit_log",
            "",
            _("Audit log"),
            _("Who changed, viewed or exported what, and when. Filter it and export it as CSV."),
        ),
        (
            "audit_log",
            "?kind=refused",
            _("Refused access"),
            _("Attempts to open what someone may not see or change, counted per hour."),
        ),
        (
            "audit_log",
            "?kind=export",
            _("Exports and downloads"),
            _("Every case file that left the service as a PDF, by whom and when."),
        ),
    ],
    Role.AUDITOR: [
        (
            "premises:sites",
            "",
            _("Premises evidence"),
            _(
                "Every site's security assessments, photos and escape plans, read-only; never "
                "a refuge's address."
            ),
        ),
        (
            "audit_log",
            "",
            _("Audit log"),
            _(
                "Check that the log is complete and untampered, and review access to case "
                "files. Filter it and export it as CSV."
            ),
        ),
        (
            "audit_log",
            "?kind=refused",
            _("Refused access"),
            _("Attempts to open what someone may not see or change, counted per hour."),
        ),
    ],
    Role.ADMINISTRATOR: [
        (
            "admin:accounts_user_changelist",
            "",
            _("Staff accounts"),
            _("Add staff, set roles and teams."),
        ),
        ("admin:accounts_team_changelist", "", _("Teams"), _("Create and rename teams.")),
        (
            "admin:cases_confidentialitynotice_changelist",
            "",
            _("Confidentiality notice"),
            _("Publish a new version of the notice caseworkers give at intake."),
        ),
        (
            "admin:risk_instrumentversion_changelist",
            "",
            _("Risk instruments"),
            _("Draft, check and publish versions of the risk assessment questions and thresholds."),
        ),
        ("risk:training", "", _("Training"), _("Record staff training on risk assessment.")),
        (
            "admin:premises_checklistversion_changelist",
            "",
            _("Premises checklists"),
            _("Draft, check and publish versions of the premises security checklist."),
        ),
        (
            "referrals:directory",
            "",
            _("Partner directory"),
            _("Keep the organisations we refer people to, their agreements and meetings."),
        ),
    ],
    # A partner organisation's user: their inbox, nothing of any case.
    Role.PARTNER: [
        (
            "referrals:inbox",
            "",
            _("Referrals sent to you"),
            _(
                "Read the referrals sent to your organisation, accept or decline them, and "
                "record what came of them."
            ),
        ),
    ],
}

REFUSED_WINDOW = timedelta(days=7)


def data_protection_figures() -> list[dict[str, Any]]:
    """The figures on the data-protection officer's home: what the service keeps, for how
    long, and the week's refused access. Counts only: no case, no name."""
    since = timezone.now() - REFUSED_WINDOW
    refused = AuditEntry.objects.filter(
        action=AuditEntry.Action.ACCESS, additional_data__access="refused", timestamp__gte=since
    ).count()
    return [
        {
            "value": refused,
            "text": ngettext(
                "refused access recorded in the last 7 days",
                "refused accesses recorded in the last 7 days",
                refused,
            ),
        },
        {
            "value": settings.INTAKE_DRAFT_HOURS,
            "text": _("hours before an unfinished intake and its answers are deleted"),
        },
        {
            "value": settings.PDF_EXPORT_HOURS,
            "text": _("hours a case-file PDF waits for download before it is deleted"),
        },
    ]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = roles_of(request.user)
    sections = [(role, Role(role).label, ROLE_TASKS[role]) for role in Role.values if role in roles]
    context: dict[str, Any] = {"sections": sections}
    if Role.DATA_PROTECTION_OFFICER in roles:
        context["dpo_figures"] = data_protection_figures()
    return render(request, "home.html", context)


# A restarted database is usually back within seconds.
DATABASE_RETRY_AFTER_SECONDS = 10

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


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: when the database could not be reached (it is restarting, its disk is
    full, a connection was cut), a 503 saying that nothing was saved and to try again, with a
    Retry-After; any other error, the plain 500 page. Neither page touches the database (no
    request context: its processors would query it), nor shows anything of the error."""
    exc = sys.exc_info()[1]
    unavailable = isinstance(exc, (db.OperationalError, db.InterfaceError))
    template = loader.get_template("503.html" if unavailable else "500.html")
    response = HttpResponse(template.render(), status=503 if unavailable else 500)
    if unavailable:
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


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


@require_GET
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready to serve: the database answers. A load balancer takes a server out of rotation
    while this answers 503 (``healthz`` only says the process is alive)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


# No page of a confidential service belongs in a search engine (every answer also carries
# X-Robots-Tag: noindex, from NoIndexMiddleware).
ROBOTS_TXT = "User-agent: *\nDisallow: /\n"


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    return HttpResponse(ROBOTS_TXT, content_type="text/plain")


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and tools ask for /favicon.ico whatever a page links: send them to the icon
    instead of a "not found" page (which would run the staff's error page for nothing)."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
