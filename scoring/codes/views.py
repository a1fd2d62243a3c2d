"""Staff pages for scoring codes: issue (the slips PDF as a background job, or a CSV), list, revoke."""

import csv
import io
import secrets

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from reviews.cycles.models import Session
from reviews.downloads import attachment_response
from reviews.scope import get_visible_or_404, staff_required
from reviews.spreadsheets import csv_cell
from scoring.codes import services, tokens
from scoring.codes.documents import vote_url
from scoring.codes.forms import IssueCodesForm
from scoring.codes.models import BatchStatus, Credential, IssueBatch
from scoring.errors import ScoringError
from scoring.schemes.models import EvaluatorGroup, Scheme
from scoring.staff import no_scheme, scheme_of, session_in_scope

CODES_PER_PAGE = 200


# ---------------------------------------------------------------------------------------------------
# 3. Codes


DOWNLOAD_COOKIE = "sz_codes_download"


def _fresh_form(scheme: Scheme) -> IssueCodesForm:
    """An empty issuing form with its own key: one form, one batch of codes."""
    return IssueCodesForm(
        scheme=scheme, initial={"issue_key": tokens.new_issue_key(), "download": secrets.token_hex(8)}
    )


def _codes_page(
    request: HttpRequest, session: Session, scheme: Scheme, form: IssueCodesForm, over: int = 0
) -> HttpResponse:
    credentials = Credential.objects.filter(session=session).select_related("group").order_by("serial")
    page = Paginator(credentials, CODES_PER_PAGE).get_page(request.GET.get("page"))
    counts = EvaluatorGroup.objects.filter(scheme=scheme).annotate(
        total=Count("credentials"),
        used=Count("credentials", filter=Q(credentials__used=True)),
        revoked=Count("credentials", filter=Q(credentials__revoked=True)),
    )
    context = {
        "session": session,
        "scheme": scheme,
        "tab": "codes",
        "page": page,
        "group_counts": [
            {
                "group": g,
                "total": g.total,
                "used": g.used,
                "revoked": g.revoked,
                "unused": g.total - g.used - g.revoked,
            }
            for g in counts
        ],
        "form": form,
        "over": over,
        "batches": IssueBatch.objects.filter(session=session)
        .select_related("group")
        .order_by("-first_serial"),
    }
    return render(request, "scoring/codes/codes.html", context)


@staff_required
@require_GET
@never_cache  # the form's issue key must not come back from a cache
def codes(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    scheme = scheme_of(session)
    if scheme is None:
        return no_scheme(request, session)
    return _codes_page(request, session, scheme, _fresh_form(scheme))


@staff_required
@require_POST
@never_cache
def codes_issue(request: HttpRequest, session_id: int) -> HttpResponse:
    """Issue codes: as slips, a job prints them (the codes live once printed); as a list, at once."""
    session = session_in_scope(request, session_id)
    scheme = scheme_of(session)
    if scheme is None:
        return no_scheme(request, session)
    form = IssueCodesForm(request.POST, scheme=scheme)
    if not form.is_valid():
        return _codes_page(request, session, scheme, form)
    data = form.cleaned_data
    group, key = data["group"], data["issue_key"] or tokens.new_issue_key()
    count = len(data["names"]) or data["count"] or 0
    batch = services.issue_batch_for(session=session, issue_key=key)
    if batch is None and not data["confirm_over"]:
        over = services.codes_beyond_expected(group=group, count=count)
        if over:
            return _codes_page(request, session, scheme, form, over=over)
    try:
        if request.POST.get("format") == "csv":
            return _issue_csv(request, form, session, batch, key)
        batch = services.slips_issue_start(
            actor=request.user, session=session, group=group, count=count, names=data["names"], issue_key=key
        )
    except ScoringError as error:
        messages.error(request, error.message)
        return redirect("scoring:codes", session.pk)
    if batch.job_id is None:
        return redirect("scoring:codes", session.pk)
    return redirect("jobs:detail", batch.job_id)


def _issue_csv(
    request: HttpRequest, form: IssueCodesForm, session: Session, batch: IssueBatch | None, key: str
) -> HttpResponse:
    """The list of a form's codes: issued at once (no slips to wait for), or the same batch again."""
    data = form.cleaned_data
    if batch is not None and batch.status == BatchStatus.RENDERING and batch.job_id:
        return redirect("jobs:detail", batch.job_id)
    if batch is not None and batch.status == BatchStatus.FAILED:
        raise ScoringError(services.failed_form_message(), code="failed")
    issued = services.credentials_issue(
        actor=request.user,
        session=session,
        group=data["group"],
        count=len(data["names"]) or data["count"] or 0,
        names=data["names"],
        issue_key=key,
    )
    return _downloaded(form, _codes_csv(issued[0].group, issued))


def _downloaded(form: IssueCodesForm, response: HttpResponse) -> HttpResponse:
    """Tell the page (codes.js) that its download has arrived: it then shows the new counts."""
    token = form.cleaned_data.get("download") or ""
    if token.isalnum():
        response.set_cookie(DOWNLOAD_COOKIE, token, max_age=120, samesite="Strict")
    return response


def _codes_csv(group: EvaluatorGroup, issued: list[services.IssuedCode]) -> HttpResponse:
    """The codes just issued as CSV (slip number, typeable code, QR address, delegate): for mail merge."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Slip number"), _("Code"), _("QR address"), _("Delegate"), _("Evaluator group")])
    for code in issued:
        writer.writerow(
            [
                f"{code.serial:04d}",
                code.short_display,
                vote_url(code.token),
                csv_cell(code.delegate_name),
                csv_cell(group.name),
            ]
        )
    filename = _("Scoring codes %(group)s No. %(first)s-%(last)s.csv") % {
        "group": group.name,
        "first": issued[0].serial,
        "last": issued[-1].serial,
    }
    # A BOM so that Excel opens the Chinese names as UTF-8.
    return attachment_response(filename, "text/csv; charset=utf-8", ("\ufeff" + buffer.getvalue()).encode())


@staff_required
@require_POST
def code_revoke(request: HttpRequest, session_id: int, credential_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    credential = get_visible_or_404(
        Credential.objects.select_related("session__host"),
        request.user,
        via="session__host",
        pk=credential_id,
        session=session,
    )
    try:
        services.credential_revoke(actor=request.user, credential=credential)
    except ScoringError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Code No. %(serial)s has been revoked.") % {"serial": credential.serial})
    url = reverse("scoring:codes", args=[session.pk])
    page = request.POST.get("page", "")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@staff_required
@require_POST
def codes_revoke_unused(request: HttpRequest, session_id: int) -> HttpResponse:
    """Revoke every unused code of a group (group=<id>) or of one issue (batch=<id>) at once."""
    session = session_in_scope(request, session_id)
    scheme = scheme_of(session)
    if scheme is None:
        return no_scheme(request, session)
    group = EvaluatorGroup.objects.filter(scheme=scheme, pk=_int(request.POST.get("group"))).first()
    batch = (
        IssueBatch.objects.filter(session=session, pk=_int(request.POST.get("batch")))
        .select_related("group")
        .first()
    )
    try:
        revoked = services.credentials_revoke_unused(
            actor=request.user, session=session, group=group, batch=batch
        )
    except ScoringError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(count)s unused codes have been revoked.") % {"count": revoked})
    return redirect("scoring:codes", session.pk)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
