"""The person's copy: preparing it (redactions, withheld items, documents checked by eye), the
second person's review, the redaction log, and the draft PDF through the background worker.

Every page fetches the request through ``get_for_user`` (the DPO; a supervisor of one of its
cases' teams, read-only), binds a form, calls one service and redirects. Who may sign off is
decided in ``copy_sign_off``, never here. Pages that show the copy write an access entry on the
request; the redaction log shows who, when, what kind and why, never the words redacted.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from dataprotection import copy
from dataprotection.forms.copy import (
    ItemForm,
    RedactionAddForm,
    RedactionDecideForm,
    SendBackForm,
    SignOffForm,
    WithholdForm,
)
from dataprotection.models import AccessRequest, CopyJob, Redaction, RequestStatus
from dataprotection.services import copy as services
from victimsupport import pdfjobs
from victimsupport.access import get_for_user
from victimsupport.audit.services import AccessKind, record_access

REQUEST_RELATED = ("prepared_by", "reviewed_by")


def _request(request: HttpRequest, pk: Any, *, write: bool = False) -> AccessRequest:
    queryset = AccessRequest.objects.select_related(*REQUEST_RELATED)
    return get_for_user(request.user, queryset, pk, write=write)


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    for error in exc.messages:
        messages.error(request, error)


def _form_errors(request: HttpRequest, exc: ValidationError, form: Any) -> None:
    """A service's refusal next to its field when it names one, at the top otherwise."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# --- The preparation page ----------------------------------------------------------------


def render_prepare(
    request: HttpRequest,
    access_request: AccessRequest,
    *,
    status: int = 200,
    add_form: RedactionAddForm | None = None,
    withhold_form: WithholdForm | None = None,
) -> HttpResponse:
    """Every item of the draft: suggested redactions highlighted in place with their buttons,
    applied ones marked, withheld items, documents to check by eye."""
    record_access(actor=request.user, obj=access_request, kind=AccessKind.VIEW)
    can_edit = (
        bool(getattr(access_request, "can_write", False))
        and access_request.status == RequestStatus.PREPARING
    )
    shown = []
    if access_request.draft_made_at:
        shown = copy.shown_items(access_request, final=False)
    waiting, documents = services.undecided(access_request) if shown else (0, [])
    bound = add_form or withhold_form
    context = {
        "access_request": access_request,
        "shown": [(entry, mark_safe(entry.html)) for entry in shown],
        "can_edit": can_edit,
        "can_make": can_edit,
        "waiting": waiting,
        "documents_waiting": documents,
        "add_form": add_form or RedactionAddForm(),
        "withhold_form": withhold_form or WithholdForm(),
        # The item whose form was refused: its forms open again, with what was typed.
        "failed_key": bound.data.get("item_key", "") if bound is not None else "",
        "blank_add_form": RedactionAddForm(),
        "blank_withhold_form": WithholdForm(),
    }
    return render(request, "dataprotection/copy_prepare.html", context, status=status)


@login_required
@require_GET
def copy_prepare(request: HttpRequest, pk: Any) -> HttpResponse:
    return render_prepare(request, _request(request, pk))


def _do(request: HttpRequest, access_request: AccessRequest, action: Any, done: Any) -> Any:
    """Call one service; a refusal shows the page again (400) with what was refused."""
    try:
        action()
    except ValidationError as exc:
        _refused(request, exc)
        return render_prepare(request, access_request, status=400)
    messages.success(request, done)
    return redirect("dataprotection:copy_prepare", access_request.pk)


@login_required
@require_POST
def copy_make(request: HttpRequest, pk: Any) -> HttpResponse:
    access_request = _request(request, pk, write=True)
    return _do(
        request,
        access_request,
        lambda: services.copy_draft_make(actor=request.user, request=access_request),
        _("The draft is made. Decide each suggested redaction and check each document."),
    )


def _redaction(request: HttpRequest, access_request: AccessRequest, redaction_id: Any) -> Any:
    queryset = Redaction.objects.filter(request=access_request)
    return get_for_user(request.user, queryset, redaction_id, write=True)


def _redaction_decide(
    request: HttpRequest, pk: Any, redaction_id: Any, service: Any, done: Any
) -> HttpResponse:
    """Apply or remove one redaction: the same form, fetch and answer, another service."""
    access_request = _request(request, pk, write=True)
    redaction = _redaction(request, access_request, redaction_id)
    form = RedactionDecideForm(request.POST)
    if not form.is_valid():
        return render_prepare(request, access_request, status=400)
    return _do(
        request,
        access_request,
        lambda: service(
            actor=request.user,
            request=access_request,
            redaction=redaction,
            reason=form.cleaned_data["reason"],
        ),
        done,
    )


@login_required
@require_POST
def copy_redaction_apply(request: HttpRequest, pk: Any, redaction_id: Any) -> HttpResponse:
    return _redaction_decide(
        request, pk, redaction_id, services.redaction_apply, _("Redaction applied.")
    )


@login_required
@require_POST
def copy_redaction_remove(request: HttpRequest, pk: Any, redaction_id: Any) -> HttpResponse:
    return _redaction_decide(
        request,
        pk,
        redaction_id,
        services.redaction_remove,
        _("Redaction removed: those words stay in the copy."),
    )


@login_required
@require_POST
def copy_redaction_add(request: HttpRequest, pk: Any) -> HttpResponse:
    access_request = _request(request, pk, write=True)
    form = RedactionAddForm(request.POST, item_keys=access_request.item_keys)
    if form.is_valid():
        try:
            services.redaction_add(actor=request.user, request=access_request, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(request, exc, form)
        else:
            messages.success(request, _("Redaction added."))
            return redirect("dataprotection:copy_prepare", access_request.pk)
    return render_prepare(request, access_request, status=400, add_form=form)


@login_required
@require_POST
def copy_withhold(request: HttpRequest, pk: Any) -> HttpResponse:
    access_request = _request(request, pk, write=True)
    form = WithholdForm(request.POST, item_keys=access_request.item_keys)
    if form.is_valid():
        try:
            services.item_withhold(actor=request.user, request=access_request, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(request, exc, form)
        else:
            messages.success(request, _("The item is withheld."))
            return redirect("dataprotection:copy_prepare", access_request.pk)
    return render_prepare(request, access_request, status=400, withhold_form=form)


@login_required
@require_POST
def copy_restore(request: HttpRequest, pk: Any) -> HttpResponse:
    access_request = _request(request, pk, write=True)
    form = ItemForm(request.POST, item_keys=access_request.item_keys)
    if not form.is_valid():
        messages.error(request, _("That item is not in this copy."))
        return render_prepare(request, access_request, status=400)
    return _do(
        request,
        access_request,
        lambda: services.item_restore(
            actor=request.user, request=access_request, item_key=form.cleaned_data["item_key"]
        ),
        _("The item is back in the copy."),
    )


@login_required
@require_POST
def copy_document_confirm(request: HttpRequest, pk: Any) -> HttpResponse:
    access_request = _request(request, pk, write=True)
    form = ItemForm(request.POST, item_keys=access_request.item_keys)
    if not form.is_valid():
        messages.error(request, _("That item is not in this copy."))
        return render_prepare(request, access_request, status=400)
    return _do(
        request,
        access_request,
        lambda: services.document_confirm(
            actor=request.user, request=access_request, item_key=form.cleaned_data["item_key"]
        ),
        _("Document checked and confirmed."),
    )


@login_required
@require_POST
def copy_submit(request: HttpRequest, pk: Any) -> HttpResponse:
    access_request = _request(request, pk, write=True)
    try:
        services.copy_submit_for_review(actor=request.user, request=access_request)
    except ValidationError as exc:
        _refused(request, exc)
        return render_prepare(request, access_request, status=400)
    messages.success(request, _("Sent for review: a second person reads it and signs it off."))
    return redirect("dataprotection:copy_review", access_request.pk)


# --- The review ----------------------------------------------------------------------------


def render_review(
    request: HttpRequest,
    access_request: AccessRequest,
    *,
    status: int = 200,
    sign_off_form: SignOffForm | None = None,
    send_back_form: SendBackForm | None = None,
) -> HttpResponse:
    """The copy as it will be delivered (applied redactions only), and the second person's
    decision."""
    record_access(actor=request.user, obj=access_request, kind=AccessKind.VIEW)
    if access_request.approved_html:
        # Our own rendering, frozen at sign-off: its text was escaped when it was made.
        html = access_request.approved_html
    elif access_request.draft_made_at:
        # In the person's language, as it will be signed off; its digest goes with the
        # sign-off, which refuses a copy that is no longer this one.
        html = copy.review_copy(access_request)
    else:
        html = ""
    digest = copy.digest(html) if html else ""
    if sign_off_form is None:
        sign_off_form = SignOffForm(initial={"digest": digest})
    elif sign_off_form.is_bound:
        # Shown again: it carries the digest of the copy shown now, not the one refused.
        data = sign_off_form.data.copy()
        data["digest"] = digest
        sign_off_form.data = data
    in_review = access_request.status == RequestStatus.IN_REVIEW
    context = {
        "access_request": access_request,
        "copy_html": mark_safe(html),
        "copy_digest": digest,
        "in_review": in_review,
        "may_review": in_review and services.may_review(request.user, access_request),
        "sign_off_form": sign_off_form,
        "send_back_form": send_back_form or SendBackForm(),
    }
    return render(request, "dataprotection/copy_review.html", context, status=status)


@login_required
@require_GET
def copy_review(request: HttpRequest, pk: Any) -> HttpResponse:
    return render_review(request, _request(request, pk))


@login_required
@require_POST
def copy_sign_off(request: HttpRequest, pk: Any) -> HttpResponse:
    # Read-only for a supervisor: the service decides who may sign off.
    access_request = _request(request, pk)
    form = SignOffForm(request.POST)
    if form.is_valid():
        try:
            services.copy_sign_off(
                actor=request.user,
                request=access_request,
                note=form.cleaned_data["note"],
                digest=form.cleaned_data["digest"],
            )
        except ValidationError as exc:
            _form_errors(request, exc, form)
        else:
            messages.success(request, _("Signed off: this copy is the one to deliver."))
            return redirect("dataprotection:copy_review", access_request.pk)
    return render_review(request, access_request, status=400, sign_off_form=form)


@login_required
@require_POST
def copy_send_back(request: HttpRequest, pk: Any) -> HttpResponse:
    access_request = _request(request, pk)
    form = SendBackForm(request.POST)
    if form.is_valid():
        try:
            services.copy_send_back(
                actor=request.user, request=access_request, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            _form_errors(request, exc, form)
        else:
            messages.success(request, _("Sent back to the preparer."))
            return redirect("dataprotection:copy_review", access_request.pk)
    return render_review(request, access_request, status=400, send_back_form=form)


# --- The redaction log ---------------------------------------------------------------------


@login_required
@require_GET
def copy_log(request: HttpRequest, pk: Any) -> HttpResponse:
    """Who redacted or withheld what kind of information, when and why: never the words."""
    access_request = _request(request, pk)
    record_access(actor=request.user, obj=access_request, kind=AccessKind.VIEW)
    redactions = (
        Redaction.objects.filter(request=access_request)
        .select_related("decided_by")
        .defer("term")
        .order_by("created_at", "pk")
    )
    withholdings = access_request.withholdings.select_related("decided_by").order_by("decided_at")
    return render(
        request,
        "dataprotection/copy_log.html",
        {
            "access_request": access_request,
            "redactions": redactions,
            "withholdings": withholdings,
        },
    )


# --- The draft PDF, made by the worker -----------------------------------------------------


def _job(request: HttpRequest, pk: Any, job_id: Any) -> tuple[AccessRequest, CopyJob]:
    access_request = _request(request, pk)
    job = pdfjobs.job_for_user(request.user, CopyJob.objects.filter(request=access_request), job_id)
    return access_request, job


@login_required
@require_POST
def copy_request(request: HttpRequest, pk: Any) -> HttpResponse:
    """Ask the worker for the draft PDF; its progress page follows."""
    access_request = _request(request, pk)
    try:
        job = services.copy_draft_request(actor=request.user, request=access_request)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect("dataprotection:copy_prepare", access_request.pk)
    return redirect(job)


@login_required
@require_GET
def copy_job(request: HttpRequest, pk: Any, job_id: Any) -> HttpResponse:
    """Where the PDF has got to: nothing of the copy itself, so no access entry (the download
    is one)."""
    access_request, job = _job(request, pk, job_id)
    return render(
        request,
        "dataprotection/copy_job.html",
        {"access_request": access_request, **pdfjobs.status_context(job)},
    )


@login_required
@require_GET
def copy_job_download(request: HttpRequest, pk: Any, job_id: Any) -> HttpResponse:
    access_request, job = _job(request, pk, job_id)
    if not job.is_ready:
        return redirect(job)
    record_access(
        actor=request.user,
        obj=access_request,
        kind=AccessKind.DOWNLOAD,
        detail={"job": str(job.pk), "final": job.final},
    )
    return pdfjobs.download_response(job)
