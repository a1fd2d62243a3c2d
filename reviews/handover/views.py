"""Hand-over after a session (问题交办): per organisation, review the problems and issue the notice.

Staff of the session's host (or above it) hand over; the reporting organisation's own staff do not hand
over their own problems (a township's staff see the county session as if it did not exist). A notice, on
screen and as PDF, is read by the host's staff, the organisation's staff and the organisation's secretary
(or anyone an item names responsible); anyone else gets a 404.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from reviews.cycles.models import Report, Session
from reviews.downloads import pdf_inline_response
from reviews.findings.models import Finding
from reviews.handover import documents as documents_rectification
from reviews.handover import services as handover_services
from reviews.handover.forms import FindingRowFormSet, NewProblemRowFormSet, NoticeForm
from reviews.handover.services import ItemDraft
from reviews.orgs.models import Appointment, Organisation, Person, secretary_on
from reviews.rectification import services as rectification_services
from reviews.rectification.models import ProblemCategory, RectificationItem, RectificationNotice
from reviews.rectification.services import RectificationError
from reviews.scope import can_manage, get_visible_or_404

NEW_PROBLEM_ROWS = 2


def _session_or_404(request: HttpRequest, session_id: int) -> Session:
    """A session whose host the user manages as staff; otherwise as if it did not exist."""
    if not request.user.is_staff:
        raise Http404
    return get_visible_or_404(
        Session.objects.select_related("cycle", "host"), request.user, via="host", pk=session_id
    )


def _secretaries(reports: list[Report], day: datetime.date) -> dict[int, Person]:
    """Each report's secretary by organisation id: the report's own, else the one in post on `day`."""
    people = {r.organisation_id: r.secretary for r in reports if r.secretary_id}
    open_orgs = [r.organisation_id for r in reports if not r.secretary_id]
    if open_orgs:
        appointments = (
            Appointment.objects.secretaries()
            .on(day)
            .filter(organisation_id__in=open_orgs)
            .select_related("person")
            .order_by("organisation_id", "-start_date")
        )
        for appointment in appointments:
            people.setdefault(appointment.organisation_id, appointment.person)
    return people


# ---------------------------------------------------------------------------------------------------
# The session: one row per reporting organisation


@login_required
@require_GET
def session_overview(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(request, session_id)
    reports = list(session.reports.select_related("organisation", "secretary").order_by("order"))
    org_ids = [r.organisation_id for r in reports]
    secretaries = _secretaries(reports, rectification_services.today())
    # The same problems as services_rectification.handover_findings, counted for all organisations at once.
    pending = dict(
        Finding.objects.filter(
            cycle_id=session.cycle_id, organisation_id__in=org_ids, rectification_item__isnull=True
        )
        .order_by()
        .values_list("organisation_id")
        .annotate(n=Count("pk"))
    )
    notices: dict[int, list[RectificationNotice]] = defaultdict(list)
    for notice in (
        RectificationNotice.objects.filter(session=session)
        .annotate(item_count=Count("items"))
        .order_by("number")
    ):
        notices[notice.organisation_id].append(notice)
    rows = [
        {
            "report": report,
            "secretary": secretaries.get(report.organisation_id),
            "pending": pending.get(report.organisation_id, 0),
            "notices": notices.get(report.organisation_id, []),
        }
        for report in reports
    ]
    context = {
        "session": session,
        "rows": rows,
        "pending_total": sum(pending.values()),
        "notice_total": sum(len(n) for n in notices.values()),
    }
    return render(request, "reviews/handover/session.html", context)


# ---------------------------------------------------------------------------------------------------
# One organisation: review the problems and issue the notice


def _finding_initial(finding: Finding, responsible: str, deadline: datetime.date) -> dict:
    return {
        "include": True,
        "finding": finding.pk,
        "problem": finding.description,
        "responsible": responsible,
        "deadline": deadline,
    }


def _show_findings(rows, session: Session, organisation: Organisation) -> None:
    """Attach to each posted row the finding it names, if it is one of the organisation's in this cycle.

    A row naming anything else (another organisation's problem, a tampered id) shows no text: the service
    refuses it with its own message.
    """
    ids = {row.finding_pk for row in rows if row.finding_pk}
    found = {
        f.pk: f
        for f in Finding.objects.filter(pk__in=ids, organisation=organisation, cycle_id=session.cycle_id)
    }
    for row in rows:
        row.record = found.get(row.finding_pk)


def _drafts(found, new, *, categories: dict, secretary: Person | None) -> list[tuple[object, ItemDraft]]:
    """(row, ItemDraft) for every row to hand over, in page order (the notice's item numbers)."""

    def common(data) -> dict:
        responsible = data["responsible"].strip()
        return {
            "problem": data["problem"],
            "measures": data["measures"],
            "responsible": responsible,
            "deadline": data["deadline"],
            "category": categories.get(data["category"]) if data["category"] != "" else None,
            # The default name is the secretary's: the item then reaches the secretary's own pages.
            "responsible_person": secretary if secretary and responsible == secretary.name else None,
            "commit_analyse": data["commit_analyse"],
            "commit_correct": data["commit_correct"],
            "commit_establish": data["commit_establish"],
        }

    drafts = []
    for row in found.forms:
        if row.included():
            finding = row.record or Finding(pk=row.cleaned_data["finding"])
            drafts.append((row, ItemDraft(finding=finding, **common(row.cleaned_data))))
    for row in new.forms:
        if row.included():
            drafts.append((row, ItemDraft(source=row.cleaned_data["source"], **common(row.cleaned_data))))
    return drafts


def _flag_rows(error: RectificationError, drafts) -> None:
    """Show a refusal of the service beside the rows it is about, as well as above the form."""
    finding_rows = [(row, draft.finding.pk) for row, draft in drafts if draft.finding is not None]
    if error.code == "already_issued":
        taken = set(
            RectificationItem.objects.filter(finding_id__in=[pk for _row, pk in finding_rows]).values_list(
                "finding_id", flat=True
            )
        )
        for row, pk in finding_rows:
            if pk in taken:
                row.add_error(None, _("This problem has already been handed over on another notice."))
    elif error.code == "foreign_finding":
        for row, _pk in finding_rows:
            if row.record is None:
                row.add_error(None, _("This problem is not one of this organisation's in this cycle."))
    elif error.code == "duplicate":
        seen: set[int] = set()
        for row, pk in finding_rows:
            if pk in seen:
                row.add_error(None, _("This problem is listed twice."))
            seen.add(pk)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_handover(request: HttpRequest, session_id: int, org_id: int) -> HttpResponse:
    session = _session_or_404(request, session_id)
    report = (
        session.reports.select_related("organisation", "secretary").filter(organisation_id=org_id).first()
    )
    if report is None:
        raise Http404
    organisation = report.organisation
    day = rectification_services.today()
    secretary = report.secretary or secretary_on(organisation, day)
    default_responsible = secretary.name if secretary else ""
    categories = {c.pk: c for c in ProblemCategory.objects.all()}
    kwargs = {"categories": [(pk, c.name) for pk, c in categories.items()]}
    error_message = ""
    refused = False  # by the service: the problems may have changed meanwhile
    status = 200

    if request.method == "POST":
        header = NoticeForm(request.POST)
        kwargs["issued_on"] = header.cleaned_data["issued_on"] if header.is_valid() else None
        found = FindingRowFormSet(request.POST, prefix="f", form_kwargs=kwargs)
        new = NewProblemRowFormSet(request.POST, prefix="x", form_kwargs=kwargs)
        valid = [header.is_valid(), found.is_valid(), new.is_valid()]
        if found.management_form.is_valid():
            _show_findings(found.forms, session, organisation)
        if all(valid):
            drafts = _drafts(found, new, categories=categories, secretary=secretary)
            try:
                notice = handover_services.notice_issue(
                    actor=request.user,
                    session=session,
                    organisation=organisation,
                    items=[draft for _row, draft in drafts],
                    issuer=header.cleaned_data["issuer"],
                    issued_on=header.cleaned_data["issued_on"],
                )
            except RectificationError as error:
                error_message, refused = error.message, True
                _flag_rows(error, drafts)
            else:
                messages.success(
                    request,
                    _("Notice %(reference)s issued to %(organisation)s: %(count)s items handed over.")
                    % {
                        "reference": notice.reference,
                        "organisation": organisation.name,
                        "count": len(drafts),
                    },
                )
                return redirect("handover:notice", notice.pk)
        else:
            error_message = _("Some entries need correcting (see the marked rows); nothing has been issued.")
        status = 400
    else:
        deadline = handover_services.default_deadline(day)
        header = NoticeForm(initial={"issuer": handover_services.default_issuer(session), "issued_on": day})
        pending = list(handover_services.handover_findings(session, organisation))
        found = FindingRowFormSet(
            prefix="f",
            initial=[_finding_initial(f, default_responsible, deadline) for f in pending],
            form_kwargs=kwargs,
        )
        for row, finding in zip(found.forms, pending, strict=True):
            row.record = finding
        new = NewProblemRowFormSet(
            prefix="x",
            initial=[{"responsible": default_responsible, "deadline": deadline}] * NEW_PROBLEM_ROWS,
            form_kwargs=kwargs,
        )

    context = {
        "session": session,
        "report": report,
        "organisation": organisation,
        "secretary": secretary,
        "header": header,
        "found": found,
        "new": new,
        "error_message": error_message,
        "refused": refused,
        "notices": list(
            RectificationNotice.objects.filter(session=session, organisation=organisation)
            .annotate(item_count=Count("items"))
            .order_by("number")
        ),
    }
    return render(request, "reviews/handover/organisation.html", context, status=status)


# ---------------------------------------------------------------------------------------------------
# The notice, on screen and as PDF


def can_read_notice(user, notice: RectificationNotice) -> bool:
    """Staff of the host or of the organisation; the organisation's secretary or a person responsible.

    The same people as services_rectification.can_read on any of the notice's items, asked once.
    """
    if not user.is_authenticated:
        return False
    if user.is_staff and (can_manage(user, notice.session.host) or can_manage(user, notice.organisation)):
        return True
    secretary = secretary_on(notice.organisation, rectification_services.today())
    if secretary is not None and secretary.user_id == user.pk:
        return True
    return notice.items.filter(responsible_person__user=user).exists()


def _notice_or_404(request: HttpRequest, notice_id: int) -> RectificationNotice:
    notice = (
        RectificationNotice.objects.select_related(
            "session__host", "session__cycle", "organisation", "issued_by"
        )
        .filter(pk=notice_id)
        .first()
    )
    if notice is None or not can_read_notice(request.user, notice):
        raise Http404
    return notice


@login_required
@require_GET
def notice_detail(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = _notice_or_404(request, notice_id)
    items = list(notice.items.select_related("category").order_by("number"))
    is_host_staff = request.user.is_staff and can_manage(request.user, notice.session.host)
    context = {
        "notice": notice,
        "session": notice.session,
        "items": items,
        "commitments": [i for i in items if i.commit_analyse or i.commit_correct or i.commit_establish],
        "is_host_staff": is_host_staff,
    }
    return render(request, "reviews/handover/notice.html", context)


def _filename(notice: RectificationNotice, what: str) -> str:
    return f"{notice.organisation.name}-{what}-{notice.issued_on.year}-{notice.number}.pdf"


@login_required
@require_GET
def notice_pdf(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = _notice_or_404(request, notice_id)
    return pdf_inline_response(
        documents_rectification.notice_pdf(notice), _filename(notice, _("Rectification notice"))
    )


@login_required
@require_GET
def problems_pdf(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = _notice_or_404(request, notice_id)
    return pdf_inline_response(
        documents_rectification.problem_list_pdf(notice), _filename(notice, _("List of problems"))
    )


@login_required
@require_GET
def session_pdf(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(request, session_id)
    if not RectificationNotice.objects.filter(session=session).exists():
        raise Http404(_("No notice has been issued in this session yet."))
    what = _("Rectification notices")
    return pdf_inline_response(
        documents_rectification.session_notices_pdf(session), f"{session.title}-{what}.pdf"
    )
