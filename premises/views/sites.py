"""Pages of the sites part: the supervisor's premises dashboard, the list of sites, a site's
page (with each part's panel) and the forms to add and edit a site.

A site's address is shown on its own page and its edit form only, and only where the one
way in says so (``can_see_address``): never in a list, never to an auditor for a refuge."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from premises.forms.sites import SiteForm
from premises.models import Site, is_site_supervisor
from premises.selectors import assessments as assessment_panels
from premises.selectors import evidence as evidence_panels
from premises.selectors import safety as safety_panels
from premises.selectors import sites as selectors
from premises.services import sites as services
from victimsupport.access import CASE_ROLES, MaySeeNotChange, Role, get_for_user, roles_of
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.concurrency import EditConflict, render_conflict, render_refused
from victimsupport.dbrouter import replica_reads
from victimsupport.forms import add_service_errors


def _refused_message() -> str:
    return _(
        "Nothing was saved: the form below says what to change. What you typed is still there."
    )


def _require_supervisor(user: Any) -> None:
    if Role.SUPERVISOR not in roles_of(user):
        raise Http404("No such page.")


@login_required
@require_GET
@replica_reads()
def dashboard(request: HttpRequest) -> HttpResponse:
    """The supervisor's premises dashboard, for the sites of their teams."""
    _require_supervisor(request.user)
    context = selectors.dashboard(request.user)
    context.update(safety_panels.dashboard_safety(request.user))  # the safety part's panel
    return render(request, "premises/dashboard.html", context)


@login_required
@require_GET
def site_list(request: HttpRequest) -> HttpResponse:
    """The sites someone works with (an auditor: every site): no address, ever."""
    roles = roles_of(request.user)
    if not roles & (CASE_ROLES | {Role.AUDITOR}):
        raise Http404("No such page.")
    return render(
        request,
        "premises/sites.html",
        {
            "sites": list(selectors.sites_for(request.user)),
            "can_add": Role.SUPERVISOR in roles and request.user.teams.exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def site_new(request: HttpRequest) -> HttpResponse:
    _require_supervisor(request.user)
    teams = request.user.teams.order_by("name")
    form = SiteForm(request.POST or None, teams=teams)
    if request.method == "POST":
        if form.is_valid():
            try:
                site = services.site_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Site added."))
                return redirect("premises:site", site_id=site.pk)
        messages.error(request, _refused_message())
    return render(
        request,
        "premises/site_form.html",
        {"form": form, "site": None},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def site_detail(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_for_user(request.user, Site.objects.select_related("team"), site_id)
    record_access(actor=request.user, obj=site, kind=AccessKind.VIEW)
    context: dict[str, Any] = {
        "site": site,
        "can_edit": is_site_supervisor(request.user, site),
    }
    # Each part's panel: the other parts fill in their own.
    for panels in (assessment_panels, evidence_panels, safety_panels):
        context.update(panels.site_panel(site, request.user))
    return render(request, "premises/site_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def site_edit(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_for_user(request.user, Site.objects.select_related("team"), site_id, write=True)
    if not is_site_supervisor(request.user, site):
        raise MaySeeNotChange(_("Only a supervisor of the site's team changes its details."))
    # The form shows the site's address: opening it is an access entry.
    record_access(actor=request.user, obj=site, kind=AccessKind.VIEW)
    initial = {name: getattr(site, name) for name in services.SITE_FIELDS}
    initial["version"] = site.version
    form = SiteForm(request.POST or None, initial=initial)
    template = "premises/site_form.html"
    context = {"form": form, "site": site}
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                services.site_update(actor=request.user, site=site, version=version, **data)
            except EditConflict as conflict:
                return render_conflict(request, template, context, form=form, conflict=conflict)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Site saved."))
                return redirect("premises:site", site_id=site.pk)
        messages.error(request, _refused_message())
        return render_refused(request, template, context, form=form, current=site)
    return render(request, template, context)
