"""The rectification ledger (整改台账) as a background job: a province's ledger has 450,000 rows."""

from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reviews.cycles.models import Cycle, Session
from reviews.handover import documents as documents_handover
from reviews.jobs.registry import JobRefused, job_cycle, register
from reviews.rectification import exports
from reviews.rectification import services as services_rectification
from reviews.rectification.forms import ItemFilterForm
from reviews.rectification.models import RectificationItem, RectificationNotice
from reviews.scope import restrict

LEDGER = "rectification.ledger"
NOTICES = "rectification.notices"
# One PDF is joined in memory (~15 KB a notice): a county's notices at most; a province exports by county.
NOTICES_PER_JOB = 5000


def filtered(user, cycle: Cycle, data: QueryDict):
    """(the filter form, the cycle's items in the user's scope without the status filter, today)."""
    today = services_rectification.today()
    in_scope = restrict(RectificationItem.objects.filter(cycle=cycle), user, via="organisation")
    notices = restrict(RectificationNotice.objects.filter(session__cycle=cycle), user, via="organisation")
    sessions = Session.objects.filter(cycle=cycle, pk__in=notices.values("session_id"))
    form = ItemFilterForm(data, cycle=cycle, sessions=sessions)
    return form, in_scope, today


def ledger_export(job, progress, out):
    cycle = job_cycle(job)
    form, in_scope, today = filtered(job.created_by, cycle, QueryDict(job.params.get("query", "")))
    items = exports.ordered(form.apply(in_scope, today), today)
    lines = exports.ledger_title_lines(cycle, form.description(), today)
    exports.ledger_workbook(items, lines, today, out=out, progress=progress)
    return exports.ledger_filename(cycle, today), exports.XLSX, None


def items_page(job) -> str:
    query = job.params.get("query", "")
    return reverse("rectification:cycle", args=[job.params.get("cycle")]) + (f"?{query}" if query else "")


register(
    LEDGER,
    gettext_lazy("Rectification ledger"),
    ledger_export,
    phase=gettext_lazy("Written %(done)s / %(total)s rows"),
    retry_url=items_page,
    back_url=items_page,
    back_label=gettext_lazy("Back to the rectification items"),
)


def notices_in_scope(user, cycle: Cycle):
    return restrict(RectificationNotice.objects.filter(session__cycle=cycle), user, via="organisation")


def notices_refusal(count: int) -> str:
    """Why these notices cannot be one PDF, or "" when they can."""
    if not count:
        return _("No notice has been issued in this cycle yet.")
    if count > NOTICES_PER_JOB:
        return _(
            "%(count)s notices are more than one PDF may hold (%(limit)s); the departments below export "
            "their own."
        ) % {"count": f"{count:,}", "limit": f"{NOTICES_PER_JOB:,}"}
    return ""


def notices_export(job, progress, out):
    cycle = job_cycle(job)
    notices = notices_in_scope(job.created_by, cycle)
    refusal = notices_refusal(notices.count())
    if refusal:
        raise JobRefused(refusal)
    documents_handover.cycle_notices_pdf(cycle, notices=notices, out=out, progress=progress)
    filename = _("%(cycle)s rectification notices.pdf") % {"cycle": cycle.name}
    return filename, "application/pdf", None


register(
    NOTICES,
    gettext_lazy("All rectification notices (PDF)"),
    notices_export,
    phase=gettext_lazy("Rendered %(done)s / %(total)s notices"),
    retry_url=items_page,
    back_url=items_page,
    back_label=gettext_lazy("Back to the rectification items"),
)
