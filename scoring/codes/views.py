"""Staff pages for scoring codes: issue (the slips PDF), list, revoke."""

import logging

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
from scoring.codes import documents, services
from scoring.codes.forms import IssueCodesForm
from scoring.codes.models import Credential
from scoring.errors import ScoringError
from scoring.exports import PDF
from scoring.preflight import services as preflight_services
from scoring.schemes.models import EvaluatorGroup, Scheme
from scoring.staff import no_scheme, scheme_of, session_in_scope

CODES_PER_PAGE = 200

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------------
# 3. Codes


def _codes_page(request: HttpRequest, session: Session, scheme: Scheme, form: IssueCodesForm) -> HttpResponse:
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
    }
    return render(request, "scoring/codes/codes.html", context)


@staff_required
@require_GET
def codes(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    scheme = scheme_of(session)
    if scheme is None:
        return no_scheme(request, session)
    return _codes_page(request, session, scheme, IssueCodesForm(scheme=scheme))


@staff_required
@require_POST
@never_cache
def codes_issue(request: HttpRequest, session_id: int) -> HttpResponse:
    """Issue codes and answer with their slips: the only time the codes exist outside the hashes."""
    session = session_in_scope(request, session_id)
    scheme = scheme_of(session)
    if scheme is None:
        return no_scheme(request, session)
    form = IssueCodesForm(request.POST, scheme=scheme)
    if not form.is_valid():
        return _codes_page(request, session, scheme, form)
    group = form.cleaned_data["group"]
    try:
        issued = services.credentials_issue(
            actor=request.user,
            session=session,
            group=group,
            count=form.cleaned_data["count"] or 0,
            names=form.cleaned_data["names"],
        )
    except ScoringError as error:
        messages.error(request, error.message)
        return redirect("scoring:codes", session.pk)
    # Rendered after the codes are committed: a long render must not hold the database (SQLite would
    # turn delegates' submits away). Slips that cannot be printed must not leave live codes behind.
    try:
        pdf = documents.code_slips_pdf(session, issued)
    except Exception:
        logger.exception("code slips of session %s could not be rendered", session.pk)
        _revoke_unprinted(request, session, issued)
        messages.error(
            request,
            _(
                "The slips could not be printed, so the %(count)s codes just issued have been revoked. "
                "Try again."
            )
            % {"count": len(issued)},
        )
        return redirect("scoring:codes", session.pk)
    preflight_services.document_printed(
        actor=request.user, session=session, document=preflight_services.SLIPS, group=group, count=len(issued)
    )
    filename = _("Scoring codes %(group)s No. %(first)s-%(last)s.pdf") % {
        "group": group.name,
        "first": issued[0].serial,
        "last": issued[-1].serial,
    }
    return attachment_response(filename, PDF, pdf)


def _revoke_unprinted(request: HttpRequest, session: Session, issued: list[services.IssuedCode]) -> None:
    serials = [code.serial for code in issued]
    for credential in Credential.objects.filter(session=session, serial__in=serials).select_related(
        "session__host"
    ):
        services.credential_revoke(actor=request.user, credential=credential)


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
