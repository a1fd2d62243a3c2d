"""A job's progress page (polled by htmx), its download, 重新发起, and 我的任务."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from reviews.downloads import file_attachment_response
from reviews.jobs import selectors, services
from reviews.jobs.models import JobStatus
from reviews.jobs.registry import kind_of
from reviews.scope import ensure_may_write


@login_required
@require_GET
@never_cache
def job_detail(request: HttpRequest, job_id) -> HttpResponse:
    job = selectors.job_visible_or_404(request.user, job_id)
    state = selectors.job_state(job)
    job_kind = kind_of(job.kind)
    context = {
        "state": state,
        "job": job,
        "retry_url": job_kind.retry_url(job) if job_kind and job_kind.retry_url else "",
        "back_url": job_kind.back_url(job) if job_kind and job_kind.back_url else "",
        "back_label": job_kind.back_label if job_kind else "",
    }
    template = "reviews/jobs/_progress.html" if request.htmx else "reviews/jobs/detail.html"
    return render(request, template, context)


@login_required
@require_GET
def job_download(request: HttpRequest, job_id) -> HttpResponse:
    job = selectors.job_visible_or_404(request.user, job_id)
    if job.status != JobStatus.DONE or not job.result:
        raise Http404
    try:
        handle = job.result.open("rb")
    except OSError as error:
        raise Http404 from error
    return file_attachment_response(job.result_name, job.result_type, handle)


@login_required
@require_POST
def job_retry(request: HttpRequest, job_id) -> HttpResponse:
    job = selectors.job_visible_or_404(request.user, job_id)
    ensure_may_write(request.user)
    if job.status != JobStatus.FAILED:
        return redirect("jobs:detail", job.pk)
    job_kind = kind_of(job.kind)
    if job_kind is not None and job_kind.retry_url:
        return redirect(job_kind.retry_url(job))
    again = services.job_retry(job=job, actor=request.user)
    return redirect("jobs:detail", again.pk)


@login_required
@require_GET
@never_cache
def my_jobs(request: HttpRequest) -> HttpResponse:
    jobs = selectors.recent_jobs(request.user)
    return render(request, "reviews/jobs/mine.html", {"states": [selectors.job_state(job) for job in jobs]})
