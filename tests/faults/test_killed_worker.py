"""The background worker (django-tasks' db_worker, a real process) killed with SIGKILL while it
lays out a case-file PDF: the job is never left "running" for ever. Once it is STALLED_AFTER
old (shortened to seconds here) the next worker to take a document marks it failed, the
requester's page says so and offers to try again, and trying again produces the PDF."""

from __future__ import annotations

import time

import pytest

from cases.exports import request_export
from cases.models import ExportJob
from tests import factories
from tests.faults.conftest import Worker, server_env
from tests.servers import database_url
from victimsupport.audit.chain import verify_chain

pytestmark = pytest.mark.faults

STALLED_SECONDS = 3


def wait_for(predicate, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def status_of(job: ExportJob) -> str:
    return ExportJob.objects.filter(pk=job.pk).values_list("status", flat=True).get()


def test_a_worker_killed_during_a_pdf_leaves_no_job_running_for_ever(
    transactional_db, tmp_path, pauses, client
):
    from django.db import connection

    team = factories.make_team("North")
    cara = factories.caseworker(team)
    case = factories.make_full_case(cara, given_name="Mira", family_name="Okafor")
    other = factories.make_full_case(cara, given_name="Lena", family_name="Berg")
    env = server_env(database_url(connection.settings_dict), pauses)
    log = tmp_path / "worker.log"

    pauses.arm("pdf_layout")
    job = request_export(case=case, user=cara)
    first = Worker(env, log)
    try:
        pid = pauses.wait_reached("pdf_layout", timeout=60)
        assert pid == first.process.pid
        assert status_of(job) == ExportJob.Status.RUNNING
        first.kill()  # SIGKILL, in the middle of laying out the pages
    finally:
        first.kill()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.RUNNING  # what the dead worker left
    assert job.pdf is None

    # A worker comes back (systemd restarts it); the dead one's job is given up once stalled,
    # before the next document: failed, with no PDF, never rendered by the new worker.
    time.sleep(STALLED_SECONDS + 0.5)
    # (Only the second worker gives up stalled jobs this soon: the first, slow to start on a
    # busy machine, must not give up the job it was started for.)
    second = Worker({**env, "FAULT_STALLED_SECONDS": str(STALLED_SECONDS)}, log)
    try:
        wait_for(lambda: log.read_text().count("Starting worker") == 2, what="the second worker")
        later = request_export(case=other, user=cara)
        wait_for(lambda: status_of(later) == ExportJob.Status.DONE, what="the next PDF")
        job.refresh_from_db()
        assert (job.status, job.failure, job.pdf) == (ExportJob.Status.FAILED, "error", None)
        assert job.finished_at is not None

        # The requester's page says it failed and offers to try again.
        client.force_login(cara)
        page = client.get(f"/cases/{case.pk}/exports/{job.pk}/")
        assert page.status_code == 200
        text = page.content.decode()
        assert "could not be produced" in text
        assert job.get_retry_url() in text

        # Trying again makes the PDF.
        again = request_export(case=case, user=cara)
        assert again.pk != job.pk
        wait_for(lambda: status_of(again) == ExportJob.Status.DONE, what="the retried PDF")
        again.refresh_from_db()
        assert again.pdf.startswith(b"%PDF")
    finally:
        second.stop()
    report = verify_chain()
    assert report.ok, report.problem
