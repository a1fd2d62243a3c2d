"""The cycle dashboard's Excel export as a background job: a province's workbook takes minutes."""

from django.urls import reverse
from django.utils.translation import gettext_lazy

from reviews.jobs.registry import job_cycle, register
from reviews.rectification import selectors as review_selectors
from reviews.rectification import services as services_rectification
from scoring.dashboard import exports
from scoring.dashboard import selectors as dashboard

DASHBOARD_EXPORT = "dashboard.export"


def dashboard_export(job, progress, out):
    cycle = job_cycle(job)
    user = job.created_by
    parent, roots = dashboard.subtree_roots(user)
    today = services_rectification.today()
    exports.dashboard_workbook(
        cycle=cycle,
        user=user,
        parent=parent,
        roots=roots,
        today=today,
        min_organisations=job.params.get("min") or review_selectors.SHARED_PROBLEM_MIN_ORGANISATIONS,
        progress=progress,
        out=out,
    )
    return exports.filename(cycle, today), exports.XLSX, None


def dashboard_page(job) -> str:
    return reverse("dashboard:cycle", args=[job.params.get("cycle")])


register(
    DASHBOARD_EXPORT,
    gettext_lazy("Cycle dashboard (Excel)"),
    dashboard_export,
    phase=gettext_lazy("Written %(done)s / %(total)s rows"),
    retry_url=dashboard_page,
    back_url=dashboard_page,
    back_label=gettext_lazy("Back to the dashboard"),
)
