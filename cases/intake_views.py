"""Intake pages: start or resume, one page per step, and finish."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from cases import intake, intake_review
from cases.duplicates import duplicates_check
from cases.forms import STEP_FORMS, NoticeForm
from victimsupport import country
from victimsupport.access import CASE_ROLES, roles_of

Step = intake.Step
DUPLICATE_CHECK_SKIPPED = _(
    "The check for an existing record of this person was skipped: you have made many checks "
    "in the last hour. Your answers are saved."
)


def _require_case_role(user) -> None:
    if not roles_of(user) & CASE_ROLES:
        raise PermissionDenied(_("Only caseworkers and supervisors take intakes."))


@login_required
@require_http_methods(["GET", "POST"])
def intake_home(request: HttpRequest) -> HttpResponse:
    _require_case_role(request.user)
    teams = list(request.user.teams.all())
    if request.method == "POST":
        team = next((t for t in teams if str(t.pk) == request.POST.get("team")), None)
        if team is None and len(teams) == 1:
            team = teams[0]
        if team is None:
            messages.error(request, _("Choose the team this case belongs to."))
        else:
            draft = intake.draft_start(owner=request.user, team=team)
            return redirect("cases:intake_step", pk=draft.pk, step=Step.SAFETY)
    # Purging here too means expired drafts go even where no scheduler runs purge_drafts.
    intake.purge_drafts()
    drafts = intake.open_drafts_for(request.user)
    return render(request, "intake/home.html", {"drafts": drafts, "teams": teams})


def _progress(draft, current: str) -> list[dict]:
    done = set((draft.data or {}).keys())
    return [
        {
            "step": value,
            "label": label,
            "done": value in done,
            "current": value == current,
            "reachable": intake.step_allowed(draft, value) is None
            and (value in done or value == intake.first_open_step(draft) or value == current),
        }
        for value, label in Step.choices
    ]


@login_required
@require_http_methods(["GET", "POST"])
def intake_step(request: HttpRequest, pk: str, step: str) -> HttpResponse:
    _require_case_role(request.user)
    draft = intake.get_draft_for_user(request.user, pk)
    if step not in intake.STEPS:
        raise Http404("No such step.")
    blocked = intake.step_allowed(draft, step)
    if blocked:
        messages.warning(
            request,
            _(
                "Give the confidentiality notice first: no personal details before it is "
                "acknowledged."
            ),
        )
        return redirect("cases:intake_step", pk=draft.pk, step=blocked)

    context = {
        "draft": draft,
        "step": step,
        "step_label": Step(step).label,
        "progress": _progress(draft, step),
        "previous": intake.previous_step(step),
    }
    if step == Step.REVIEW:
        context["sections"] = intake_review.review_sections(draft.data or {})
        context["missing"] = [
            Step(s).label for s in intake.REQUIRED_FOR_FINISH if s not in (draft.data or {})
        ]
        return render(request, "intake/review.html", context)

    if step == Step.NOTICE:
        notice = draft.notice or intake.current_notice()
        if notice is None:
            context["no_notice"] = True
            return render(request, "intake/step.html", context)
        form = NoticeForm(request.POST or None, initial=(draft.data or {}).get(step))
        if request.method == "POST" and form.is_valid():
            draft = intake.draft_acknowledge_notice(
                draft=draft, notice=notice, method=form.cleaned_data["method"]
            )
            return redirect("cases:intake_step", pk=draft.pk, step=intake.next_step(step))
        # The country profile's circumstances in which information must be passed on, in
        # the active language: the notice says them as the law of the country has them.
        context.update(form=form, notice=notice, circumstances=country.current().circumstances())
        return render(request, "intake/step.html", context)

    form = STEP_FORMS[step](request.POST or None, initial=(draft.data or {}).get(step))
    if request.method == "POST" and form.is_valid():
        answers = form.answers()
        if step == Step.PERSON and request.POST.get("confirm_new") != "yes":
            check = duplicates_check(user=request.user, draft=draft, person=answers)
            if check.matches:
                context.update(form=form, duplicates=check.matches)
                return render(request, "intake/step.html", context)
            if check.skipped:
                messages.warning(request, DUPLICATE_CHECK_SKIPPED)
        intake.draft_save_step(draft=draft, step=step, answers=answers)
        return redirect("cases:intake_step", pk=draft.pk, step=intake.next_step(step))
    context["form"] = form
    return render(request, "intake/step.html", context)


@login_required
@require_POST
def intake_finish(request: HttpRequest, pk: str) -> HttpResponse:
    _require_case_role(request.user)
    try:
        case = intake.intake_finish(draft_id=pk, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("cases:intake_step", pk=pk, step=exc.code or Step.REVIEW)
    messages.success(request, _("Case %(reference)s created.") % {"reference": case.reference})
    if case.assessment_needed:
        # A positive screen leads straight into the full risk assessment.
        return redirect("risk:assessment_new", pk=case.pk)
    return redirect("cases:detail", pk=case.pk)
