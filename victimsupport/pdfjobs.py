"""Background documents: any long PDF, case-bound or not, made by the worker with progress.

A document that is too long to render inside a request becomes a job: a row of a concrete
subclass of ``DocumentJob`` (the case file's is ``cases.ExportJob``). The worker renders it
through the safe renderer (``victimsupport.pdf``) in the generic task ``produce_document``; the
requester watches its progress on a page that includes ``pdf/_job_status.html`` and downloads
it from the job while it lasts. An app adds one in one place, its ``models.py``
(docs/architecture.md shows the whole of it):

- the concrete model: its link to what the document is made from, a ``visible_to`` that
  narrows the requester's own jobs to those whose subject they may still see, the ``subject()``
  hook that fetches that subject as the requester sees it now, and its URLs;
- one ``pdfjobs.register(Model, render=...)`` in the app's ``ready()``, naming what to draw
  (a template and its context). Rendering code reads selectors that import the models, so it
  is registered rather than imported by the model.

What holds for every kind, because it is written here once:

- The task's arguments are the model's label and the job's id, nothing else: django-tasks keeps
  arguments, return values and tracebacks in plain text in its queue table.
- The worker claims a job once (a job delivered twice renders once), checks again through
  ``subject()`` that the requester may still see what it is made from (access may have ended
  since they asked), and writes each stage's progress in a short transaction of its own.
- The PDF is stored encrypted on the job; only the requester sees the job, until it expires;
  ``purge_expired_jobs`` (``manage.py purge_exports``) deletes every kind's expired jobs.
- A job whose worker died (killed, out of memory, the machine restarted) is given up once it
  is ``STALLED_AFTER`` old: ``fail_stalled_jobs`` marks it failed, so it is never left
  "running" for ever, and its page offers to try again (it says so from that moment anyway).
  The worker runs the sweep before each document, ``purge_exports`` daily, a new request too.
- Storing the PDF can fail where rendering did not (the database's disk is full): the job is
  then marked failed, with no PDF, and never shown as ready.
- A failure shows a fixed message; the log gets the exception's type and frames, never its
  message (messages can quote content), and nothing of it reaches the queue's traceback.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import DatabaseError, models, transaction
from django.http import Http404, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from victimsupport import pdf
from victimsupport.access import get_for_user
from victimsupport.audit.context import acting_as, on_behalf_of
from victimsupport.audit.services import register as register_audited
from victimsupport.crypto.fields import EncryptedBinaryField, EncryptedCharField

logger = logging.getLogger(__name__)

# How often a status page looks again while the PDF is being made.
REFRESH_SECONDS = 2


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("In progress")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class JobStage(models.TextChoices):
    WAITING = "waiting", _("Waiting for the background worker")
    GATHERING = "gathering", _("Gathering the contents")
    LAYOUT = "layout", _("Laying out the pages")
    WRITING = "writing", _("Writing the PDF")
    DONE = "done", _("Done")
    FAILED = "failed", _("Stopped")


class JobFailure(models.TextChoices):
    # Fixed wording only: a failure never carries exception text or content.
    ERROR = "error", _("The PDF could not be produced. Try again later.")
    NO_ACCESS = "no_access", _("You can no longer open what this document is made from.")


# How far along each stage starts, in percent. Laying out the pages is most of the work.
PROGRESS = {
    JobStage.GATHERING: 5,
    JobStage.LAYOUT: 30,
    JobStage.WRITING: 85,
    JobStage.DONE: 100,
}


class DocumentJobQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> DocumentJobQuerySet:
        """The requester's own jobs, until they expire. A job made from something (a case, a
        site) narrows this to those whose subject the requester may still see."""
        return self.requested_by_user(user)

    def requested_by_user(self, user: Any) -> DocumentJobQuerySet:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(requested_by=user.pk, expires_at__gt=timezone.now())


class DocumentJob(models.Model):
    """A PDF produced by the background worker for one member of staff.

    Concrete models add the link to what the document is made from and the hooks below. The
    task that fills a job is given its model's label and its id, nothing else.
    """

    Status = JobStatus
    Stage = JobStage
    Failure = JobFailure

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(verbose_name=_("progress"), default=0)
    stage = models.CharField(
        verbose_name=_("stage"), max_length=10, choices=JobStage.choices, default=JobStage.WAITING
    )
    failure = models.CharField(
        verbose_name=_("failure"), max_length=10, choices=JobFailure.choices, blank=True
    )
    pdf = EncryptedBinaryField(verbose_name=_("PDF"), null=True, blank=True, editable=False)
    size = models.PositiveIntegerField(verbose_name=_("size"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    # The language the document is written in: the requester's at the time they asked (a
    # copy for the person themselves passes theirs). Encrypted: a person's language can say
    # who they are.
    language = EncryptedCharField(
        verbose_name=_("language"), max_length=15, blank=True, editable=False
    )
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(verbose_name=_("expires at"), db_index=True)

    objects = DocumentJobQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100),
                name="%(app_label)s_%(class)s_progress_max_100",
            )
        ]

    # Unfinished this long after it was asked for, the worker is probably not running.
    STALLED_AFTER = timedelta(minutes=10)
    # Downloads folders on shared computers are read by others: the name says nothing.
    FILENAME = "document.pdf"
    # A kind may word a stage or a failure its own way ("Gathering the case file").
    STAGE_LABELS: dict[str, Any] = {}
    FAILURE_MESSAGES: dict[str, Any] = {}

    def __str__(self) -> str:
        return f"{self._meta.model_name} {self.pk}"

    # --- Hooks each concrete model provides ------------------------------------------------

    def get_absolute_url(self) -> str:
        """The job's status page."""
        raise NotImplementedError

    def subject(self) -> Any | None:
        """What the document is made from, fetched as the requester may see it now (through
        its model's ``visible_to``), or None when they may no longer see it."""
        raise NotImplementedError(f"{type(self).__name__} must say what it is made from.")

    def get_download_url(self) -> str:
        raise NotImplementedError

    def get_retry_url(self) -> str:
        """Where the status page's "Try again" posts: a new request for the same document."""
        raise NotImplementedError

    # --- Properties from the job's own fields ----------------------------------------------

    @property
    def is_ready(self) -> bool:
        return self.status == JobStatus.DONE

    @property
    def is_finished(self) -> bool:
        return self.status in {JobStatus.DONE, JobStatus.FAILED}

    @property
    def is_stalled(self) -> bool:
        return not self.is_finished and timezone.now() - self.created_at > self.STALLED_AFTER

    @property
    def stage_label(self) -> Any:
        return self.STAGE_LABELS.get(self.stage) or self.get_stage_display()

    @property
    def failure_message(self) -> Any:
        if not self.failure:
            return _("The PDF could not be produced.")
        return self.FAILURE_MESSAGES.get(self.failure) or self.get_failure_display()


# --- What each kind renders ----------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """What to render: a template extending ``pdf/base.html``, its context, the neutral title
    written in the file's metadata, for a delivered copy a password (AES-256) and, to follow
    the rendered pages, other PDFs (``append``: their bytes, pages added in order)."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    title: str = pdf.NEUTRAL_TITLE
    password: str | None = None
    append: list[bytes] = field(default_factory=list)


# render(job, subject) -> Document, called by the worker after the access check.
Render = Callable[[Any, Any], Document]

_RENDERERS: dict[str, Render] = {}


def register(model: type[DocumentJob], *, render: Render) -> None:
    """Make ``model``'s jobs renderable by the worker, and audited (creation, status changes
    and deletion; not the progress ticks between them). Called in the app's ``ready()``."""
    if not issubclass(model, DocumentJob) or model._meta.abstract:
        raise TypeError(f"{model.__name__} is not a concrete DocumentJob.")
    _RENDERERS[model._meta.label_lower] = render
    register_audited(model, exclude_fields=["progress", "stage"])


def job_models() -> list[type[DocumentJob]]:
    """Every concrete job model of every installed app, registered or not."""
    return [m for m in apps.get_models() if issubclass(m, DocumentJob)]


@checks.register()
def check_job_models(**kwargs: Any) -> list[checks.CheckMessage]:
    """A job model nobody registered would wait for ever and never be rendered."""
    return [
        checks.Error(
            f"{model._meta.label} is a DocumentJob that was never registered.",
            hint="Call victimsupport.pdfjobs.register(Model, render=...) in its app's ready().",
            obj=model,
            id="victimsupport.E101",
        )
        for model in job_models()
        if model._meta.label_lower not in _RENDERERS
    ]


# --- Asking for a document, following it, downloading it -----------------------------------


def job_request(
    *,
    model: type[DocumentJob],
    requested_by: Any,
    hours: int | None = None,
    language: str | None = None,
    **links: Any,
) -> DocumentJob:
    """A job producing ``model``'s document for ``requested_by``, enqueued for the worker.

    ``links`` name what it is made from (``case=case``). A second request for the same thing
    while the first is still waiting or running returns that job, so a double click does not
    render it twice; a job that seems stuck is given up instead, so that a worker coming back
    does not render it as well as the new one. The task is given the label and the id only.
    The document is written in ``language``, by default the language of the request.
    """
    purge_expired_jobs()
    fail_stalled_jobs()
    now = timezone.now()
    mine = model._default_manager.filter(requested_by=requested_by, **links).defer("pdf")
    with transaction.atomic():
        unfinished = mine.filter(
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
            created_at__gt=now - model.STALLED_AFTER,
            expires_at__gt=now,
        ).first()
        if unfinished is not None:
            return unfinished
        # An update, so that a worker claiming the stuck job at the same moment cannot
        # also render it (the claim only takes a job still queued).
        mine.filter(status=JobStatus.QUEUED).update(
            status=JobStatus.FAILED, failure=JobFailure.ERROR, finished_at=now
        )
        job = model._default_manager.create(
            requested_by=requested_by,
            created_at=now,
            expires_at=now + timedelta(hours=hours or settings.PDF_EXPORT_HOURS),
            language=language or translation.get_language() or settings.LANGUAGE_CODE,
            **links,
        )
        label, job_id = model._meta.label_lower, str(job.pk)
        # After the commit, so the worker never looks for a job it cannot see yet.
        transaction.on_commit(lambda: produce_document.enqueue(label, job_id))
    return job


def job_for_user(user: Any, queryset: Any, job_id: Any) -> Any:
    """The job ``job_id`` if ``user`` asked for it and may still see what it is made from;
    anyone else, and an expired job, get the same 404 as a job that never existed. The PDF
    itself is not loaded (nor decrypted) for a status page."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    return get_for_user(user, queryset.defer("pdf"), job_id)


def status_context(job: DocumentJob) -> dict[str, Any]:
    """What ``pdf/_job_status.html`` (and ``pdf/_job_refresh.html`` in the head) need."""
    return {"job": job, "refresh_seconds": REFRESH_SECONDS}


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def download_response(job: DocumentJob) -> HttpResponse:
    """The finished PDF, under the kind's neutral name. The caller has written the access
    entry (the hand-over is the audited access, not the rendering)."""
    if not job.is_ready or job.pdf is None:
        raise ValueError("The job has no PDF yet.")
    # Handed over only while the requester may still see what it is made from, whatever the
    # kind's own visible_to says (a kind that forgot to narrow it fails closed here).
    if job.subject() is None:
        raise Http404("No document found.")
    return pdf_response(job.pdf, job.FILENAME)


def purge_expired_jobs(*, now: Any = None) -> int:
    """Delete the jobs (and their PDFs) of every kind past their expiry; return how many."""
    now = now or timezone.now()
    total = 0
    for model in job_models():
        # Through the ORM's collector, not one raw DELETE, so each deletion is audited.
        count, _ = model._default_manager.filter(expires_at__lte=now).defer("pdf").delete()
        total += count
    return total


def fail_stalled_jobs(*, now: Any = None) -> int:
    """Mark failed every job of every kind still waiting or running ``STALLED_AFTER`` after it
    was asked for: its worker has died or none is running. A worker coming back later does not
    render it (a claim takes queued jobs only), and the requester is offered to try again.
    Return how many."""
    now = now or timezone.now()
    total = 0
    for model in job_models():
        stalled = model._default_manager.filter(
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
            created_at__lte=now - model.STALLED_AFTER,
        ).defer("pdf")
        for pk in list(stalled.values_list("pk", flat=True)):
            # One by one, through save(): each status change is an audited change entry. The
            # row is locked and its status read again: a worker that finished it meanwhile
            # is not overruled (a done job keeps its document and says so).
            with transaction.atomic():
                job = (
                    model._default_manager.select_for_update()
                    .filter(pk=pk, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
                    .defer("pdf")
                    .first()
                )
                if job is None:
                    continue
                logger.warning(
                    "Document job %s %s stalled: marked failed", model._meta.label_lower, pk
                )
                _finish(job, JobStatus.FAILED, failure=JobFailure.ERROR)
            total += 1
    return total


# --- The worker's side ---------------------------------------------------------------------


class DocumentFailed(Exception):
    """Raised, without the original exception attached, when a document job fails."""


@task()
@acting_as(system="produce_document")
def produce_document(label: str, job_id: str) -> None:
    """Render the document of job ``job_id`` (of the job model ``label``) and store it,
    encrypted, on the job.

    The requester's access is checked again here, through the model's ``subject()``: it may
    have ended since they asked. Progress is written in short transactions of its own, so the
    status page sees it at once.
    """
    render = _RENDERERS.get(label)
    if render is None:  # not a job model: the label names no document anyone registered
        raise DocumentFailed(f"no background document is registered as {label}")
    fail_stalled_jobs()  # those another worker left when it died
    model = apps.get_model(label)
    job = model._default_manager.filter(pk=job_id).select_related("requested_by").first()
    if job is None or not _claim(job):  # purged, expired, or already taken
        return
    on_behalf_of(job.requested_by)  # the job's entries: made by the worker, for the requester
    try:
        subject = job.subject()
        if subject is None:
            _finish(job, JobStatus.FAILED, failure=JobFailure.NO_ACCESS)
            return
        _set_stage(job, JobStage.GATHERING)
        # The worker has no request, hence no language: the job's, as the requester saw it.
        with translation.override(job.language or settings.LANGUAGE_CODE):
            document = render(job, subject)
            title = str(document.title)
            html = pdf.render_html(document.template, document.context, title=title)
        _set_stage(job, JobStage.LAYOUT)
        laid_out = pdf.lay_out(html, title=title)
        _set_stage(job, JobStage.WRITING)
        content = pdf.write(laid_out)
        if document.append:
            content = concatenate(content, document.append)
        if document.password:
            content = pdf.protect(content, document.password)
    except Exception as exc:
        _fail(job, exc)
        raise DocumentFailed(f"{label} {job.pk} failed") from None
    job.pdf = content
    job.size = len(content)
    try:
        _finish(job, JobStatus.DONE, extra_fields=["pdf", "size"])
    except DatabaseError as exc:
        # The database refused the PDF (its disk is full): nothing of it was stored, the
        # transaction rolled back. Failed, not left running, and never ready without its PDF.
        job.pdf, job.size = None, None
        _fail(job, exc)
        raise DocumentFailed(f"{label} {job.pk} could not be stored") from None


def concatenate(first: bytes, others: list[bytes]) -> bytes:
    """``first`` with the pages of each of ``others`` after it, and the neutral metadata of
    ``first`` only (the appended files' own information is not carried over)."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(first)))
    for other in others:
        for page in PdfReader(io.BytesIO(other)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _claim(job: DocumentJob) -> bool:
    """Move the job from queued to running, unless something else already has (or it has
    expired while it waited)."""
    with transaction.atomic():
        claimed = (
            type(job)
            ._default_manager.filter(
                pk=job.pk, status=JobStatus.QUEUED, expires_at__gt=timezone.now()
            )
            .update(status=JobStatus.RUNNING)
        )
    job.status = JobStatus.RUNNING
    return claimed == 1


def _set_stage(job: DocumentJob, stage: JobStage) -> None:
    """Record the stage that starts now (progress is not audited, so an update suffices)."""
    job.stage, job.progress = stage, PROGRESS[stage]
    with transaction.atomic():
        type(job)._default_manager.filter(pk=job.pk).update(stage=job.stage, progress=job.progress)


def _finish(
    job: DocumentJob,
    status: JobStatus,
    *,
    failure: str = "",
    extra_fields: list[str] | None = None,
) -> None:
    done = status == JobStatus.DONE
    job.status = status
    job.stage = JobStage.DONE if done else JobStage.FAILED
    job.progress = 100 if done else job.progress
    job.failure = failure
    job.finished_at = timezone.now()
    fields = ["status", "stage", "progress", "failure", "finished_at", *(extra_fields or [])]
    with transaction.atomic():
        job.save(update_fields=fields)


def _fail(job: DocumentJob, exc: BaseException) -> None:
    """Mark the job failed with the fixed, generic message. The log gets the exception's
    type and where it was raised, never its message: messages can quote content."""
    where: Any = traceback.extract_tb(exc.__traceback__)
    frames = " <- ".join(f"{f.filename}:{f.lineno}" for f in reversed(where))
    logger.error(
        "Document job %s %s failed: %s at %s",
        job._meta.label_lower,
        job.pk,
        type(exc).__name__,
        frames,
    )
    _finish(job, JobStatus.FAILED, failure=JobFailure.ERROR)
