"""Retention and erasure pages, for the data-protection officer only (404 for anyone else):
the schedule, the erasures (due, erased, kept) and each one's decision, legal holds, the
deletion certificate, and the decision on a person's erasure request.

No page opens a case file: a case is named by its reference, which holds nothing of the person.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from dataprotection import selectors
from dataprotection.forms.retention import (
    RECORDS_SHOWN,
    EraseForm,
    ErasureRequestDecideForm,
    KeepForm,
    LegalHoldForm,
    LegalHoldLiftForm,
    RecordsDeleteForm,
    RetentionRuleForm,
)
from dataprotection.models import (
    AccessRequest,
    Erasure,
    ErasureStatus,
    LegalHold,
    RecordKind,
    RefusalGround,
    RequestKind,
)
from dataprotection.roles import require_dpo_page
from dataprotection.services import retention
from victimsupport import pdf
from victimsupport.access import get_for_user
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.concurrency import EditConflict, render_conflict, render_refused
from victimsupport.forms import add_service_errors
from victimsupport.pdfjobs import pdf_response

REFUSED = _("Nothing was saved: the form below says what to change. What you typed is still there.")


def _require_dpo(user: Any) -> None:
    require_dpo_page(user)


# --- The schedule -------------------------------------------------------------------------


@login_required
@require_GET
def retention_schedule(request: HttpRequest) -> HttpResponse:
    _require_dpo(request.user)
    return render(
        request,
        "dataprotection/retention_schedule.html",
        {"rows": retention.retention_schedule()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def retention_rule(request: HttpRequest, kind: str) -> HttpResponse:
    _require_dpo(request.user)
    row = next((r for r in retention.retention_schedule() if r.kind == kind), None)
    if row is None:
        raise Http404("No such kind of record.")
    initial = {"days": row.days, "version": row.version}
    form = RetentionRuleForm(request.POST or None, initial=initial)
    context = {"row": row, "form": form}
    template = "dataprotection/retention_rule.html"
    if request.method == "POST":
        if form.is_valid():
            try:
                retention.retention_rule_set(
                    actor=request.user,
                    kind=kind,
                    days=form.cleaned_data["days"],
                    version=form.cleaned_data["version"],
                )
            except EditConflict as conflict:
                return render_conflict(request, template, context, form=form, conflict=conflict)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The retention period was saved."))
                return redirect("dataprotection:retention_schedule")
        messages.error(request, REFUSED)
        return render_refused(request, template, context, form=form, current=row.rule)
    return render(request, template, context)


# --- Erasures -----------------------------------------------------------------------------


def _erasures_page(request: HttpRequest, *, status: int = 200, **forms: Any) -> HttpResponse:
    today = timezone.localdate()
    review = retention.records_review(today)
    delete_forms = {kind: forms.get(kind) or RecordsDeleteForm(prefix=kind) for kind in review}
    records = []
    for kind, (items, held) in review.items():
        records.append(
            {
                "kind": kind,
                "items": items,
                # What is listed is what the confirmation deletes (the page posts their ids).
                "shown": items[:RECORDS_SHOWN],
                "held": held,
                "form": delete_forms[kind],
            }
        )
    return render(
        request,
        "dataprotection/erasure_list.html",
        {**selectors.erasures(request.user), "records_due": records},
        status=status,
    )


@login_required
@require_GET
def erasures(request: HttpRequest) -> HttpResponse:
    _require_dpo(request.user)
    return _erasures_page(request)


@login_required
@require_http_methods(["POST"])
def records_delete(request: HttpRequest) -> HttpResponse:
    """Delete the closed requests or breaches of one kind kept past their period."""
    _require_dpo(request.user)
    kind = request.POST.get("kind", "")
    if kind not in (RecordKind.ACCESS_REQUEST, RecordKind.BREACH):
        raise Http404("No such records.")
    form = RecordsDeleteForm(request.POST, prefix=kind)
    if form.is_valid():
        count = retention.records_delete_due(
            actor=request.user, kind=kind, ids=form.cleaned_data["ids"]
        )
        messages.success(
            request,
            ngettext("%(count)d record deleted.", "%(count)d records deleted.", count)
            % {"count": count},
        )
        return redirect("dataprotection:erasures")
    return _erasures_page(request, status=400, **{kind: form})


def _erasure_context(erasure: Erasure, **forms: Any) -> dict[str, Any]:
    obstacles = []
    if erasure.status == ErasureStatus.DUE and erasure.case_id is not None:
        obstacles = retention.erasure_obstacles(erasure.case, request=erasure.request)
    return {
        "erasure": erasure,
        "obstacles": obstacles,
        "categories": retention.counted_categories(erasure),
        "kept_grounds": [
            RefusalGround(g).label for g in erasure.kept_grounds if g in RefusalGround.values
        ],
        "erase_form": forms.get("erase_form") or EraseForm(),
        "keep_form": forms.get("keep_form") or KeepForm(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def erasure(request: HttpRequest, erasure_id: int) -> HttpResponse:
    _require_dpo(request.user)
    queryset = Erasure.objects.select_related("case", "approved_by", "request")
    item = get_for_user(request.user, queryset, erasure_id, write=request.method == "POST")
    record_access(actor=request.user, obj=item, kind=AccessKind.VIEW)
    template = "dataprotection/erasure.html"
    if request.method != "POST":
        return render(request, template, _erasure_context(item))
    action = request.POST.get("action")
    if action == "keep":
        form = KeepForm(request.POST)
        context_forms = {"keep_form": form}
        if form.is_valid():
            try:
                retention.erasure_keep(actor=request.user, erasure=item, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The file is kept; the reasons are recorded."))
                return redirect("dataprotection:erasure", item.pk)
    else:
        form = EraseForm(request.POST)
        context_forms = {"erase_form": form}
        if form.is_valid():
            try:
                retention.case_erase(actor=request.user, erasure=item)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The case was erased. Its certificate is below."))
                return redirect("dataprotection:erasure", item.pk)
    messages.error(request, REFUSED)
    return render(request, template, _erasure_context(item, **context_forms), status=400)


@login_required
@require_GET
def erasure_certificate(request: HttpRequest, erasure_id: int) -> HttpResponse:
    _require_dpo(request.user)
    queryset = Erasure.objects.filter(status=ErasureStatus.ERASED).select_related("approved_by")
    item = get_for_user(request.user, queryset, erasure_id)
    content = certificate_pdf(item)
    record_access(actor=request.user, obj=item, kind=AccessKind.DOWNLOAD)
    return pdf_response(content, "erasure-certificate.pdf")


def certificate_pdf(item: Erasure) -> bytes:
    """The deletion certificate: reference, basis, counts, dates, approver, chain head."""
    return pdf.render_pdf(
        "dataprotection/erasure_certificate_pdf.html",
        {"erasure": item, "categories": retention.counted_categories(item)},
    )


# --- Legal holds ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def legal_holds(request: HttpRequest) -> HttpResponse:
    _require_dpo(request.user)
    form = LegalHoldForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                case = retention.case_by_reference(form.cleaned_data["reference"])
                retention.legal_hold_place(
                    actor=request.user,
                    case=case,
                    reason=form.cleaned_data["reason"],
                    review_on=form.cleaned_data["review_on"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The legal hold is placed: the file will be kept."))
                return redirect("dataprotection:legal_holds")
        messages.error(request, REFUSED)
    context = {**selectors.legal_holds(request.user), "form": form}
    return render(
        request,
        "dataprotection/legal_hold_list.html",
        context,
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def legal_hold_lift(request: HttpRequest, hold_id: int) -> HttpResponse:
    _require_dpo(request.user)
    queryset = LegalHold.objects.filter(lifted_at__isnull=True).select_related("case", "placed_by")
    hold = get_for_user(request.user, queryset, hold_id, write=request.method == "POST")
    # The reason may say why a court needs the file.
    record_access(actor=request.user, obj=hold, kind=AccessKind.VIEW)
    form = LegalHoldLiftForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                retention.legal_hold_lift(actor=request.user, hold=hold, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The legal hold is lifted."))
                return redirect("dataprotection:legal_holds")
        messages.error(request, REFUSED)
    return render(
        request,
        "dataprotection/legal_hold_lift.html",
        {"hold": hold, "form": form},
        status=400 if form.errors else 200,
    )


# --- A person's erasure request -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def erasure_request(request: HttpRequest, request_id: Any) -> HttpResponse:
    _require_dpo(request.user)
    queryset = AccessRequest.objects.filter(kind=RequestKind.ERASURE)
    item = get_for_user(request.user, queryset, request_id, write=request.method == "POST")
    record_access(actor=request.user, obj=item, kind=AccessKind.VIEW)
    form = ErasureRequestDecideForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                retention.erasure_request_decide(
                    actor=request.user,
                    request=item,
                    approve=data["decision"] == "erase",
                    grounds=data["grounds"],
                    reason=data["reason"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The request is decided and closed."))
                return redirect("dataprotection:erasure_request", item.pk)
        messages.error(request, REFUSED)
    return render(
        request,
        "dataprotection/erasure_request.html",
        {
            "access_request": item,
            "form": form,
            "case_references": selectors.request_case_references(item),
            "erasures": item.erasures.order_by("pk"),
        },
        status=400 if form.errors else 200,
    )
