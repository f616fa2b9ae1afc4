"""Case-file PDF exports.

A small case file is rendered inside the request and downloaded at once. A large one (at least
``PDF_BACKGROUND_THRESHOLD`` timeline entries) becomes an ``ExportJob``, a background document
(``victimsupport.pdfjobs``): the worker renders it with ``render_job``, the requester watches
its progress, and downloads it from the job while it lasts. Either way the access is audited
when the PDF is handed over, and both paths render the same template from the same context.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.access import get_case_for_user
from cases.models import Case, ExportJob
from cases.selectors import case_file, current_break_glass
from victimsupport import casefile, pdfjobs
from victimsupport.access import MaySeeNotChange
from victimsupport.audit.services import AccessKind, record_access

TEMPLATE = "pdf/case_file.html"
# Downloads folders on shared computers are read by others: the name says nothing.
FILENAME = ExportJob.FILENAME

EXPORT_REFUSED_IN_EMERGENCY = _(
    "Emergency access is read-only and for the emergency: the case file cannot be exported on "
    "it. Ask the case's team to export it if it is needed."
)


def export_context(case: Case) -> dict[str, Any]:
    """The template context of a case-file PDF, for the inline and the background export."""
    return {
        **case_file(case),
        "case": case,
        "produced_at": timezone.now(),
        "include_third_parties": True,
    }


def render_job(job: ExportJob, case: Case) -> pdfjobs.Document:
    """What the worker renders for an export job, once it has checked the case is still
    visible to the requester (registered in CasesConfig.ready)."""
    return pdfjobs.Document(TEMPLATE, export_context(case))


def timeline_size(case: Case) -> int:
    """How many entries the case's timeline holds, without loading (or decrypting) any."""
    # Counted from the sources the projection's contributors declare, so the count follows
    # whatever an app adds to the timeline.
    total: Any = models.Value(0)
    for source in casefile.timeline_sources():
        counted = (
            source.model._default_manager.filter(
                **{source.case_path: OuterRef("pk")}, **source.filters
            )
            .order_by()
            .values(source.case_path)
            .annotate(n=Count("pk"))
            .values("n")
        )
        total = total + Coalesce(Subquery(counted), 0)
    return Case.objects.filter(pk=case.pk).annotate(size=total).values_list("size", flat=True)[0]


def is_large(size: int) -> bool:
    return size >= settings.PDF_BACKGROUND_THRESHOLD


def pdf_response(pdf: bytes) -> HttpResponse:
    return pdfjobs.pdf_response(pdf, FILENAME)


def check_may_export(*, user: Any, case: Case) -> None:
    """Emergency (break-glass) access is read-only and for the emergency: a copy of the whole
    file does not leave the service on it. The refusal is an access entry of its own, so a
    supervisor reading the emergency accesses sees that an export was tried."""
    if not case.can_write and current_break_glass(user=user, case=case) is not None:
        record_access(actor=user, obj=case, kind=AccessKind.EXPORT_REFUSED)
        raise MaySeeNotChange(EXPORT_REFUSED_IN_EMERGENCY)


def record_export(*, user: Any, case: Case, job: ExportJob | None = None) -> None:
    """The audited access: written when the PDF is handed over, not when it is produced."""
    detail: dict[str, Any] = {"format": "pdf"}
    if job is not None:
        detail["job"] = str(job.pk)
    record_access(actor=user, obj=case, kind=AccessKind.EXPORT, detail=detail)


def request_export(*, case: Case, user: Any) -> ExportJob:
    """A job producing ``case``'s PDF for ``user``, enqueued for the worker (a double click
    returns the job already waiting; see ``pdfjobs.job_request``)."""
    return pdfjobs.job_request(model=ExportJob, requested_by=user, case=case)


def job_for_user(*, user: Any, case_pk: Any, job_id: Any) -> tuple[Case, ExportJob]:
    """The case and the job, if ``user`` requested it and may still see the case.

    Anyone else, a job that has expired, and a case no longer visible all get the same 404 as a
    job that never existed.
    """
    case = get_case_for_user(user, case_pk)
    return case, pdfjobs.job_for_user(user, ExportJob.objects.of_case(case), job_id)
