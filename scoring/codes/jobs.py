"""The slips PDF as a background job (后台任务): the codes become live only once their slips exist.

The issuing view reserves a batch (status rendering) and starts a job whose parameters carry the form's
key until it ends. The job draws and renders the slips with progress ("已生成 120 / 300 张"), in pieces
written into the job's file, and only then creates the batch's codes and marks it ready, in one
transaction (services.slips_ready). A render that raises (in any piece), or a
worker that dies and is not brought back (reviews/jobs: requeued once, then failed), ends in
services.slips_failed: the batch is failed and none of its codes exist, so the quorum's denominator never
counts unprinted codes.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reviews.jobs.registry import JobRefused, register
from scoring.codes import documents, services
from scoring.codes.models import BatchStatus, IssueBatch
from scoring.errors import ScoringError
from scoring.exports import PDF


def slips_render(job, progress, out):
    batch = (
        IssueBatch.objects.select_related("session__host", "group").filter(pk=job.params.get("batch")).first()
    )
    key = job.params.get("issue_key") or ""
    reprint = bool(job.params.get("reprint"))
    wanted = BatchStatus.READY if reprint else BatchStatus.RENDERING
    if batch is None or not key or batch.status != wanted:
        raise JobRefused(_("These slips are no longer wanted: their issue was cancelled."))
    issued = services.batch_codes(batch, key)
    # Written into the job's file, piece by piece (documents.SLIPS_PER_RENDER): never held whole in memory.
    documents.code_slips_pdf(batch.session, issued, out=out, progress=progress)
    if not reprint:
        try:
            services.slips_ready(batch_id=batch.pk, job=job, issued=issued)
        except ScoringError as error:
            raise JobRefused(error.message) from error
    filename = _("Scoring codes %(group)s No. %(first)s-%(last)s.pdf") % {
        "group": batch.group.name,
        "first": batch.first_serial,
        "last": batch.last_serial,
    }
    return filename, PDF, None


def codes_page(job) -> str:
    return reverse("scoring:codes", args=[job.params.get("session")])


register(
    services.SLIPS_JOB,
    gettext_lazy("Scoring code slips"),
    slips_render,
    phase=gettext_lazy("Generated %(done)s / %(total)s slips"),
    on_failed=services.slips_failed,
    retry_url=codes_page,
    back_url=codes_page,
    back_label=gettext_lazy("Back to the scoring codes"),
)
