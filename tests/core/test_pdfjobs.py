"""Background documents (victimsupport.pdfjobs): any long PDF, case-bound or not, made by the
one task with progress. The case file's own flow is in tests/cases/test_exports.py; here the
throwaway SiteReportJob (a site's report, no case anywhere) shows that any app's document goes
through the same task, the same rules and the same purge."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from cases.models import ExportJob
from tests import factories
from tests.factories import run_worker
from tests.testapp import reports
from tests.testapp.models import Site, SiteReportJob
from victimsupport import pdf, pdfjobs
from victimsupport.access import get_for_user
from victimsupport.audit.models import AuditEntry
from victimsupport.pdfjobs import DocumentFailed, produce_document

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.testapp.urls_reports")]

LABEL = "testapp.sitereportjob"
SECRET = "Riverside refuge, back door code 4471"


@pytest.fixture
def site(north):
    return Site.objects.create(team=north, name=SECRET)


def ask(client, user, site, capture):
    """POST the site's "report" button as ``user``; return the job it created."""
    client.force_login(user)
    with capture(execute=True):
        response = client.post(reverse("site_report_request", args=[site.pk]))
    job = SiteReportJob.objects.filter(site=site, requested_by=user).order_by("-created_at")[0]
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    return job


def produce(job):
    return produce_document.call(LABEL, str(job.pk))


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# --- Any document, through the one task -----------------------------------------------------


def test_a_document_about_no_case_is_made_in_the_background(
    client, cara, site, django_capture_on_commit_callbacks
):
    job = ask(client, cara, site, django_capture_on_commit_callbacks)
    waiting = client.get(job.get_absolute_url()).content.decode()
    assert "Waiting for the background worker: 0% done." in waiting
    assert '<noscript><meta http-equiv="refresh"' in waiting
    assert 'src="/static/js/export-progress.js"' in waiting
    assert SECRET not in waiting

    produce(job)

    job.refresh_from_db()
    assert (job.status, job.stage, job.progress, job.failure) == ("done", "done", 100, "")
    assert job.size == len(job.pdf) and job.finished_at is not None
    assert SECRET in pdf_text(job.pdf)
    # The safe renderer's neutral metadata: the kind's title and nothing else.
    assert dict(PdfReader(io.BytesIO(job.pdf)).metadata) == {"/Title": reports.TITLE}
    ready = client.get(job.get_absolute_url()).content.decode()
    assert "Ready: the PDF can be downloaded." in ready
    assert f'href="{job.get_download_url()}"' in ready
    assert "http-equiv" not in ready and "export-progress.js" not in ready
    download = client.get(job.get_download_url())
    assert download["Content-Disposition"] == 'attachment; filename="site-report.pdf"'
    assert download.content == job.pdf


def test_the_task_is_given_the_model_label_and_the_job_id_only(
    client, cara, site, django_capture_on_commit_callbacks
):
    case = factories.make_full_case(cara, given_name="Mira", family_name="Okafor")
    report = ask(client, cara, site, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        export = pdfjobs.job_request(model=ExportJob, requested_by=cara, case=case)
    queued = {r.args_kwargs["args"][0]: r for r in DBTaskResult.objects.all()}
    assert set(queued) == {LABEL, "cases.exportjob"}
    for label, job in ((LABEL, report), ("cases.exportjob", export)):
        assert queued[label].task_path == "victimsupport.pdfjobs.produce_document"
        assert queued[label].args_kwargs == {"args": [label, str(job.pk)], "kwargs": {}}
        assert queued[label].return_value is None


def test_a_label_nobody_registered_renders_nothing(cara, site):
    for label in ("cases.case", "accounts.user", "testapp.site", "nothing.here"):
        with pytest.raises(DocumentFailed, match="no background document is registered"):
            produce_document.call(label, str(site.pk))


def test_every_job_model_is_registered_and_audited():
    models = set(pdfjobs.job_models())
    assert {ExportJob, SiteReportJob} <= models
    assert pdfjobs.check_job_models() == []
    with pytest.raises(TypeError):
        pdfjobs.register(Site, render=reports.render_report)
    with pytest.raises(TypeError):
        pdfjobs.register(pdfjobs.DocumentJob, render=reports.render_report)


# --- Progress ----------------------------------------------------------------------------------


def test_each_stage_is_saved_before_it_starts(
    client, cara, site, django_capture_on_commit_callbacks, monkeypatch
):
    job = ask(client, cara, site, django_capture_on_commit_callbacks)
    seen = []

    def saved(step):
        fresh = SiteReportJob.objects.get(pk=job.pk)
        seen.append((step, fresh.status, fresh.stage, fresh.progress))

    def gathering(job, site):
        saved("render")
        return reports.render_report(job, site)

    real_lay_out, real_write = pdf.lay_out, pdf.write
    monkeypatch.setitem(pdfjobs._RENDERERS, LABEL, gathering)
    monkeypatch.setattr(
        pdf, "lay_out", lambda html, **kw: (saved("lay_out"), real_lay_out(html, **kw))[1]
    )
    monkeypatch.setattr(pdf, "write", lambda doc: (saved("write"), real_write(doc))[1])
    produce(job)
    assert seen == [
        ("render", "running", "gathering", 5),
        ("lay_out", "running", "layout", 30),
        ("write", "running", "writing", 85),
    ]
    job.refresh_from_db()
    assert (job.status, job.stage, job.progress) == ("done", "done", 100)
    # The status changes are audited, the ticks between them are not.
    changes = [
        e.changes
        for e in AuditEntry.objects.get_for_object(job).filter(action=AuditEntry.Action.UPDATE)
    ]
    assert changes and all("progress" not in c and "stage" not in c for c in changes)


def test_a_kind_may_word_its_stages_its_own_way(cara, site):
    now = timezone.now()
    report = SiteReportJob(site=site, requested_by=cara, stage="gathering", expires_at=now)
    export = ExportJob(requested_by=cara, stage="gathering", expires_at=now)
    assert str(report.stage_label) == "Gathering the contents"
    assert str(export.stage_label) == "Gathering the case file"
    report.failure = export.failure = pdfjobs.JobFailure.NO_ACCESS
    assert str(report.failure_message) == "You can no longer open what this document is made from."
    assert str(export.failure_message) == "You can no longer open this case file."


# --- Failure -----------------------------------------------------------------------------------


def test_a_failure_says_the_same_fixed_thing_and_logs_no_content(
    client, cara, site, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    job = ask(client, cara, site, django_capture_on_commit_callbacks)

    def broken(html, **options):
        raise RuntimeError(f"cannot lay out {SECRET}")

    monkeypatch.setattr(pdf, "lay_out", broken)
    with caplog.at_level(logging.ERROR), pytest.raises(DocumentFailed) as raised:
        produce(job)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert SECRET not in str(raised.value)
    assert "RuntimeError" in caplog.text and "pdfjobs.py" in caplog.text
    assert SECRET not in caplog.text
    job.refresh_from_db()
    assert (job.status, job.stage, job.failure, job.pdf) == ("failed", "failed", "error", None)
    page = client.get(job.get_absolute_url()).content.decode()
    assert "The PDF could not be produced. Try again later." in page
    assert f'action="{job.get_retry_url()}"' in page and SECRET not in page
    assert client.get(job.get_download_url()).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_failure_in_the_worker_leaves_no_content_in_the_queue(client, monkeypatch):
    cara = factories.caseworker(factories.make_team("North"))
    site = Site.objects.create(team=cara.teams.get(), name=SECRET)
    client.force_login(cara)
    client.post(reverse("site_report_request", args=[site.pk]))

    def broken(job, site):
        raise ValueError(f"no plan for {site.name}")

    monkeypatch.setitem(pdfjobs._RENDERERS, LABEL, broken)
    run_worker()

    assert SiteReportJob.objects.get().failure == pdfjobs.JobFailure.ERROR
    result = DBTaskResult.objects.get()
    assert result.status == "FAILED"
    assert result.exception_class_path == "victimsupport.pdfjobs.DocumentFailed"
    assert "ValueError" not in result.traceback and SECRET not in result.traceback
    # (The test site's name is plain text in its own table, so no raw scan here: the queue.)
    assert SECRET not in str(DBTaskResult.objects.values_list("args_kwargs", "traceback").get())


# --- Access, asked and checked again at render time -----------------------------------------


def test_only_the_requester_sees_the_job_and_only_until_it_expires(
    client, north, cara, site, django_capture_on_commit_callbacks
):
    job = ask(client, cara, site, django_capture_on_commit_callbacks)
    produce(job)
    teammate = factories.caseworker(north, "Tom")  # sees the site, did not ask
    outsider = factories.caseworker(factories.make_team("South"), "Sam")
    for user in (teammate, outsider):
        client.force_login(user)
        assert client.get(job.get_absolute_url()).status_code == 404
        assert client.get(job.get_download_url()).status_code == 404
    assert get_for_user(cara, SiteReportJob, job.pk) == job
    SiteReportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now())
    client.force_login(cara)
    assert client.get(job.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("how", ["left the team", "deactivated"])
def test_the_worker_checks_access_again_before_rendering(
    how, client, north, cara, site, django_capture_on_commit_callbacks, monkeypatch
):
    job = ask(client, cara, site, django_capture_on_commit_callbacks)
    if how == "left the team":
        cara.teams.remove(north)
    else:
        cara.is_active = False
        cara.save(update_fields=["is_active"])

    def must_not_render(job, site):
        raise AssertionError("rendered for someone who may no longer see the site")

    monkeypatch.setitem(pdfjobs._RENDERERS, LABEL, must_not_render)
    produce(job)
    job.refresh_from_db()
    assert (job.status, job.failure, job.pdf, job.progress) == ("failed", "no_access", None, 0)


def test_a_job_expired_before_the_worker_got_to_it_is_not_rendered(
    client, cara, site, django_capture_on_commit_callbacks
):
    job = ask(client, cara, site, django_capture_on_commit_callbacks)
    SiteReportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now())
    produce(job)
    job.refresh_from_db()
    assert (job.status, job.pdf) == ("queued", None)


# --- Asking twice, and a stuck worker --------------------------------------------------------


def test_a_double_click_makes_one_job(client, cara, site, django_capture_on_commit_callbacks):
    first = ask(client, cara, site, django_capture_on_commit_callbacks)
    second = ask(client, cara, site, django_capture_on_commit_callbacks)
    assert second == first
    assert SiteReportJob.objects.count() == 1 and DBTaskResult.objects.count() == 1
    # Another site, or another requester, is another document.
    other = Site.objects.create(team=site.team, name="Annex")
    assert ask(client, cara, other, django_capture_on_commit_callbacks) != first
    tom = factories.caseworker(site.team, "Tom")
    assert ask(client, tom, site, django_capture_on_commit_callbacks) != first


def test_a_stuck_job_is_given_up_and_a_new_one_made(
    client, cara, site, django_capture_on_commit_callbacks
):
    stuck = ask(client, cara, site, django_capture_on_commit_callbacks)
    SiteReportJob.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - SiteReportJob.STALLED_AFTER - timedelta(seconds=1)
    )
    page = client.get(stuck.get_absolute_url()).content.decode()
    assert "the background worker may not be running" in page and 'data-poll="false"' in page
    retry = ask(client, cara, site, django_capture_on_commit_callbacks)
    assert retry != stuck
    stuck.refresh_from_db()
    assert (stuck.status, stuck.failure) == ("failed", "error")
    produce(stuck)  # the worker comes back to the old one: it is no longer queued
    stuck.refresh_from_db()
    assert stuck.pdf is None


def test_a_job_left_running_by_a_dead_worker_is_marked_failed_once_stalled(
    client, cara, site, django_capture_on_commit_callbacks
):
    dead = ask(client, cara, site, django_capture_on_commit_callbacks)
    recent = ask(
        client,
        cara,
        Site.objects.create(team=site.team, name="Annex"),
        django_capture_on_commit_callbacks,
    )
    SiteReportJob.objects.filter(pk__in=[dead.pk, recent.pk]).update(status="running")
    SiteReportJob.objects.filter(pk=dead.pk).update(
        created_at=timezone.now() - SiteReportJob.STALLED_AFTER - timedelta(seconds=1)
    )
    mark = factories.audit_mark()
    out = io.StringIO()
    call_command("purge_exports", stdout=out)
    assert "Marked 1 stalled export jobs failed." in out.getvalue()
    dead.refresh_from_db()
    recent.refresh_from_db()
    assert (dead.status, dead.failure, dead.pdf) == ("failed", "error", None)
    assert recent.status == "running"  # a live worker may still be on it
    factories.assert_changed(dead, since=mark)
    page = client.get(dead.get_absolute_url()).content.decode()
    assert "could not be produced" in page and dead.get_retry_url() in page


def test_the_sweep_does_not_overrule_a_worker_that_finished_the_job_meanwhile(
    client, cara, site, django_capture_on_commit_callbacks, monkeypatch
):
    job = ask(client, cara, site, django_capture_on_commit_callbacks)
    SiteReportJob.objects.filter(pk=job.pk).update(
        status="running",
        created_at=timezone.now() - SiteReportJob.STALLED_AFTER - timedelta(seconds=1),
    )
    # The worker finishes it between the sweep's look for stalled jobs and its change.
    queryset = type(SiteReportJob._default_manager.all())
    listed = queryset.values_list

    def finished_meanwhile(self, *args, **kwargs):
        found = list(listed(self, *args, **kwargs))
        SiteReportJob.objects.filter(pk=job.pk).update(status="done")
        return found

    monkeypatch.setattr(queryset, "values_list", finished_meanwhile)
    assert pdfjobs.fail_stalled_jobs() == 0
    job.refresh_from_db()
    assert job.status == "done"


def test_a_pdf_the_database_refuses_to_store_fails_the_job(
    cara, site, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import OperationalError

    with django_capture_on_commit_callbacks(execute=False):
        job = pdfjobs.job_request(model=SiteReportJob, requested_by=cara, site=site)
    original = pdfjobs._finish

    def disk_full(job, status, **kwargs):
        if status == pdfjobs.JobStatus.DONE:
            raise OperationalError("could not extend file: No space left on device")
        return original(job, status, **kwargs)

    monkeypatch.setattr(pdfjobs, "_finish", disk_full)
    with pytest.raises(DocumentFailed):
        produce(job)
    job.refresh_from_db()
    assert (job.status, job.failure, job.pdf, job.size) == ("failed", "error", None, None)


# --- Expiry ----------------------------------------------------------------------------------


def test_the_purge_covers_every_kind_of_job(cara, site):
    now = timezone.now()
    case = factories.make_full_case(cara)
    made = {
        (kind, when): kind.objects.create(
            requested_by=cara,
            expires_at=now + offset,
            **({"site": site} if kind is SiteReportJob else {"case": case}),
        )
        for kind in (ExportJob, SiteReportJob)
        for when, offset in (("old", -timedelta(seconds=1)), ("fresh", timedelta(hours=1)))
    }
    out = io.StringIO()
    call_command("purge_exports", stdout=out)
    assert "Purged 2 export jobs." in out.getvalue()
    assert "cases.ExportJob" in out.getvalue() and "testapp.SiteReportJob" in out.getvalue()
    assert list(ExportJob.objects.all()) == [made[ExportJob, "fresh"]]
    assert list(SiteReportJob.objects.all()) == [made[SiteReportJob, "fresh"]]
    for kind in (ExportJob, SiteReportJob):
        old = made[kind, "old"]
        assert AuditEntry.objects.get_for_object(old).filter(action=AuditEntry.Action.DELETE)


def test_asking_for_any_document_purges_every_kind(
    client, cara, site, django_capture_on_commit_callbacks
):
    case = factories.make_full_case(cara)
    ExportJob.objects.create(case=case, requested_by=cara, expires_at=timezone.now())
    ask(client, cara, site, django_capture_on_commit_callbacks)
    assert not ExportJob.objects.exists()


# --- A delivered copy, protected ------------------------------------------------------------


def test_a_kind_may_protect_its_pdf_with_a_password(
    client, cara, site, django_capture_on_commit_callbacks, monkeypatch
):
    def protected(job, site):
        return pdfjobs.Document("testapp/site_report.html", {"site": site}, password="s3cret-pw")

    monkeypatch.setitem(pdfjobs._RENDERERS, LABEL, protected)
    job = ask(client, cara, site, django_capture_on_commit_callbacks)
    produce(job)
    job.refresh_from_db()
    reader = PdfReader(io.BytesIO(job.pdf))
    assert reader.is_encrypted
    encryption = reader.trailer["/Encrypt"]
    assert (encryption["/V"], encryption["/R"]) == (5, 6)  # AES-256, never RC4
    reader.decrypt("s3cret-pw")
    assert SECRET in reader.pages[0].extract_text()
