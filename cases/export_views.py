"""Exporting a case file as PDF: at once when small, through the background worker when large."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from cases import exports
from cases.access import get_case_for_user
from victimsupport import pdfjobs
from victimsupport.pdf import render_pdf


@login_required
@require_http_methods(["GET", "POST"])
def case_export(request: HttpRequest, pk: str) -> HttpResponse:
    """A small case file downloads at once. A large one is made by the worker: POST creates
    the job and redirects to its progress; GET (an older link) offers the button."""
    case = get_case_for_user(request.user, pk)
    exports.check_may_export(user=request.user, case=case)
    if not exports.is_large(exports.timeline_size(case)):
        pdf = render_pdf(exports.TEMPLATE, exports.export_context(case))
        exports.record_export(user=request.user, case=case)
        return exports.pdf_response(pdf)
    if request.method == "POST":
        job = exports.request_export(case=case, user=request.user)
        return redirect("cases:export_status", pk=case.pk, job_id=job.pk)
    return render(request, "cases/export_start.html", {"case": case})


@login_required
@require_GET
def export_status(request: HttpRequest, pk: str, job_id: str) -> HttpResponse:
    """Where the export has got to. Shows nothing from the case file itself, so it is not an
    access entry; the download is."""
    case, job = exports.job_for_user(user=request.user, case_pk=pk, job_id=job_id)
    return render(
        request, "cases/export_status.html", {"case": case, **pdfjobs.status_context(job)}
    )


@login_required
@require_GET
def export_download(request: HttpRequest, pk: str, job_id: str) -> HttpResponse:
    case, job = exports.job_for_user(user=request.user, case_pk=pk, job_id=job_id)
    if not job.is_ready:
        return redirect(job)
    exports.check_may_export(user=request.user, case=case)
    exports.record_export(user=request.user, case=case, job=job)
    return pdfjobs.download_response(job)
