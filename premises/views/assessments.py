"""Security assessments of a site (start, fill in, findings, actions, submit, sign-off) and
its premises incidents.

Every page is below its site: the site is fetched through the one way in first, then its
record from the site's own rows. The site's staff read and write; an auditor reads the
assessments, findings and actions (every write is 403) and never sees an incident (404).
A page that shows a site's record writes an access entry for it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from premises.forms.assessments import (
    ActionDoneForm,
    ActionForm,
    AnswersForm,
    AssessmentReturnForm,
    AssessmentStartForm,
    FindingForm,
    IncidentForm,
    answers_initial,
)
from premises.models import (
    AssessmentStatus,
    Finding,
    PremisesIncident,
    ReviewReason,
    SecurityAssessment,
    Site,
    SiteAction,
    is_site_supervisor,
    site_staff,
)
from premises.selectors import assessments as selectors
from premises.services import assessments as services
from victimsupport.access import MaySeeNotChange, get_for_user
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.concurrency import EditConflict, render_conflict, render_refused
from victimsupport.forms import add_service_errors

GET_AND_POST = ["GET", "HEAD", "POST"]


def _chosen_id(value: str | None) -> int | None:
    """An id named in the address (``?incident=7``), or None for anything else. ASCII digits
    only: ``str.isdigit`` is true of "²", which ``int()`` and the database refuse."""
    if value and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def _refused() -> str:
    return _(
        "Nothing was saved: the form below says what to change. What you typed is still there."
    )


def _site(request: HttpRequest, site_id: int, *, write: bool = False) -> Site:
    return get_for_user(request.user, Site, site_id, write=write)


def _assessment(
    request: HttpRequest, site: Site, assessment_id: int, *, write: bool = False
) -> SecurityAssessment:
    return get_for_user(
        request.user,
        SecurityAssessment.objects.of_site(site).select_related("checklist__template"),
        assessment_id,
        write=write,
    )


def _staff_site(request: HttpRequest, site_id: int) -> Site:
    """The site, for its incidents' pages: its own staff's only. Anyone else who sees the site
    (an auditor) gets the same 404 as for an address that does not exist."""
    site = _site(request, site_id)
    if not site.can_write:
        raise Http404("No premises incident found.")
    return site


def _incident(request: HttpRequest, site: Site, incident_id: int) -> PremisesIncident:
    return get_for_user(request.user, PremisesIncident.objects.of_site(site), incident_id)


# --- Assessments ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def security_assessments(request: HttpRequest, site_id: int) -> HttpResponse:
    site = _site(request, site_id)
    rows = list(selectors.site_assessments(site, request.user))
    record_access(actor=request.user, obj=site, kind=AccessKind.VIEW)
    return render(
        request,
        "premises/assessment_list.html",
        {"site": site, "rows": rows, "can_write": site.can_write},
    )


@login_required
@require_http_methods(GET_AND_POST)
def security_assessment_new(request: HttpRequest, site_id: int) -> HttpResponse:
    site = _site(request, site_id, write=True)
    incidents = PremisesIncident.objects.visible_to(request.user).of_site(site)
    initial: dict[str, Any] = {"reason": site.review_reason}
    chosen = _chosen_id(request.GET.get("incident"))
    if chosen is not None and incidents.filter(pk=chosen).exists():
        initial.update(incident=chosen, reason=ReviewReason.INCIDENT)
    checklists = selectors.published_checklists()
    first = checklists.first()
    if first is not None:
        initial["checklist_version"] = first.pk
    form = AssessmentStartForm(
        request.POST or None, checklists=checklists, incidents=incidents, initial=initial
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                assessment = services.security_assessment_start(
                    actor=request.user, site=site, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Assessment started: answer each question."))
                return redirect("premises:security_assessment_answers", site.pk, assessment.pk)
        messages.error(request, _refused())
    record_access(actor=request.user, obj=site, kind=AccessKind.VIEW)
    return render(
        request,
        "premises/assessment_new.html",
        {"site": site, "form": form},
        status=400 if form.errors else 200,
    )


def _assessment_page(
    request: HttpRequest,
    site: Site,
    assessment: SecurityAssessment,
    *,
    status: int = 200,
    error: Any = None,
    return_form: AssessmentReturnForm | None = None,
) -> HttpResponse:
    actions = list(
        SiteAction.objects.visible_to(request.user)
        .filter(assessment=assessment)
        .select_related("owner", "finding")
    )
    can_write = bool(site.can_write) and assessment.status != AssessmentStatus.SIGNED_OFF
    submitted = assessment.status == AssessmentStatus.SUBMITTED
    site_supervisor = is_site_supervisor(request.user, site)
    supervises = submitted and site_supervisor
    # Four eyes (whoever started it or wrote in it does not sign it off), unless the team has
    # no other supervisor: then the page says so before they do (premises.review).
    may_sign_off, signs_off_alone = (
        services.sign_off_review(assessment, request.user) if supervises else (False, False)
    )
    record_access(actor=request.user, obj=assessment, kind=AccessKind.VIEW)
    return render(
        request,
        "premises/assessment.html",
        {
            "site": site,
            "assessment": assessment,
            "sections": selectors.checklist_sections(assessment),
            "findings": selectors.assessment_findings(assessment, request.user),
            "actions": actions,
            "can_write": can_write,
            "can_fill": can_write and assessment.status == AssessmentStatus.DRAFT,
            "can_sign_off": may_sign_off,
            "signs_off_alone": signs_off_alone,
            "started_it": supervises and not may_sign_off,
            "can_discard": site_supervisor
            and bool(site.can_write)
            and assessment.status == AssessmentStatus.DRAFT,
            "can_return": supervises,
            "return_form": return_form or (AssessmentReturnForm() if supervises else None),
            "incidents_since": supervises and services.incidents_since(assessment).exists(),
            "error": error,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def security_assessment(request: HttpRequest, site_id: int, security_assessment_id: int):
    site = _site(request, site_id)
    assessment = _assessment(request, site, security_assessment_id)
    return _assessment_page(request, site, assessment)


@login_required
@require_http_methods(GET_AND_POST)
def security_assessment_answers(request: HttpRequest, site_id: int, security_assessment_id: int):
    site = _site(request, site_id, write=True)
    assessment = _assessment(request, site, security_assessment_id, write=True)
    if assessment.status != AssessmentStatus.DRAFT:
        messages.error(request, _("This assessment is no longer a draft: its answers are kept."))
        return redirect("premises:security_assessment", site.pk, assessment.pk)
    initial = {
        **answers_initial(assessment.answers),
        "summary": assessment.summary,
        "version": assessment.version,
    }
    form = AnswersForm(
        request.POST or None,
        definition=assessment.checklist.definition,
        language=get_language(),
        initial=initial,
    )
    template = "premises/assessment_answers.html"
    context = {"site": site, "assessment": assessment, "form": form}
    record_access(actor=request.user, obj=assessment, kind=AccessKind.VIEW)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.security_assessment_save(
                    actor=request.user,
                    assessment=assessment,
                    version=form.cleaned_data["version"],
                    answers=form.answers(),
                    summary=form.cleaned_data["summary"],
                )
            except EditConflict as conflict:
                return render_conflict(request, template, context, form=form, conflict=conflict)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Answers saved. The assessment is still a draft."))
                return redirect("premises:security_assessment", site.pk, assessment.pk)
        messages.error(request, _refused())
        return render_refused(request, template, context, form=form, current=assessment)
    return render(request, template, context)


@login_required
@require_POST
def security_assessment_submit(request: HttpRequest, site_id: int, security_assessment_id: int):
    site = _site(request, site_id, write=True)
    assessment = _assessment(request, site, security_assessment_id, write=True)
    try:
        services.security_assessment_submit(actor=request.user, assessment=assessment)
    except ValidationError as exc:
        return _assessment_page(request, site, assessment, status=400, error=exc.messages)
    messages.success(request, _("Submitted: a supervisor of the site's team signs it off."))
    return redirect("premises:security_assessment", site.pk, assessment.pk)


@login_required
@require_POST
def security_assessment_sign_off(request: HttpRequest, site_id: int, security_assessment_id: int):
    site = _site(request, site_id, write=True)
    assessment = _assessment(request, site, security_assessment_id, write=True)
    try:
        services.security_assessment_sign_off(actor=request.user, assessment=assessment)
    except ValidationError as exc:
        return _assessment_page(request, site, assessment, status=400, error=exc.messages)
    if services.incidents_since(assessment).exists():
        messages.success(
            request,
            _(
                "Signed off. The site's review stays due: an incident happened after this "
                "assessment started. Start a new assessment that follows it."
            ),
        )
    else:
        messages.success(request, _("Signed off. The next review falls due in a year."))
    return redirect("premises:security_assessment", site.pk, assessment.pk)


@login_required
@require_POST
def security_assessment_return(request: HttpRequest, site_id: int, security_assessment_id: int):
    """A supervisor sends a submitted assessment back to draft, with what is to be changed."""
    site = _site(request, site_id, write=True)
    assessment = _assessment(request, site, security_assessment_id, write=True)
    form = AssessmentReturnForm(request.POST)
    if not form.is_valid():
        return _assessment_page(request, site, assessment, status=400, return_form=form)
    try:
        services.security_assessment_return(
            actor=request.user, assessment=assessment, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _assessment_page(request, site, assessment, status=400, return_form=form)
    messages.success(request, _("Sent back to draft, with what is to be changed."))
    return redirect("premises:security_assessment", site.pk, assessment.pk)


@login_required
@require_http_methods(GET_AND_POST)
def security_assessment_discard(request: HttpRequest, site_id: int, security_assessment_id: int):
    """Confirm, then discard a draft assessment (a supervisor of the site's team): it is
    deleted with its findings and actions, audited by their delete entries."""
    site = _site(request, site_id, write=True)
    assessment = _assessment(request, site, security_assessment_id, write=True)
    if not is_site_supervisor(request.user, site):
        raise MaySeeNotChange(_("Only a supervisor of the site's team discards an assessment."))
    if assessment.status != AssessmentStatus.DRAFT:
        messages.error(request, _("Only a draft can be discarded."))
        return redirect("premises:security_assessment", site.pk, assessment.pk)
    if request.method == "POST":
        try:
            services.security_assessment_discard(actor=request.user, assessment=assessment)
        except ValidationError as exc:
            return _assessment_page(request, site, assessment, status=400, error=exc.messages)
        messages.success(request, _("Assessment discarded: a new one may be started."))
        return redirect("premises:security_assessments", site.pk)
    counts = {"findings": assessment.findings.count(), "actions": assessment.actions.count()}
    record_access(actor=request.user, obj=assessment, kind=AccessKind.VIEW)
    return render(
        request,
        "premises/assessment_discard.html",
        {"site": site, "assessment": assessment, **counts},
    )


def _not_draft(request: HttpRequest, site: Site, assessment: SecurityAssessment) -> Any:
    """For the forms that add to an assessment: once submitted, back to its page (a POST goes
    on to the service, which refuses it and keeps what was typed)."""
    if request.method == "POST" or assessment.status == AssessmentStatus.DRAFT:
        return None
    messages.error(
        request,
        _("This assessment is no longer a draft: findings and actions are added to a draft."),
    )
    return redirect("premises:security_assessment", site.pk, assessment.pk)


# --- Findings and actions -------------------------------------------------------------------


@login_required
@require_http_methods(GET_AND_POST)
def finding_new(request: HttpRequest, site_id: int, security_assessment_id: int):
    site = _site(request, site_id, write=True)
    assessment = _assessment(request, site, security_assessment_id, write=True)
    if (back := _not_draft(request, site, assessment)) is not None:
        return back
    form = FindingForm(request.POST or None, questions=selectors.question_choices(assessment))
    if request.method == "POST":
        if form.is_valid():
            try:
                services.finding_add(actor=request.user, assessment=assessment, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Finding added."))
                return redirect("premises:security_assessment", site.pk, assessment.pk)
        messages.error(request, _refused())
    record_access(actor=request.user, obj=assessment, kind=AccessKind.VIEW)
    return render(
        request,
        "premises/assessment_finding.html",
        {"site": site, "assessment": assessment, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(GET_AND_POST)
def assessment_action_new(request: HttpRequest, site_id: int, security_assessment_id: int):
    site = _site(request, site_id, write=True)
    assessment = _assessment(request, site, security_assessment_id, write=True)
    if (back := _not_draft(request, site, assessment)) is not None:
        return back
    findings = Finding.objects.visible_to(request.user).filter(assessment=assessment)
    initial = {}
    chosen = _chosen_id(request.GET.get("finding"))
    if chosen is not None:
        initial["finding"] = chosen
    form = ActionForm(
        request.POST or None, staff=site_staff(site), findings=findings, initial=initial
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.site_action_add(
                    actor=request.user, site=site, assessment=assessment, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Action added."))
                return redirect("premises:security_assessment", site.pk, assessment.pk)
        messages.error(request, _refused())
    record_access(actor=request.user, obj=assessment, kind=AccessKind.VIEW)
    return render(
        request,
        "premises/action_form.html",
        {"site": site, "assessment": assessment, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def site_actions(request: HttpRequest, site_id: int) -> HttpResponse:
    site = _site(request, site_id)
    rows = list(selectors.site_actions(site, request.user))
    record_access(actor=request.user, obj=site, kind=AccessKind.VIEW)
    return render(
        request,
        "premises/action_list.html",
        {"site": site, "rows": rows, "can_write": site.can_write},
    )


@login_required
@require_http_methods(GET_AND_POST)
def site_action_done(request: HttpRequest, site_id: int, site_action_id: int) -> HttpResponse:
    site = _site(request, site_id, write=True)
    action = get_for_user(
        request.user,
        SiteAction.objects.of_site(site).select_related("owner"),
        site_action_id,
        write=True,
    )
    form = ActionDoneForm(request.POST or None, initial={"version": action.version})
    template = "premises/action_done.html"
    context = {"site": site, "action": action, "form": form}
    record_access(actor=request.user, obj=action, kind=AccessKind.VIEW)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.site_action_complete(
                    actor=request.user,
                    action=action,
                    version=form.cleaned_data["version"],
                    note=form.cleaned_data["note"],
                )
            except EditConflict as conflict:
                return render_conflict(request, template, context, form=form, conflict=conflict)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Action marked done."))
                return redirect("premises:site_actions", site.pk)
        messages.error(request, _refused())
        return render_refused(request, template, context, form=form, current=action)
    return render(request, template, context)


# --- Incidents (staff only: an auditor gets 404) ------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def incidents(request: HttpRequest, site_id: int) -> HttpResponse:
    site = _staff_site(request, site_id)
    rows = list(selectors.site_incidents(site, request.user))
    record_access(actor=request.user, obj=site, kind=AccessKind.VIEW)
    return render(request, "premises/incident_list.html", {"site": site, "rows": rows})


@login_required
@require_http_methods(GET_AND_POST)
def incident_new(request: HttpRequest, site_id: int) -> HttpResponse:
    site = _staff_site(request, site_id)
    form = IncidentForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                incident = services.incident_record(
                    actor=request.user, site=site, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Incident recorded. The site's security review is now due.")
                )
                return redirect("premises:incident", site.pk, incident.pk)
        messages.error(request, _refused())
    record_access(actor=request.user, obj=site, kind=AccessKind.VIEW)
    return render(
        request,
        "premises/incident_form.html",
        {"site": site, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def incident(request: HttpRequest, site_id: int, incident_id: int) -> HttpResponse:
    site = _site(request, site_id)
    found = _incident(request, site, incident_id)
    reassessments = list(
        SecurityAssessment.objects.visible_to(request.user)
        .filter(incident=found)
        .select_related("started_by")
    )
    actions = list(
        SiteAction.objects.visible_to(request.user).filter(incident=found).select_related("owner")
    )
    record_access(actor=request.user, obj=found, kind=AccessKind.VIEW)
    return render(
        request,
        "premises/incident.html",
        {
            "site": site,
            "incident": found,
            "reassessments": reassessments,
            "actions": actions,
            "can_write": found.can_write,
        },
    )


@login_required
@require_http_methods(GET_AND_POST)
def incident_action_new(request: HttpRequest, site_id: int, incident_id: int) -> HttpResponse:
    site = _staff_site(request, site_id)
    found = _incident(request, site, incident_id)
    form = ActionForm(request.POST or None, staff=site_staff(site))
    if request.method == "POST":
        if form.is_valid():
            try:
                services.site_action_add(
                    actor=request.user, site=site, incident=found, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Action added."))
                return redirect("premises:incident", site.pk, found.pk)
        messages.error(request, _refused())
    record_access(actor=request.user, obj=found, kind=AccessKind.VIEW)
    return render(
        request,
        "premises/action_form.html",
        {"site": site, "incident": found, "form": form},
        status=400 if form.errors else 200,
    )
