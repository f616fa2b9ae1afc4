from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cases.forms import BreakGlassForm
from cases.models import Case
from cases.selectors import case_by_reference_for_break_glass, current_break_glass
from cases.services import break_glass_open
from victimsupport.access import Role, get_case_for_user, has_role
from victimsupport.audit.services import AccessKind, record_access

PAGE_SIZE = 25


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    scope = request.GET.get("scope", "mine")
    cases = Case.objects.visible_to(request.user).select_related("team", "assigned_to")
    if scope == "team":
        cases = cases.filter(team__in=request.user.teams.all())
    else:
        scope = "mine"
        cases = cases.filter(assigned_to=request.user)
    page = Paginator(cases.order_by("-opened_at", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "cases/case_list.html", {"page": page, "scope": scope})


@login_required
def case_detail(request: HttpRequest, pk: str) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    glass = None if case.can_write else current_break_glass(user=request.user, case=case)
    record_access(actor=request.user, obj=case, kind=AccessKind.VIEW)
    return render(
        request,
        "cases/case_detail.html",
        {"case": case, "break_glass": glass, "can_edit": case.can_write},
    )


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, Role.SUPERVISOR):
        raise PermissionDenied("Only supervisors can use emergency access.")
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = case_by_reference_for_break_glass(form.cleaned_data["reference"])
        if case is None:
            form.add_error("reference", "No case has this reference. Check it and try again.")
        elif Case.objects.visible_to(request.user).filter(pk=case.pk).exists():
            messages.info(request, "You already have access to this case.")
            return redirect("cases:detail", pk=case.pk)
        else:
            try:
                access = break_glass_open(
                    actor=request.user, case=case, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.warning(
                    request,
                    "Emergency access recorded. It is read-only and ends at "
                    f"{timezone.localtime(access.expires_at):%H:%M}.",
                )
                return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/break_glass.html", {"form": form})
