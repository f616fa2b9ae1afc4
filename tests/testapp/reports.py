"""A background document that is not about a case (a site's report): what an app writes to
have one, besides its model. Rendered by the same task as the case file."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from tests.testapp.models import Site, SiteReportJob
from victimsupport import pdfjobs
from victimsupport.access import get_for_user

TITLE = "Site report"


def render_report(job: SiteReportJob, site: Site) -> pdfjobs.Document:
    return pdfjobs.Document("testapp/site_report.html", {"site": site}, title=TITLE)


@login_required
@require_POST
def site_report_request(request: HttpRequest, pk: Any) -> HttpResponse:
    site = get_for_user(request.user, Site, pk)
    job = pdfjobs.job_request(model=SiteReportJob, requested_by=request.user, site=site)
    return redirect(job)


@login_required
@require_GET
def site_report_status(request: HttpRequest, job_id: Any) -> HttpResponse:
    job = pdfjobs.job_for_user(request.user, SiteReportJob, job_id)
    return render(request, "testapp/site_report_status.html", pdfjobs.status_context(job))


@login_required
@require_GET
def site_report_download(request: HttpRequest, job_id: Any) -> HttpResponse:
    job = pdfjobs.job_for_user(request.user, SiteReportJob, job_id)
    if not job.is_ready:
        return redirect(job)
    return pdfjobs.download_response(job)


urlpatterns = [
    path("sites/<int:pk>/report/", site_report_request, name="site_report_request"),
    path("site-reports/<uuid:job_id>/", site_report_status, name="site_report_status"),
    path("site-reports/<uuid:job_id>/download/", site_report_download, name="site_report_download"),
]
