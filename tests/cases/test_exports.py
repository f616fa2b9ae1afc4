"""Case-file PDF exports: small files at once, large ones through the background worker."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from cases import exports, services
from cases.models import ExportJob
from cases.selectors import case_file
from tests import factories
from tests.factories import run_worker
from victimsupport import environment
from victimsupport.audit.models import AuditEntry
from victimsupport.pdfjobs import DocumentFailed, produce_document

pytestmark = pytest.mark.django_db

NAME = "Mira Okafor"


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara, given_name="Mira", family_name="Okafor")


@pytest.fixture
def large(settings):
    """Every case file counts as large: exports go through the worker."""
    settings.PDF_BACKGROUND_THRESHOLD = 1
    return settings


def status_url(job):
    return reverse("cases:export_status", args=[job.case_id, job.pk])


def download_url(job):
    return reverse("cases:export_download", args=[job.case_id, job.pk])


def request_job(client, user, case, capture):
    """POST the export button as ``user``; return the job it created."""
    client.force_login(user)
    with capture(execute=True):
        response = client.post(reverse("cases:export", args=[case.pk]))
    job = ExportJob.objects.get(case=case, requested_by=user, status=ExportJob.Status.QUEUED)
    assert response.status_code == 302
    assert response["Location"] == status_url(job)
    return job


def produce(job_or_id):
    """Run the background document task inline, as the worker would, for an export job."""
    return produce_document.call("cases.exportjob", str(getattr(job_or_id, "pk", job_or_id)))


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def export_entries(case):
    return AuditEntry.objects.get_for_object(case).filter(additional_data__access="export")


# --- Small files: as before ---------------------------------------------------------------


def test_a_small_file_downloads_at_once_and_is_audited(client, cara, case):
    client.force_login(cara)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f'href="{reverse("cases:export", args=[case.pk])}"' in page
    response = client.get(reverse("cases:export", args=[case.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="case-file.pdf"'
    assert NAME in pdf_text(response.content)
    assert not ExportJob.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert export_entries(case).get().actor == cara


def test_the_size_counted_is_the_timeline_shown(cara, case):
    services.note_add(case=case, actor=cara, body="A note.")
    assert exports.timeline_size(case) == len(case_file(case)["timeline"]) > 1


# --- Large files: a job, its task and its progress -----------------------------------------


def test_a_large_file_creates_a_job_and_enqueues_only_its_id(
    client, cara, case, large, django_capture_on_commit_callbacks
):
    client.force_login(cara)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f'method="post" action="{reverse("cases:export", args=[case.pk])}"' in page
    job = request_job(client, cara, case, django_capture_on_commit_callbacks)
    assert (job.progress, job.stage, job.pdf) == (0, ExportJob.Stage.WAITING, None)
    assert job.expires_at > timezone.now() + timedelta(hours=23)
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "victimsupport.pdfjobs.produce_document"
    assert queued.args_kwargs == {"args": ["cases.exportjob", str(job.pk)], "kwargs": {}}
    # Asking for it is not the export: nothing is handed over yet.
    assert not export_entries(case).exists()
    status = client.get(status_url(job))
    assert status.status_code == 200
    assert b"Waiting for the background worker" in status.content


def test_a_second_request_while_one_is_waiting_reuses_it(
    client, cara, case, large, django_capture_on_commit_callbacks
):
    first = request_job(client, cara, case, django_capture_on_commit_callbacks)
    response = client.post(reverse("cases:export", args=[case.pk]))
    assert response["Location"] == status_url(first)
    assert ExportJob.objects.count() == 1


def test_the_worker_writes_the_file_in_the_language_it_was_asked_in(client, large):
    """The worker has no request: the job carries the requester's language, so a caseworker
    working in French gets a French file from the background as from the page."""
    cara = factories.caseworker(factories.make_team("North"))
    case = factories.make_full_case(cara, given_name="Mira", family_name="Okafor")
    client.force_login(cara)
    client.post(reverse("cases:export", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="fr")
    job = ExportJob.objects.get()
    assert job.language == "fr"
    translation.activate("en-gb")  # what a worker process has: the default, not the asker's
    try:
        produce(job)
    finally:
        translation.deactivate()
    job.refresh_from_db()
    text = pdf_text(job.pdf)
    assert f"Dossier {case.reference}" in text
    assert f"Case file {case.reference}" not in text


def test_following_an_old_export_link_to_a_large_file_offers_the_button(client, cara, case, large):
    client.force_login(cara)
    response = client.get(reverse("cases:export", args=[case.pk]))
    assert response.status_code == 200
    assert b"Prepare the PDF" in response.content
    assert not ExportJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_produces_the_encrypted_pdf_and_the_download_is_audited(client, large):
    cara = factories.caseworker(factories.make_team("North"))
    case = factories.make_full_case(cara, given_name="Mira", family_name="Okafor")
    client.force_login(cara)
    response = client.post(reverse("cases:export", args=[case.pk]))
    job = ExportJob.objects.get()
    assert response["Location"] == status_url(job)

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.stage, job.progress) == ("done", "done", 100)
    assert job.finished_at is not None and job.size == len(job.pdf)
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    text = pdf_text(job.pdf)
    assert case.reference in text and NAME in text
    status = client.get(status_url(job)).content.decode()
    assert "Ready: the PDF can be downloaded." in status
    assert 'value="100"' in status and 'http-equiv="refresh"' not in status
    assert not export_entries(case).exists()

    download = client.get(download_url(job))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="case-file.pdf"'
    assert "no-store" in download["Cache-Control"]
    assert download.content == job.pdf
    entry = export_entries(case).get()
    assert entry.actor == cara
    assert entry.additional_data == {"access": "export", "format": "pdf", "job": str(job.pk)}

    # The PDF is stored encrypted, the queue holds the job id only, and nothing names her.
    raw = factories.raw_database_bytes()
    assert b"%PDF" not in raw
    assert NAME.encode() not in raw and b"Okafor" not in raw


def test_progress_is_saved_stage_by_stage(
    client, cara, case, large, django_capture_on_commit_callbacks, monkeypatch
):
    from victimsupport import pdf

    job = request_job(client, cara, case, django_capture_on_commit_callbacks)
    seen = []

    def saved_stage():
        fresh = ExportJob.objects.get(pk=job.pk)
        seen.append((fresh.status, fresh.stage, fresh.progress))

    real_lay_out = pdf.lay_out

    def lay_out(html, **options):
        saved_stage()
        document = real_lay_out(html, **options)
        real_write = document.write_pdf

        def write_pdf(**options):
            saved_stage()
            return real_write(**options)

        document.write_pdf = write_pdf
        return document

    monkeypatch.setattr(pdf, "lay_out", lay_out)
    produce(job)
    assert seen == [("running", "layout", 30), ("running", "writing", 85)]
    job.refresh_from_db()
    assert (job.status, job.progress) == ("done", 100)
    # The progress ticks are not audited; the status changes are.
    changes = [
        e.changes
        for e in AuditEntry.objects.get_for_object(job).filter(action=AuditEntry.Action.UPDATE)
    ]
    assert changes and all("progress" not in c and "stage" not in c for c in changes)


def test_a_download_before_the_pdf_is_ready_goes_back_to_the_status(
    client, cara, case, large, django_capture_on_commit_callbacks
):
    job = request_job(client, cara, case, django_capture_on_commit_callbacks)
    response = client.get(download_url(job))
    assert response.status_code == 302 and response["Location"] == status_url(job)
    assert not export_entries(case).exists()


# --- Who may see a job ---------------------------------------------------------------------


def test_nobody_but_the_requester_sees_the_job(
    client, north, cara, case, large, django_capture_on_commit_callbacks
):
    job = request_job(client, cara, case, django_capture_on_commit_callbacks)
    produce(job)
    teammate = factories.caseworker(north, "Tom")  # may see the case, not Cara's export
    outsider = factories.caseworker(factories.make_team("South"), "Sam")
    for user in (teammate, outsider):
        client.force_login(user)
        assert client.get(status_url(job)).status_code == 404
        assert client.get(download_url(job)).status_code == 404
    assert not export_entries(case).exists()


def test_a_requester_who_lost_access_gets_404(
    client, north, cara, case, large, django_capture_on_commit_callbacks
):
    job = request_job(client, cara, case, django_capture_on_commit_callbacks)
    produce(job)
    cara.teams.remove(north)
    case.assigned_to = None
    case.save(update_fields=["assigned_to"])
    assert client.get(status_url(job)).status_code == 404
    assert client.get(download_url(job)).status_code == 404
    assert not export_entries(case).exists()


def test_the_worker_renders_nothing_for_a_requester_who_lost_access(
    client, north, cara, case, large, django_capture_on_commit_callbacks
):
    job = request_job(client, cara, case, django_capture_on_commit_callbacks)
    cara.teams.remove(north)
    case.assigned_to = None
    case.save(update_fields=["assigned_to"])
    produce(job)
    job.refresh_from_db()
    assert (job.status, job.failure, job.pdf) == ("failed", "no_access", None)


# --- Failure ---------------------------------------------------------------------------------


def test_a_failure_shows_a_generic_message_and_logs_no_content(
    client, cara, case, large, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from victimsupport import pdf

    job = request_job(client, cara, case, django_capture_on_commit_callbacks)

    def broken(html, **options):
        raise RuntimeError(f"cannot lay out {NAME}")

    monkeypatch.setattr(pdf, "lay_out", broken)
    with caplog.at_level(logging.ERROR), pytest.raises(DocumentFailed) as raised:
        produce(job)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert NAME not in str(raised.value)
    assert "RuntimeError" in caplog.text and NAME not in caplog.text
    job.refresh_from_db()
    assert (job.status, job.stage, job.failure, job.pdf) == ("failed", "failed", "error", None)
    page = client.get(status_url(job)).content.decode()
    assert "The PDF could not be produced. Try again later." in page
    assert "Try again" in page and NAME not in page
    assert client.get(download_url(job)).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_failure_in_the_worker_leaves_no_content_in_the_queue(client, large, monkeypatch):
    from victimsupport import pdf

    cara = factories.caseworker(factories.make_team("North"))
    case = factories.make_full_case(cara, given_name="Mira", family_name="Okafor")
    client.force_login(cara)
    client.post(reverse("cases:export", args=[case.pk]))

    def broken(html, **options):
        raise RuntimeError(f"cannot lay out {NAME}")

    monkeypatch.setattr(pdf, "lay_out", broken)
    run_worker()

    assert ExportJob.objects.get().status == ExportJob.Status.FAILED
    result = DBTaskResult.objects.get()
    assert result.status == "FAILED"
    assert result.exception_class_path == "victimsupport.pdfjobs.DocumentFailed"
    assert "RuntimeError" not in result.traceback and NAME not in result.traceback
    assert NAME.encode() not in factories.raw_database_bytes()


# --- Expiry ----------------------------------------------------------------------------------


def test_purge_removes_expired_jobs_and_an_expired_job_is_gone_at_once(
    client, cara, case, large, django_capture_on_commit_callbacks
):
    old = request_job(client, cara, case, django_capture_on_commit_callbacks)
    produce(old)
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    fresh = ExportJob.objects.create(
        case=case, requested_by=cara, expires_at=timezone.now() + timedelta(hours=1)
    )
    # Expired is expired, whether or not the purge has run yet.
    assert client.get(status_url(old)).status_code == 404
    assert client.get(download_url(old)).status_code == 404

    out = io.StringIO()
    call_command("purge_exports", stdout=out)
    assert "Purged 1 export jobs." in out.getvalue()
    assert list(ExportJob.objects.all()) == [fresh]
    assert AuditEntry.objects.get_for_object(old).filter(action=AuditEntry.Action.DELETE).exists()


# --- The status page -----------------------------------------------------------------------


def test_the_status_page_is_accessible_and_refreshes_without_inline_script(
    client, cara, case, large, django_capture_on_commit_callbacks
):
    job = request_job(client, cara, case, django_capture_on_commit_callbacks)
    page = client.get(status_url(job)).content.decode()
    assert '<label for="export-progress">' in page
    assert '<progress id="export-progress" max="100" value="0">0%</progress>' in page
    assert 'role="status" aria-live="polite"' in page
    assert '<noscript><meta http-equiv="refresh"' in page
    assert 'src="/static/js/export-progress.js"' in page
    assert "<script>" not in page


def test_a_job_waiting_too_long_stops_refreshing_and_says_why(
    client, cara, case, large, django_capture_on_commit_callbacks
):
    job = request_job(client, cara, case, django_capture_on_commit_callbacks)
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=1))
    since = factories.audit_mark()
    page = client.get(status_url(job)).content.decode()
    factories.assert_not_accessed(case, since=since)  # progress only: the download is the entry
    assert "the background worker may not be running" in page
    assert 'http-equiv="refresh"' not in page and 'data-poll="false"' in page
    # Trying again makes a new job rather than returning the stuck one.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cases:export", args=[case.pk]))
    retry = ExportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == status_url(retry)


def test_the_status_page_uses_a_fixed_number_of_queries(
    client, cara, case, large, django_capture_on_commit_callbacks, django_assert_num_queries
):
    small_job = request_job(client, cara, case, django_capture_on_commit_callbacks)
    client.get(status_url(small_job))  # warm up (content types, session)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(status_url(small_job)).status_code == 200
    expected = len(baseline)  # now: the log is reset by the next request

    bigger = factories.make_full_case(cara)
    for n in range(30):
        services.note_add(case=bigger, actor=cara, body=f"Note {n}")
    big_job = request_job(client, cara, bigger, django_capture_on_commit_callbacks)
    produce(big_job)
    with django_assert_num_queries(expected):
        assert client.get(status_url(big_job)).status_code == 200


# --- Settings ------------------------------------------------------------------------------


def test_the_task_backend_setting_is_checked():
    assert (
        environment.task_backend("TASKS_BACKEND", "database", production=True)
        == "django_tasks_db.DatabaseBackend"
    )
    assert environment.task_backend("TASKS_BACKEND", " Immediate ", production=False).endswith(
        "ImmediateBackend"
    )
    with pytest.raises(ImproperlyConfigured, match="TASKS_BACKEND must be database when"):
        environment.task_backend("TASKS_BACKEND", "immediate", production=True)
    with pytest.raises(ImproperlyConfigured, match="TASKS_BACKEND must be one of"):
        environment.task_backend("TASKS_BACKEND", "redis", production=False)


def test_the_default_backend_is_the_database_queue(settings):
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert produce_document.get_backend().__class__.__name__ == "DatabaseBackend"


def test_a_job_runs_once_and_a_purged_one_not_at_all(
    client, cara, case, large, django_capture_on_commit_callbacks
):
    job = request_job(client, cara, case, django_capture_on_commit_callbacks)
    produce(job)
    job.refresh_from_db()
    finished_at, content = job.finished_at, job.pdf
    produce(job)  # delivered twice: the second finds it taken
    job.refresh_from_db()
    assert (job.finished_at, job.pdf) == (finished_at, content)
    job_id = str(job.pk)
    job.delete()
    produce(job_id)  # purged before the worker got to it
    assert not ExportJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_trying_again_gives_up_the_stuck_job_so_only_one_pdf_is_made(
    client, cara, case, large, django_capture_on_commit_callbacks
):
    job = request_job(client, cara, case, django_capture_on_commit_callbacks)
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cases:export", args=[case.pk]))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    run_worker()  # the worker comes back: it renders the new job only
    statuses = sorted(ExportJob.objects.filter(case=case).values_list("status", flat=True))
    assert statuses == [ExportJob.Status.DONE, ExportJob.Status.FAILED]
