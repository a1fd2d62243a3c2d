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
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from reviews.cycles.models import Session
from reviews.downloads import attachment_response
from reviews.scope import get_visible_or_404, staff_required
from scoring import selectors
from scoring.errors import ScoringError
from scoring.exports import PDF
from scoring.paper import documents, services
from scoring.paper.forms import MarksGrid, PaperEntryForm, SpoiltForm, grade_options
from scoring.paper.models import PaperBallot, PaperEntry, PaperStatus
from scoring.preflight import services as preflight_services
from scoring.schemes.models import EvaluatorGroup, Scheme, ScoringStatus
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
        .select_related("group", "resolved_by")
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
