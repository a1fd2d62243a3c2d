"""Staff pages for paper ballots (纸质票录入, /manage/paper/…): overview, blind double entry, resolving.

Two staff members type every printed 测评表; ``services.paper_entry_submit`` counts the form when both
entries agree and flags it when they differ; a third staff member settles a mismatch by reading the form
again (``services.paper_resolve``). The entry is blind: no page shows the marks of a single entry. Only
the resolve page shows marks, of both entries, once both are in and differ.

Every object is fetched through ``reviews.scope.get_visible_or_404``; a service's refusal (ScoringError)
is shown on the page with what was typed kept.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from reviews.cycles.models import Session
from reviews.downloads import attachment_response
from reviews.scope import get_visible_or_404, staff_required
from scoring import selectors
from scoring.errors import ScoringError
from scoring.exports import PDF
from scoring.paper import documents, scanning, services
from scoring.paper.forms import MarksGrid, PaperEntryForm, SpoiltForm, grade_options
from scoring.paper.models import (
    PaperBallot,
    PaperEntry,
    PaperStatus,
    ScanBatch,
    ScanBatchStatus,
    ScannedForm,
    ScannedPage,
    ScannedState,
)
from scoring.preflight import services as preflight_services
from scoring.schemes.models import EvaluatorGroup, ModeChoice, Scheme, ScoringStatus
from scoring.staff import no_scheme, scheme_of, session_in_scope

RECENT_ENTRIES = 8
OUTCOME_LEVELS = {
    PaperStatus.WAITING: messages.INFO,
    PaperStatus.COUNTED: messages.SUCCESS,
    PaperStatus.MISMATCH: messages.WARNING,
    PaperStatus.INVALID: messages.SUCCESS,
}
STATUS_BADGES = {
    PaperStatus.WAITING: "text-bg-light border",
    PaperStatus.COUNTED: "text-bg-success",
    PaperStatus.MISMATCH: "text-bg-warning",
    PaperStatus.INVALID: "text-bg-secondary",
}


def _grid(session: Session, scheme: Scheme, **kwargs) -> MarksGrid:
    reports = selectors.session_reports(session)
    return MarksGrid(
        scheme=scheme,
        reports=reports,
        criteria=list(scheme.criteria.all()),
        secretaries=selectors.secretary_names(session, reports),
        **kwargs,
    )


def _clerk_name(user) -> str:
    return user.get_full_name() or user.username


def _not_open_message() -> str:
    # The service's own sentence (services._paper_scheme), so the page and the refusal agree.
    return _("Paper ballots can be entered only while scoring is open.")


# ---------------------------------------------------------------------------------------------------
# 1. Overview: per group, and every form by its number


@dataclass(frozen=True)
class GroupRow:
    """One group's paper forms: issued, and the entered forms by state (counts only, never marks)."""

    group: EvaluatorGroup
    issued: int
    waiting: int  # entered once
    counted: int
    invalid: int  # 废票
    mismatch: int

    @property
    def returned(self) -> int:
        return self.waiting + self.counted + self.invalid + self.mismatch

    @property
    def voided(self) -> bool:
        """The tally voids the group's paper ballots: more were counted (废票 included) than issued."""
        return self.counted + self.invalid > self.issued

    @property
    def over(self) -> bool:
        return self.returned > self.issued


def _group_rows(session: Session) -> list[GroupRow]:
    return [
        GroupRow(
            group=row["group"],
            issued=row["paper_issued"],
            waiting=row["paper_waiting"],
            counted=row["paper"],
            invalid=row["paper_invalid"],
            mismatch=row["paper_mismatch"],
        )
        for row in selectors.turnout(session)
    ]


def _over_issue_warning(row: GroupRow) -> str:
    values = {"group": row.group.name, "returned": row.returned, "issued": row.issued}
    if row.voided:
        return (
            _(
                "%(group)s: %(returned)s paper forms came back but only %(issued)s were issued. "
                "The tally voids every paper ballot of this group."
            )
            % values
        )
    return (
        _(
            "%(group)s: %(returned)s paper forms have been entered but only %(issued)s were issued. "
            "Once they are counted, the tally voids every paper ballot of this group."
        )
        % values
    )


@staff_required
@require_GET
def session_overview(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    scheme = scheme_of(session)
    if scheme is None:
        return no_scheme(request, session)
    groups = _group_rows(session)
    status = request.GET.get("status", "")
    papers = (
        PaperBallot.objects.filter(session=session)
        .select_related("group", "resolved_by", "scan")
        .defer("scan__cells", "scan__corrections")
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=PaperEntry.objects.select_related("clerk").defer("marks", "invalid_reason"),
            )
        )
        .order_by("serial")
    )
    if status in PaperStatus.values:
        papers = papers.filter(status=status)
    pending = sum(row.waiting + row.mismatch for row in groups)
    context = {
        "session": session,
        "scheme": scheme,
        "tab": "paper",
        "groups": groups,
        "warnings": [_over_issue_warning(row) for row in groups if row.over],
        "pending": pending,
        "scanned_waiting": ScannedForm.objects.filter(session=session, state=ScannedState.REVIEW).count(),
        "open": scheme.scoring_status == ScoringStatus.OPEN,
        "closed": scheme.scoring_status == ScoringStatus.CLOSED,
        "papers": [_paper_row(paper) for paper in papers],
        "status": status if status in PaperStatus.values else "",
        "statuses": PaperStatus.choices,
    }
    return render(request, "scoring/paper/session.html", context)


def _paper_row(paper: PaperBallot) -> dict:
    return {
        "paper": paper,
        "badge": STATUS_BADGES[PaperStatus(paper.status)],
        "clerks": [(_clerk_name(entry.clerk), entry.entered_at) for entry in paper.entries.all()],
        "resolved_by": _clerk_name(paper.resolved_by) if paper.resolved_by else "",
    }


# ---------------------------------------------------------------------------------------------------
# 2. Entry


def _initial_group(request: HttpRequest, scheme: Scheme) -> EvaluatorGroup | None:
    """The group of the previous form (clerks type a pile of one group's forms), else the first."""
    groups = list(scheme.groups.all())
    wanted = request.GET.get("group", "")
    return next((g for g in groups if str(g.pk) == wanted), groups[0] if groups else None)


def _outcome(paper: PaperBallot, invalid: bool) -> str:
    serial = {"serial": paper.serial}
    if paper.status == PaperStatus.WAITING and invalid:
        return _("No. %(serial)s: first entry saved as invalid; waiting for the second entry.") % serial
    texts = {
        PaperStatus.WAITING: _("No. %(serial)s: first entry saved; waiting for the second entry."),
        PaperStatus.COUNTED: _("No. %(serial)s: both entries agree; the ballot is counted."),
        PaperStatus.MISMATCH: _("No. %(serial)s: the two entries differ; the form waits to be resolved."),
        PaperStatus.INVALID: _("No. %(serial)s: recorded as an invalid ballot."),
    }
    return texts[PaperStatus(paper.status)] % serial


@staff_required
@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    scheme = scheme_of(session)
    if scheme is None:
        return no_scheme(request, session)
    refusal, refusal_code = "", ""
    if request.method == "POST":
        form = PaperEntryForm(request.POST, scheme=scheme)
        grid = _grid(session, scheme, data=request.POST)
        if form.is_valid():
            try:
                paper = services.paper_entry_submit(
                    actor=request.user,
                    session=session,
                    group=form.cleaned_data["group"],
                    serial=form.cleaned_data["serial"],
                    marks=grid.marks,
                    invalid_reason=form.invalid_reason,
                )
            except ScoringError as error:
                refusal, refusal_code = error.message, error.code
            else:
                messages.add_message(
                    request,
                    OUTCOME_LEVELS[PaperStatus(paper.status)],
                    _outcome(paper, invalid=bool(form.invalid_reason)),
                    extra_tags=f"pe-outcome pe-outcome-{paper.status}",
                )
                return redirect(f"{reverse('paper:enter', args=[session.pk])}?group={paper.group_id}")
        else:
            refusal, refusal_code = _("Please correct the errors below; nothing has been saved."), "form"
    else:
        form = PaperEntryForm(scheme=scheme, initial={"group": _initial_group(request, scheme)})
        grid = _grid(session, scheme)
    recent = (
        PaperEntry.objects.filter(paper_ballot__session=session, clerk=request.user)
        .select_related("paper_ballot__group")
        .defer("marks")
        .order_by("-entered_at", "-pk")
    )
    context = {
        "session": session,
        "scheme": scheme,
        "tab": "paper",
        "form": form,
        "grid": grid,
        "rows": grid.rows(),
        "grades": grade_options(),
        "refusal": refusal,
        "refusal_code": refusal_code,
        "open": scheme.scoring_status == ScoringStatus.OPEN,
        "not_open_message": _not_open_message(),
        "recent": [
            {"entry": entry, "badge": STATUS_BADGES[PaperStatus(entry.paper_ballot.status)]}
            for entry in recent[:RECENT_ENTRIES]
        ],
        "entered_count": recent.count(),
    }
    return render(request, "scoring/paper/enter.html", context)


# ---------------------------------------------------------------------------------------------------
# 3. Resolve


def _entry_marks(entry: PaperEntry | None) -> dict[tuple[int, int], str]:
    if entry is None:
        return {}
    return {tuple(int(part) for part in key.split("-")): value for key, value in entry.marks.items()}


@staff_required
@require_http_methods(["GET", "POST"])
def resolve(request: HttpRequest, paper_id: int) -> HttpResponse:
    paper = get_visible_or_404(
        PaperBallot.objects.select_related("session__host", "session__cycle", "group"),
        request.user,
        via="session__host",
        pk=paper_id,
    )
    session = paper.session
    if paper.status != PaperStatus.MISMATCH:
        messages.info(
            request,
            _("Form No. %(serial)s: %(status)s. Only a form whose two entries differ needs resolving.")
            % {"serial": paper.serial, "status": paper.get_status_display()},
        )
        return redirect("paper:session", session.pk)
    scheme = scheme_of(session)
    entries = list(paper.entries.select_related("clerk").order_by("entered_at", "pk"))
    first, second = [*entries, None, None][:2]
    first_marks, second_marks = _entry_marks(first), _entry_marks(second)
    typed_it = any(entry.clerk_id == request.user.pk for entry in entries)
    refusal = ""
    if typed_it:
        # The service's own refusal (paper_resolve): shown before anyone types in vain.
        refusal = _("A form is resolved by a third staff member, not by one who typed it.")
    if request.method == "POST":
        form = SpoiltForm(request.POST)
        grid = _grid(session, scheme, data=request.POST)
        if form.is_valid():
            try:
                paper = services.paper_resolve(
                    actor=request.user, paper=paper, marks=grid.marks, invalid_reason=form.invalid_reason
                )
            except ScoringError as error:
                refusal = error.message
            else:
                done = {"serial": paper.serial}
                if paper.status == PaperStatus.INVALID:
                    text = _("No. %(serial)s: resolved and recorded as an invalid ballot.") % done
                else:
                    text = _("No. %(serial)s: resolved; the ballot is counted.") % done
                messages.success(request, text)
                return redirect("paper:session", session.pk)
        else:
            refusal = _("Please correct the errors below; nothing has been saved.")
    else:
        agreed = {key: value for key, value in first_marks.items() if second_marks.get(key) == value}
        form = SpoiltForm()
        grid = _grid(session, scheme, initial=agreed)
    context = {
        "session": session,
        "scheme": scheme,
        "tab": "paper",
        "paper": paper,
        "entries": [
            {"entry": entry, "clerk": _clerk_name(entry.clerk)} for entry in (first, second) if entry
        ],
        "form": form,
        "grid": grid,
        "rows": grid.rows(compare=(first_marks, second_marks)),
        "compare": True,
        "grades": grade_options(),
        "differences": sum(first_marks.get(key, "") != second_marks.get(key, "") for key in grid.marks),
        "refusal": refusal,
        "typed_it": typed_it,
        "open": scheme.scoring_status == ScoringStatus.OPEN,
        "not_open_message": _not_open_message(),
    }
    return render(request, "scoring/paper/resolve.html", context)


@staff_required
@require_GET
def paper_ballot(request: HttpRequest, session_id: int, group_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    group = get_visible_or_404(
        EvaluatorGroup.objects.all(),
        request.user,
        via="scheme__session__host",
        pk=group_id,
        scheme__session=session,
    )
    pdf = documents.paper_ballot_pdf(session, group)
    preflight_services.document_printed(
        actor=request.user, session=session, document=preflight_services.PAPER_FORM, group=group
    )
    filename = _("Evaluation form %(group)s.pdf") % {"group": group.name}
    return attachment_response(filename, PDF, pdf)


# ---------------------------------------------------------------------------------------------------
# 4. Scanned forms (扫描计票): the machine-readable form, uploads, review and confirmation

FLAG_LABELS = {
    "blank": gettext_lazy("No box marked"),  # 未选
    "double": gettext_lazy("Two boxes marked"),  # 多选
    "crossed": gettext_lazy("Crossed out or corrected"),  # 划改
    "uncertain": gettext_lazy("Faint or unclear mark"),  # 看不清
}
NO_GRADE = "-"  # the radio "no grade" (the service's scanning.NONE)


def _batch_rows(session: Session) -> list[dict]:
    batches = (
        ScanBatch.objects.filter(session=session)
        .select_related("uploaded_by")
        .annotate(
            forms_read=Count("forms"),
            forms_review=Count("forms", filter=Q(forms__state=ScannedState.REVIEW)),
            forms_counted=Count("forms", filter=Q(forms__state=ScannedState.COUNTED)),
            forms_invalid=Count("forms", filter=Q(forms__state=ScannedState.INVALID)),
        )
        .order_by("-created_at", "-pk")
    )
    return [{"batch": batch, "uploader": _clerk_name(batch.uploaded_by)} for batch in batches]


@staff_required
@require_http_methods(["GET", "POST"])
def scan(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    scheme = scheme_of(session)
    if scheme is None:
        return no_scheme(request, session)
    refusal = ""
    if request.method == "POST":
        try:
            batch = scanning.scan_batch_upload(
                actor=request.user, session=session, files=request.FILES.getlist("files")
            )
        except ScoringError as error:
            refusal = error.message
        else:
            forms = batch.forms.count()
            text = _("%(pages)s pages read: %(forms)s forms to review, %(refused)s pages refused.") % {
                "pages": batch.total,
                "forms": forms,
                "refused": len(batch.problems),
            }
            messages.add_message(
                request,
                messages.WARNING if batch.problems else messages.SUCCESS,
                text,
                extra_tags="scan-outcome",
            )
            return redirect("paper:scan", session.pk)
    waiting = (
        ScannedForm.objects.filter(session=session, state=ScannedState.REVIEW)
        .select_related("group", "batch")
        .defer("cells", "corrections", "batch__problems")
        .order_by("batch_id", "pk")
    )
    context = {
        "session": session,
        "scheme": scheme,
        "tab": "paper",
        "groups": list(scheme.groups.all()),
        "points": scheme.mode == ModeChoice.POINTS,
        "open": scheme.scoring_status == ScoringStatus.OPEN,
        "refusal": refusal,
        "batches": _batch_rows(session),
        "waiting": list(waiting[:200]),
        "waiting_count": waiting.count(),
        "max_pages": scanning.MAX_BATCH_PAGES,
    }
    return render(request, "scoring/paper/scan.html", context)


@staff_required
@require_GET
def scan_progress(request: HttpRequest, session_id: int) -> JsonResponse:
    """Pages read so far of this user's upload being read (polled by the upload page while it posts)."""
    session = session_in_scope(request, session_id)
    batch = (
        ScanBatch.objects.filter(session=session, uploaded_by=request.user, status=ScanBatchStatus.READING)
        .order_by("-pk")
        .values("done", "total")
        .first()
    )
    return JsonResponse(batch or {"done": 0, "total": 0}, headers={"Cache-Control": "no-store"})


@staff_required
@require_GET
def scan_form_pdf(request: HttpRequest, session_id: int, group_id: int) -> HttpResponse:
    from scoring.paper.scan.errors import ScanUnsupported
    from scoring.paper.scan.form import group_scan_form_pdf

    session = session_in_scope(request, session_id)
    group = get_visible_or_404(
        EvaluatorGroup.objects.all(),
        request.user,
        via="scheme__session__host",
        pk=group_id,
        scheme__session=session,
    )
    try:
        pdf = group_scan_form_pdf(session, group)
    except ScanUnsupported as error:
        messages.error(request, error.message)
        return redirect("paper:scan", session.pk)
    filename = _("Machine-readable form %(group)s.pdf") % {"group": group.name}
    return attachment_response(filename, PDF, pdf)


@staff_required
@require_GET
def scanned_page_image(request: HttpRequest, page_id: int) -> HttpResponse:
    page = get_visible_or_404(ScannedPage.objects.all(), request.user, via="session__host", pk=page_id)
    try:
        handle = page.image.storage.open(page.image.name, "rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    response = FileResponse(handle, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@dataclass(frozen=True)
class ReviewCell:
    number: int  # 1-based place in the review list, shown on the image too
    key: tuple[int, int]
    field: str
    reporter: str
    criterion: str
    read: str  # the grade read (value) or ""
    read_label: str
    flag: str
    confidence: float
    chosen: str  # the radio checked: a grade value, NO_GRADE, or "" (none yet)
    page: int
    box: tuple[float, float, float, float]  # left, top, width, height in % of the page image


def _review_cells(
    form: ScannedForm, pages: dict, reports: dict, criteria: dict, data=None
) -> list[ReviewCell]:
    from scoring.paper.scan.reader import HIGH_CONFIDENCE

    labels = {option.value: option.label for option in grade_options()}

    def needs_look(cell) -> bool:
        return bool(cell["flag"]) or cell["confidence"] < HIGH_CONFIDENCE

    # Flagged items first, then the least confident grades, then the rest in the form's order.
    order = sorted(
        (c for c in form.cells if needs_look(c)), key=lambda c: (c["flag"] is None, c["confidence"])
    ) + [c for c in form.cells if not needs_look(c)]
    corrections = form.corrections or {}
    rows = []
    for number, cell in enumerate(order, start=1):
        key = scanning.cell_key(cell)
        field = f"cell-{key[0]}-{key[1]}"
        if data is not None:
            chosen = data.get(field, "")
        elif f"{key[0]}-{key[1]}" in corrections:
            chosen = corrections[f"{key[0]}-{key[1]}"] or NO_GRADE
        else:
            chosen = "" if cell["flag"] else (cell["grade"] or "")
        page = pages.get(cell["page"])
        x, y, w, h = cell["box"]
        box = (0.0, 0.0, 0.0, 0.0)
        if page is not None and page.width and page.height:
            pad = 4
            box = (
                100 * (x - pad) / page.width,
                100 * (y - pad) / page.height,
                100 * (w + 2 * pad) / page.width,
                100 * (h + 2 * pad) / page.height,
            )
        rows.append(
            ReviewCell(
                number=number,
                key=key,
                field=field,
                reporter=reports.get(key[0], "?"),
                criterion=criteria.get(key[1], "?"),
                read=cell["grade"] or "",
                read_label=str(FLAG_LABELS[cell["flag"]]) if cell["flag"] else labels.get(cell["grade"], ""),
                flag=cell["flag"] or "",
                confidence=cell["confidence"],
                chosen=chosen,
                page=cell["page"],
                box=box,
            )
        )
    return rows


def _corrections(rows: list[ReviewCell], data) -> dict[tuple[int, int], str]:
    """What the clerk changed or decided: every flagged item answered, every grade changed."""
    result = {}
    for row in rows:
        value = data.get(row.field, "")
        if not value:
            continue
        if row.flag or value != row.read:
            result[row.key] = scanning.NONE if value == NO_GRADE else value
    return result


@staff_required
@require_http_methods(["GET", "POST"])
def scanned_form(request: HttpRequest, form_id: int) -> HttpResponse:
    form = get_visible_or_404(
        ScannedForm.objects.select_related(
            "session__host", "session__cycle", "group", "batch", "confirmed_by"
        ),
        request.user,
        via="session__host",
        pk=form_id,
    )
    session = form.session
    scheme = scheme_of(session)
    pages = {page.number: page for page in form.pages.all()}
    reports = selectors.session_reports(session)
    report_names = {report.pk: f"{report.order}. {report.organisation.name}" for report in reports}
    criteria = {criterion.pk: criterion.name for criterion in scheme.criteria.all()}
    refusal = ""
    data = request.POST if request.method == "POST" else None
    rows = _review_cells(form, pages, report_names, criteria, data)
    if request.method == "POST":
        spoilt = SpoiltForm(request.POST)
        if spoilt.is_valid():
            try:
                scanning.scanned_form_confirm(
                    actor=request.user,
                    form=form,
                    corrections=_corrections(rows, request.POST),
                    invalid_reason=spoilt.invalid_reason,
                )
            except ScoringError as error:
                refusal = error.message
            else:
                form.refresh_from_db(fields=["state"])
                if form.state == ScannedState.INVALID:
                    text = _("The scanned form is recorded as an invalid ballot.")
                else:
                    text = _("The scanned form is confirmed and counted.")
                messages.success(request, text, extra_tags="scan-confirmed")
                following = (
                    ScannedForm.objects.filter(session=session, state=ScannedState.REVIEW)
                    .order_by("batch_id", "pk")
                    .first()
                )
                if following is not None:
                    return redirect("paper:scanned_form", following.pk)
                return redirect("paper:scan", session.pk)
        else:
            refusal = _("Please correct the errors below; nothing has been saved.")
    else:
        spoilt = SpoiltForm()
    from scoring.paper.scan.reader import HIGH_CONFIDENCE

    review = [row for row in rows if row.flag or row.confidence < HIGH_CONFIDENCE]
    context = {
        "session": session,
        "scheme": scheme,
        "tab": "paper",
        "scanned": form,
        "pages": [pages[number] for number in sorted(pages)],
        "review": review,
        "others": rows[len(review) :],
        "grades": grade_options(),
        "no_grade": NO_GRADE,
        "form": spoilt,
        "refusal": refusal,
        "open": scheme.scoring_status == ScoringStatus.OPEN,
        "to_review": form.state == ScannedState.REVIEW,
    }
    return render(request, "scoring/paper/scanned_form.html", context)
