"""Reading jobs: who may see one, and its state (the progress file while it runs)."""

from dataclasses import dataclass

from django.http import Http404
from django.utils.translation import gettext as _

from reviews.jobs.models import Job, JobStatus
from reviews.jobs.progress import progress_read
from reviews.jobs.registry import kind_of
from reviews.scope import can_manage, is_county_level

RECENT_JOBS = 30


def job_visible_or_404(user, job_id) -> Job:
    """Its creator, a superuser, or county-level staff over its organisation; anyone else gets a 404."""
    job = Job.objects.select_related("organisation").filter(pk=job_id).first()
    if job is not None and user.is_authenticated:
        if job.created_by_id == user.pk or user.is_superuser:
            return job
        if user.is_staff and is_county_level(user) and can_manage(user, job.organisation):
            return job
    raise Http404(_("Not found, or outside your scope."))


def job_title(job: Job) -> str:
    job_kind = kind_of(job.kind)
    return str(job_kind.title) if job_kind else job.kind


@dataclass(frozen=True)
class JobState:
    job: Job
    title: str
    status: str
    done: int
    total: int
    phase: str
    # Done, of a kind whose result is a page: the button to it instead of the download.
    result_url: str = ""
    result_label: str = ""

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        return min(100, int(self.done * 100 / self.total)) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


def job_state(job: Job) -> JobState:
    done, total, phase = job.done, job.total, job.phase
    if job.status == JobStatus.RUNNING:
        current = progress_read(job.pk)
        if current:
            done, total, phase = current.get("done", 0), current.get("total", 0), current.get("phase", "")
    if not phase:
        phase = _phase_line(job, done, total)
    result_url = result_label = ""
    job_kind = kind_of(job.kind)
    if job.status == JobStatus.DONE and job.result and job_kind is not None and job_kind.result_url:
        result_url = job_kind.result_url(job)
        result_label = str(job_kind.result_label or _("Open the result"))
    return JobState(
        job=job,
        title=job_title(job),
        status=job.status,
        done=done,
        total=total,
        phase=phase,
        result_url=result_url,
        result_label=result_label,
    )


def _phase_line(job: Job, done: int, total: int) -> str:
    if job.status == JobStatus.QUEUED:
        return _("Waiting for a worker…")
    job_kind = kind_of(job.kind)
    if job_kind is not None and job_kind.phase and total:
        return str(job_kind.phase) % {"done": f"{done:,}", "total": f"{total:,}"}
    if job.status == JobStatus.RUNNING:
        return _("Working…")
    return ""


def recent_jobs(user) -> list[Job]:
    return list(Job.objects.filter(created_by=user).order_by("-created_at")[:RECENT_JOBS])
