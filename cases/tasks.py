"""Background tasks (django-tasks, run by `manage.py db_worker`).

Task arguments and results are stored in plain text in the queue table, so a task takes the id
of a row and nothing else, returns nothing, and never lets an exception message (which may
quote content) reach the queue's traceback column.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from cases import exports
from cases.models import Case, ExportJob
from victimsupport import pdf
from victimsupport.audit.context import acting_as, on_behalf_of

logger = logging.getLogger(__name__)

Stage = ExportJob.Stage

# How far along each stage starts, in percent. Laying out the pages is most of the work.
PROGRESS = {
    Stage.GATHERING: 5,
    Stage.LAYOUT: 30,
    Stage.WRITING: 85,
    Stage.DONE: 100,
}


class ExportFailed(Exception):
    """Raised, without the original exception attached, when an export job fails."""


@task()
@acting_as(system="produce_case_file")
def produce_case_file(job_id: str) -> None:
    """Render the case-file PDF of export job ``job_id`` and store it, encrypted, on the job.

    The requester's access is checked again here: it may have ended since they asked.
    Progress is written in short transactions of its own, so the status page sees it at once.
    """
    job = ExportJob.objects.filter(pk=job_id).select_related("requested_by").first()
    if job is None or not _claim(job):  # purged, or already taken
        return
    on_behalf_of(job.requested_by)  # the job's entries: made by the worker, for the requester
    case = Case.objects.visible_to(job.requested_by).filter(pk=job.case_id).first()
    if case is None:
        _finish(job, ExportJob.Status.FAILED, failure=ExportJob.Failure.NO_ACCESS)
        return
    try:
        _set_stage(job, Stage.GATHERING)
        html = pdf.render_html(exports.TEMPLATE, exports.export_context(case))
        _set_stage(job, Stage.LAYOUT)
        document = pdf.lay_out(html)
        _set_stage(job, Stage.WRITING)
        content = pdf.write(document)
    except Exception as exc:
        _fail(job, exc)
        raise ExportFailed(f"export job {job.pk} failed") from None
    job.pdf = content
    job.size = len(content)
    _finish(job, ExportJob.Status.DONE, extra_fields=["pdf", "size"])


def _claim(job: ExportJob) -> bool:
    """Move the job from queued to running, unless something else already has."""
    with transaction.atomic():
        claimed = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.QUEUED).update(
            status=ExportJob.Status.RUNNING
        )
    job.status = ExportJob.Status.RUNNING
    return claimed == 1


def _set_stage(job: ExportJob, stage: Stage) -> None:
    """Record the stage that starts now (progress is not audited, so an update suffices)."""
    job.stage, job.progress = stage, PROGRESS[stage]
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(stage=job.stage, progress=job.progress)


def _finish(
    job: ExportJob,
    status: ExportJob.Status,
    *,
    failure: str = "",
    extra_fields: list[str] | None = None,
) -> None:
    done = status == ExportJob.Status.DONE
    job.status = status
    job.stage = Stage.DONE if done else Stage.FAILED
    job.progress = 100 if done else job.progress
    job.failure = failure
    job.finished_at = timezone.now()
    fields = ["status", "stage", "progress", "failure", "finished_at", *(extra_fields or [])]
    with transaction.atomic():
        job.save(update_fields=fields)


def _fail(job: ExportJob, exc: BaseException) -> None:
    """Mark the job failed with the fixed, generic message. The log gets the exception's
    type and where it was raised, never its message: messages can quote case content."""
    where: Any = traceback.extract_tb(exc.__traceback__)
    frames = " <- ".join(f"{f.filename}:{f.lineno}" for f in reversed(where))
    logger.error("Export job %s failed: %s at %s", job.pk, type(exc).__name__, frames)
    _finish(job, ExportJob.Status.FAILED, failure=ExportJob.Failure.ERROR)
