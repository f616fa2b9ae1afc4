from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from cases import duplicates
from cases.access import get_case_for_user
from cases.documents import EXTENSIONS, check_upload_size
from cases.levels import ASSESSED_CHOICES, RiskLevel
from cases.models import Case, DuplicateMatch, Victim
from cases.views import render_case_page
from risk import dashboard as risk_dashboard
from risk import engine, services
from risk.forms import (
    ActionStatusForm,
    AssessmentForm,
    DuplicateResolveForm,
    FinaliseForm,
    SafetyActionForm,
    SafetyPlanForm,
    TrainingRecordForm,
    TriggerForm,
)
from risk.models import Assessment, SafetyAction, SafetyPlan, TrainingRecord
from victimsupport import keyset
from victimsupport.access import Role, get_for_user, has_role
from victimsupport.accounts.models import User
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.concurrency import render_conflict, render_refused
from victimsupport.dbrouter import replica_reads
from victimsupport.pdf import render_pdf
from victimsupport.stored_files import quarantine_message


@login_required
@require_http_methods(["GET", "POST"])
def assessment_new(request: HttpRequest, pk: str) -> HttpResponse:
    case = get_case_for_user(request.user, pk, write=True)
    versions = services.current_versions()
    if request.method == "POST":
        version = next((v for v in versions if str(v.pk) == request.POST.get("version")), None)
        if version is None:
            messages.error(request, _("Choose an instrument."))
        else:
            assessment = services.assessment_start(case=case, actor=request.user, version=version)
            return redirect("risk:assessment", pk=case.pk, assessment_id=assessment.pk)
    return render(request, "risk/assessment_new.html", {"case": case, "versions": versions})


def _get_assessment(user, case, assessment_id: int) -> Assessment:
    assessments = Assessment.objects.of_case(case).select_related(
        "instrument_version__instrument", "assessor", "finalised_by"
    )
    return get_for_user(user, assessments, assessment_id)


@login_required
@require_http_methods(["GET", "POST"])
def assessment_detail(request: HttpRequest, pk: str, assessment_id: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk, write=request.method == "POST")
    assessment = _get_assessment(request.user, case, assessment_id)
    # Scored on the definition's keys and numbers; shown in the page's language.
    definition = assessment.instrument_version.definition
    shown = assessment.instrument_version.localised()
    record_access(
        actor=request.user, obj=case, kind=AccessKind.VIEW, detail={"assessment": assessment.pk}
    )
    if assessment.is_final:
        if request.method == "POST":
            messages.error(
                request, _("A finalised assessment cannot be changed. Start a reassessment.")
            )
            return redirect("risk:assessment", pk=case.pk, assessment_id=assessment.pk)
        return render(
            request,
            "risk/assessment_final.html",
            {
                "case": case,
                "assessment": assessment,
                "flag_texts": engine.red_flag_labels(shown, assessment.red_flags),
                "level_explanation": engine.level_explanation(shown, assessment.level),
                "answers": _readable_answers(shown, assessment.answers),
            },
        )

    if not case.can_write:
        # Seen through a view-only grant or emergency access: the draft, not a form that
        # could never be saved.
        return render(
            request,
            "risk/assessment_draft_readonly.html",
            {
                "case": case,
                "assessment": assessment,
                "answers": _readable_answers(shown, assessment.answers),
            },
        )
    form = AssessmentForm(shown, request.POST or None, initial=assessment.answers)
    finalise_form = FinaliseForm(
        request.POST or None,
        initial={
            "rationale": assessment.rationale,
            "override_reason": assessment.override_reason,
            "version": assessment.version,
        },
    )
    status = 200
    if request.method == "POST" and form.is_valid() and finalise_form.is_valid():
        answers = form.answers()
        typed = {
            "rationale": finalise_form.cleaned_data["rationale"],
            "override_reason": finalise_form.cleaned_data["override_reason"],
            "version": finalise_form.cleaned_data["version"],
        }
        try:
            if request.POST.get("action") == "finalise":
                try:
                    services.assessment_finalise(
                        assessment=assessment,
                        actor=request.user,
                        answers=answers,
                        **finalise_form.cleaned_data,
                    )
                except ValidationError as exc:
                    saved = services.assessment_save(
                        assessment=assessment, actor=request.user, answers=answers, **typed
                    )
                    finalise_form.rebase(saved.version)  # the next save follows this one
                    (finalise_form if hasattr(exc, "error_dict") else form).add_error(None, exc)
                    status = 400
                except PermissionDenied as exc:
                    # Kept for the trained colleague who will finalise it.
                    services.assessment_save(
                        assessment=assessment, actor=request.user, answers=answers, **typed
                    )
                    messages.error(request, str(exc))
                    return redirect("risk:assessment", pk=case.pk, assessment_id=assessment.pk)
                else:
                    messages.success(request, _("Assessment finalised."))
                    return redirect("cases:detail", pk=case.pk)
            else:
                services.assessment_save(
                    assessment=assessment, actor=request.user, answers=answers, **typed
                )
                messages.success(request, _("Draft saved."))
                return redirect("risk:assessment", pk=case.pk, assessment_id=assessment.pk)
        except services.AssessmentLocked:
            messages.error(
                request,
                _(
                    "Someone finalised this assessment meanwhile; it cannot be changed. Start a "
                    "reassessment if something new has come to light."
                ),
            )
            return redirect("risk:assessment", pk=case.pk, assessment_id=assessment.pk)
        except services.EditConflict as conflict:
            context = {
                "case": case,
                "assessment": assessment,
                "form": form,
                "finalise_form": finalise_form,
                **_preview(definition, shown, answers),
                "trained": services.has_current_training(request.user),
                "current_answers": _readable_answers(shown, conflict.current.answers),
            }
            return render_conflict(
                request, "risk/assessment.html", context, form=finalise_form, conflict=conflict
            )
    preview_answers = form.answers() if form.is_bound and form.is_valid() else assessment.answers
    context = {
        "case": case,
        "assessment": assessment,
        "form": form,
        "finalise_form": finalise_form,
        **_preview(definition, shown, preview_answers),
        "trained": services.has_current_training(request.user),
    }
    if finalise_form.version_lost:
        # Answered as a conflict, like every form whose version was missing or altered: the
        # draft as saved now beside what was typed, and saving again works.
        context["current_answers"] = _readable_answers(shown, assessment.answers)
        status = 409
    return render(request, "risk/assessment.html", context, status=status)


_readable_answers = engine.readable_answers


def _preview(definition: dict, shown: dict, answers: dict) -> dict:
    """The result the answers give so far, its level and red flags in words."""
    preview = engine.score(definition, answers)
    return {
        "preview": preview,
        "preview_level": dict(ASSESSED_CHOICES).get(preview.level, preview.level),
        "preview_explanation": engine.level_explanation(shown, preview.level),
        "preview_flags": engine.red_flag_labels(shown, preview.red_flags),
    }


@login_required
@require_POST
def trigger_add(request: HttpRequest, pk: str) -> HttpResponse:
    case = get_case_for_user(request.user, pk, write=True)
    form = TriggerForm(request.POST)
    if not form.is_valid():
        # The case page again, with what was typed and what is wrong.
        return render_case_page(request, case, status=400, trigger_form=form)
    services.trigger_record(case=case, actor=request.user, **form.cleaned_data)
    messages.warning(request, _("Recorded. The risk review is now due: reassess."))
    return redirect("cases:detail", pk=case.pk)


def _plan_context(request: HttpRequest, case, **forms) -> dict:
    plan = SafetyPlan.objects.filter(case=case).first()
    actions = list(plan.actions.select_related("owner")) if plan else []
    staff = User.objects.filter(is_active=True, teams=case.team_id)
    return {
        "case": case,
        "plan": plan,
        "actions": actions,
        "can_edit": case.can_write,
        "plan_form": forms.get("plan_form")
        or SafetyPlanForm(
            initial={
                "summary": plan.summary if plan else "",
                "version": plan.version if plan else 0,
            }
        ),
        "action_form": forms.get("action_form") or SafetyActionForm(staff=staff),
        "status_choices": SafetyAction.Status.choices,
        # An action's status form that was refused, to show again with what was typed.
        "status_form": forms.get("status_form"),
        "status_action": forms.get("status_action"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def safety_plan(request: HttpRequest, pk: str) -> HttpResponse:
    case = get_case_for_user(request.user, pk, write=request.method == "POST")
    record_access(
        actor=request.user, obj=case, kind=AccessKind.VIEW, detail={"page": "safety_plan"}
    )
    if request.method == "POST":
        plan = SafetyPlan.objects.filter(case=case).first()
        form = SafetyPlanForm(request.POST, initial={"version": plan.version if plan else 0})
        if form.is_valid():
            try:
                services.safety_plan_save(case=case, actor=request.user, **form.cleaned_data)
            except services.EditConflict as conflict:
                context = _plan_context(request, case, plan_form=form)
                return render_conflict(
                    request, "risk/safety_plan.html", context, form=form, conflict=conflict
                )
            messages.success(request, _("Safety plan saved."))
            return redirect("risk:safety_plan", pk=case.pk)
        context = _plan_context(request, case, plan_form=form)
        return render_refused(request, "risk/safety_plan.html", context, form=form, current=plan)
    return render(request, "risk/safety_plan.html", _plan_context(request, case))


@login_required
@require_POST
def safety_action_add(request: HttpRequest, pk: str) -> HttpResponse:
    case = get_case_for_user(request.user, pk, write=True)
    staff = User.objects.filter(is_active=True, teams=case.team_id)
    form = SafetyActionForm(request.POST, staff=staff)
    if form.is_valid():
        try:
            services.safety_action_add(case=case, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Action added."))
            return redirect("risk:safety_plan", pk=case.pk)
    record_access(
        actor=request.user, obj=case, kind=AccessKind.VIEW, detail={"page": "safety_plan"}
    )
    return render(
        request, "risk/safety_plan.html", _plan_context(request, case, action_form=form), status=400
    )


@login_required
@require_POST
def safety_action_update(request: HttpRequest, pk: str, action_id: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk, write=True)
    action = get_for_user(request.user, SafetyAction.objects.of_case(case), action_id, write=True)
    form = ActionStatusForm(request.POST, initial={"version": action.version})
    if not form.is_valid():
        record_access(
            actor=request.user, obj=case, kind=AccessKind.VIEW, detail={"page": "safety_plan"}
        )
        context = _plan_context(request, case, status_form=form, status_action=action.pk)
        return render_refused(request, "risk/safety_plan.html", context, form=form, current=action)
    try:
        services.safety_action_update(action=action, actor=request.user, **form.cleaned_data)
    except services.EditConflict as conflict:
        record_access(
            actor=request.user, obj=case, kind=AccessKind.VIEW, detail={"page": "safety_plan"}
        )
        context = _plan_context(request, case, status_form=form, status_action=action.pk)
        return render_conflict(
            request, "risk/safety_plan.html", context, form=form, conflict=conflict
        )
    messages.success(request, _("Action updated."))
    return redirect("risk:safety_plan", pk=case.pk)


@login_required
def safety_plan_copy(request: HttpRequest, pk: str) -> HttpResponse:
    """The person's own copy: a neutral title, no staff-only notes, download audited."""
    case = get_case_for_user(request.user, pk)
    plan = SafetyPlan.objects.filter(case=case).first()
    if plan is None:
        raise Http404(_("No safety plan yet."))
    actions = [
        a for a in plan.actions.select_related("owner") if a.status != SafetyAction.Status.CANCELLED
    ]
    # Their copy is in their language, whatever language the caseworker works in.
    victim = Victim.objects.filter(case=case).first()
    language = (victim.language_code if victim else "") or translation.get_language()
    with translation.override(language):
        pdf = render_pdf(
            "pdf/safety_plan.html",
            {"plan": plan, "actions": actions, "produced_at": timezone.now()},
            title=gettext("My plan"),
        )
    record_access(
        actor=request.user, obj=case, kind=AccessKind.EXPORT, detail={"document": "safety_plan"}
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="plan.pdf"'
    return response


def _training_staff(user, *, for_recording: bool = False):
    """Administrators see every active staff member; supervisors the people in their teams.
    Nobody records training for themselves: it is what allows finalising assessments."""
    staff = User.objects.filter(is_active=True)
    if for_recording:
        staff = staff.exclude(pk=user.pk)
    if has_role(user, Role.ADMINISTRATOR):
        return staff.order_by("first_name", "last_name")
    if has_role(user, Role.SUPERVISOR):
        return (
            staff.filter(teams__in=user.teams.all()).distinct().order_by("first_name", "last_name")
        )
    raise PermissionDenied(_("Training records are kept by supervisors and administrators."))


@login_required
@require_http_methods(["GET", "POST"])
def training(request: HttpRequest) -> HttpResponse:
    staff = _training_staff(request.user)
    form = TrainingRecordForm(
        request.POST or None,
        request.FILES or None,
        staff=_training_staff(request.user, for_recording=True),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("certificate")
        certificate = None
        try:
            if upload is not None:
                check_upload_size(upload.size)  # before reading it into memory
                certificate = (upload.name, upload.content_type, upload.read())
            services.training_record_add(actor=request.user, certificate=certificate, **data)
        except ValidationError as exc:
            # The service names the date fields it refuses; anything else is about the file.
            form.add_error(None if hasattr(exc, "error_dict") else "certificate", exc)
        else:
            messages.success(request, _("Training recorded."))
            return redirect("risk:training")
    rows = services.training_compliance(staff)
    counts = {
        state: sum(1 for r in rows if r.state == state)
        for state in ("current", "expiring", "expired", "none")
    }
    return render(
        request,
        "risk/training.html",
        {"rows": rows, "form": form, "counts": counts},
        status=400 if form.errors else 200,
    )


@login_required
def training_certificate(request: HttpRequest, record_id: int) -> HttpResponse:
    _training_staff(request.user)  # 403 for a role that keeps no training records
    record = get_for_user(request.user, TrainingRecord, record_id)
    if not record.certificate:
        raise Http404(_("No certificate found."))
    if record.certificate_quarantined_at is not None:
        messages.error(
            request,
            quarantine_message(
                record.certificate_quarantined_at, record.certificate_quarantine_reason
            ),
        )
        return redirect("risk:training")
    record_access(actor=request.user, obj=record, kind=AccessKind.DOWNLOAD)
    response = HttpResponse(
        record.certificate, content_type=record.certificate_type or "application/octet-stream"
    )
    extension = EXTENSIONS.get(record.certificate_type, "bin")
    response["Content-Disposition"] = f'attachment; filename="certificate-{record.pk}.{extension}"'
    return response


def _require_supervisor(user) -> None:
    if not has_role(user, Role.SUPERVISOR):
        raise PermissionDenied(_("The risk dashboard is for supervisors."))


@login_required
@replica_reads()
def dashboard(request: HttpRequest) -> HttpResponse:
    _require_supervisor(request.user)
    by_level, tiles = risk_dashboard.tiles(request.user)
    weeks = risk_dashboard.trend(request.user)
    levels = [(value, label, by_level.get(value, 0)) for value, label in Case.RiskLevel.choices]
    return render(
        request,
        "risk/dashboard.html",
        {
            "tiles": tiles,
            "levels": levels,
            "weeks": weeks,
            "bars": risk_dashboard.trend_bars(weeks),
            "chart_width": len(weeks) * 10,
            **_duplicates_context(request.user),
            "refusals": risk_dashboard.repeated_refusals(request.user),
            "refusal_days": risk_dashboard.REFUSAL_DAYS,
        },
    )


def _duplicates_context(user) -> dict:
    matches = risk_dashboard.open_duplicate_matches(user)
    return {
        "duplicates": list(matches[: risk_dashboard.DUPLICATES_SHOWN]),
        "duplicates_count": matches.count(),
    }


DRILLDOWN_PAGE_SIZE = 25
# Each ordering ends with the pk, so that ties on a date keep one order from page to page.
DRILLDOWN_ORDER = {
    "cases": (("review_due", "-opened_at", "pk"), ("review_due",)),
    "actions": (("due_on", "pk"), ("due_on",)),
    "assessments": (("-finalised_at", "-created_at", "pk"), ("finalised_at",)),
    "accesses": (("-created_at", "pk"), ()),
}
DRILLDOWN_RELATED = {
    "cases": ("team", "assigned_to", "victim"),
    "actions": ("plan__case", "owner"),
    "assessments": ("case", "finalised_by", "assessor"),
    "accesses": ("case", "user"),
}


@login_required
@replica_reads()
def dashboard_list(request: HttpRequest, tile: str) -> HttpResponse:
    _require_supervisor(request.user)
    if tile not in risk_dashboard.DRILLDOWNS:
        raise Http404(_("No such list."))
    kind, build = risk_dashboard.DRILLDOWNS[tile]
    items = build(request.user)
    ordering, nullable = DRILLDOWN_ORDER[kind]
    items = items.select_related(*DRILLDOWN_RELATED[kind])
    page = keyset.paginate(
        items,
        ordering=ordering,
        nullable=nullable,
        cursor=request.GET.get(keyset.CURSOR),
        per_page=DRILLDOWN_PAGE_SIZE,
        namespace=f"risk.dashboard:{tile}",
    )
    title = risk_dashboard.TITLES.get(tile) or _("Open cases at level %(level)s") % {
        "level": str(dict(RiskLevel.choices).get(tile.removeprefix("level-"), "")).lower()
    }
    return render(
        request,
        "risk/dashboard_list.html",
        {"page": page, "kind": kind, "title": title, "tile": tile},
    )


@login_required
@require_http_methods(["GET", "POST"])
def duplicate_match(request: HttpRequest, match_id: int) -> HttpResponse:
    """Reconcile a possible duplicate. Reached only by a supervisor of the existing case's
    team; each case is linked only if they may open it, and the caseworker who took the new
    intake is never shown the existing case."""
    _require_supervisor(request.user)
    match = get_for_user(
        request.user,
        DuplicateMatch.objects.select_related(
            "existing_case__team", "new_case__team", "found_by", "resolved_by"
        ),
        match_id,
    )
    # The page names the person of the existing case: a view of it, recorded.
    record_access(
        actor=request.user,
        obj=match.existing_case,
        kind=AccessKind.VIEW,
        detail={"duplicate_match": match.pk},
    )
    form = DuplicateResolveForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                duplicates.duplicate_match_resolve(
                    match=match,
                    actor=request.user,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Possible duplicate resolved."))
                return redirect("risk:dashboard")
        status = 400
    visible = {
        case.pk: case
        for case in Case.objects.visible_to(request.user)
        .filter(pk__in=[match.existing_case_id, match.new_case_id])
        .select_related("victim")
    }
    return render(
        request,
        "risk/duplicate_match.html",
        {
            "match": match,
            "form": form,
            "existing": visible.get(match.existing_case_id),
            "new": visible.get(match.new_case_id),
        },
        status=status,
    )
