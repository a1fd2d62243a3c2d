"""Starting, running, failing, recovering and cleaning up background jobs."""

import datetime
import logging
import tempfile
from functools import partial

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reviews.audit import services as audit
from reviews.jobs.models import Job, JobStatus, WorkerHeartbeat
from reviews.jobs.progress import Reporter, progress_read, progress_remove
from reviews.jobs.registry import JobRefused, kind_of
from reviews.orgs.models import Organisation

logger = logging.getLogger(__name__)

# A job interrupted this many times (its worker died each time) is failed rather than queued again.
MAX_ATTEMPTS = 2


def stale_message() -> str:
    return _("The job was interrupted by a restart of the service. Please start it again.")


def general_failure_message() -> str:
    return _(
        "The job could not be finished. Please start it again; if it fails again, tell the administrator."
    )


def job_start(*, kind: str, actor, organisation: Organisation | None, params: dict | None = None) -> Job:
    """Create the job and queue it once the caller's transaction commits (a worker then runs it)."""
    if kind_of(kind) is None:
        raise ValueError(f"unknown job kind {kind!r}")
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            created_by=actor if actor is not None and actor.is_authenticated else None,
            organisation=organisation,
            params=params or {},
        )
        audit.record(
            actor=actor, action="job.start", obj=job, organisation=organisation, changes={"kind": kind}
        )
        transaction.on_commit(partial(_enqueue, job.pk))
    return job


def _enqueue(job_id) -> None:
    from reviews.jobs.tasks import job_execute

    result = job_execute.enqueue(str(job_id))
    Job.objects.filter(pk=job_id).update(task_id=str(result.id)[:64])


def job_run(*, job_id) -> None:
    """Run a queued job (the worker's task): claim it, call its runner, keep its file or fail it."""
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != JobStatus.QUEUED:
            return  # finished, or claimed by another worker
        job.status = JobStatus.RUNNING
        job.started_at = job.heartbeat_at = now
        job.attempts += 1
        job.done = job.total = 0
        job.phase = ""
        job.save(update_fields=["status", "started_at", "heartbeat_at", "attempts", "done", "total", "phase"])
    job_kind = kind_of(job.kind)
    if job_kind is None:
        job_fail(job_id=job.pk, message=_("This kind of job is no longer available."))
        return
    reporter = Reporter(job.pk)
    reporter.start()
    stored = ""
    try:
        with tempfile.TemporaryFile() as out:
            filename, content_type, data = job_kind.runner(job, reporter, out)
            if data is None:
                out.seek(0)
                content = File(out, name=filename)
            else:
                content = ContentFile(data, name=filename)
            field = Job._meta.get_field("result")
            stored = field.storage.save(field.generate_filename(job, filename), content)
    except JobRefused as refused:
        _stop(reporter)
        job_fail(job_id=job.pk, message=refused.message)
        return
    except Exception:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        _stop(reporter)
        job_fail(job_id=job.pk, message=general_failure_message())
        return
    _stop(reporter)
    finished = timezone.now()
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts).update(
            status=JobStatus.DONE,
            done=max(reporter.done, reporter.total),
            total=reporter.total,
            phase=reporter.phase[:200],
            result=stored,
            result_name=filename[:200],
            result_type=content_type[:100],
            heartbeat_at=finished,
            finished_at=finished,
        )
    if not updated:  # failed or queued again meanwhile: its file is nobody's
        Job._meta.get_field("result").storage.delete(stored)


def _stop(reporter: Reporter) -> None:
    reporter.stop()
    progress_remove(reporter.job_id)


def job_fail(*, job_id, message: str) -> Job | None:
    """Mark a job failed for good with a message its creator reads; its kind undoes what must not stay."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.finished:
            return job
        job.status = JobStatus.FAILED
        job.error = message
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        job_kind = kind_of(job.kind)
        if job_kind is not None and job_kind.on_failed is not None:
            job_kind.on_failed(job)
        audit.record(
            actor=None,
            action="job.fail",
            obj=job,
            organisation=job.organisation,
            changes={"kind": job.kind, "error": message},
        )
    progress_remove(job.pk)
    return job


def job_retry(*, job: Job, actor) -> Job:
    """重新发起: a new job of the same kind with the same parameters."""
    return job_start(kind=job.kind, actor=actor, organisation=job.organisation, params=job.params)


def last_heard(job: Job) -> datetime.datetime | None:
    """When the job's worker last said it was alive: the progress file's beat, else the database's."""
    heard = job.heartbeat_at
    state = progress_read(job.pk)
    if state and state.get("at"):
        beat = datetime.datetime.fromtimestamp(state["at"], tz=datetime.UTC)
        heard = beat if heard is None or beat > heard else heard
    return heard


def job_recover_stale(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Running jobs whose worker is gone: queued once more, then failed. Returns (requeued, failed)."""
    now = now or timezone.now()
    limit = now - datetime.timedelta(seconds=settings.JOB_STALE_SECONDS)
    requeued = failed = 0
    for job in Job.objects.filter(status=JobStatus.RUNNING).only("pk", "heartbeat_at"):
        heard = last_heard(job)
        if heard is not None and heard > limit:
            continue
        with transaction.atomic():
            job = Job.objects.select_for_update().filter(pk=job.pk, status=JobStatus.RUNNING).first()
            if job is None:
                continue
            _abandon_task(job.task_id, now)
            if job.attempts < MAX_ATTEMPTS:
                job.status = JobStatus.QUEUED
                job.save(update_fields=["status"])
                audit.record(
                    actor=None,
                    action="job.requeue",
                    obj=job,
                    organisation=job.organisation,
                    changes={"kind": job.kind, "attempts": job.attempts},
                )
                transaction.on_commit(partial(_enqueue, job.pk))
                requeued += 1
                continue
        job_fail(job_id=job.pk, message=stale_message())
        failed += 1
    return requeued, failed


def _abandon_task(task_id: str, now: datetime.datetime) -> None:
    """The dead worker's task row would say RUNNING for ever: mark it failed."""
    if not task_id:
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(status="FAILED", finished_at=now)


def jobs_cleanup(*, now: datetime.datetime | None = None) -> int:
    """Delete result files finished more than JOB_RESULT_HOURS ago (the job's row stays). Returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(hours=settings.JOB_RESULT_HOURS)
    deleted = 0
    for job in Job.objects.filter(finished_at__lt=cutoff).exclude(result=""):
        job_result_delete(job=job)
        deleted += 1
    return deleted


def job_result_delete(*, job: Job) -> None:
    """Delete a job's file now (results carrying secrets go as soon as they are no longer needed)."""
    if job.result:
        job.result.storage.delete(job.result.name)
    Job.objects.filter(pk=job.pk).update(result="")
    job.result = ""


def worker_beat(*, worker_id: str, hostname: str, pid: int) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id, defaults={"hostname": hostname[:200], "pid": pid, "seen_at": timezone.now()}
    )
