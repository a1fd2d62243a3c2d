"""The cycle dashboard as an Excel workbook: every table of the page, every row (not one page of it).

A long operation by the project's contract: a plain function taking ``progress(done, total)`` and writing
into ``out`` (or returning the bytes), so the job machinery can run it outside the request. The workbook
is written with openpyxl's write-only mode and the long lists are read in chunks or through a streaming
cursor, so memory stays flat at 1,500 sessions and 150,000 organisations.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterable
from typing import BinaryIO

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from reviews.cycles.models import Cycle, Session
from reviews.orgs.levels import Level
from reviews.orgs.models import Organisation
from reviews.rectification import selectors as review_selectors
from reviews.rectification.models import RectificationStatus
from reviews.scope import restrict
from scoring import tally
from scoring.dashboard import selectors as dashboard
from scoring.schemes.models import GRADE_LABELS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SESSION_CHUNK = 500
Progress = Callable[[int, int], None]


def filename(cycle: Cycle, day: datetime.date) -> str:
    return _("%(cycle)s dashboard %(day)s.xlsx") % {"cycle": cycle.name, "day": day.isoformat()}


class _Reporter:
    """Calls progress(done, total) about every 1 % of the work (and at the end)."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, max(total, 1), 0
        self.step = max(1, self.total // 100)
        self.next = self.step

    def add(self, n: int = 1) -> None:
        self.done += n
        if self.progress is not None and self.done >= self.next:
            self.progress(min(self.done, self.total), self.total)
            self.next = self.done + self.step

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total)


def _sheet(book: Workbook, title: str, headers: list[str], widths: list[int]):
    sheet = book.create_sheet(title=title[:31])
    for i, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    bold = Font(bold=True)
    cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    return sheet


def _completion_headers(first: str) -> list[str]:
    return [
        first,
        _("Items"),
        _("Verified closed"),
        _("Awaiting verification"),
        _("Being rectified"),
        _("To be rectified"),
        str(RectificationStatus.RETURNED.label),
        _("Overdue"),
        _("Completion rate"),
    ]


def _completion_cells(row: review_selectors.Completion) -> list:
    return [
        row.label,
        row.items,
        row.verified,
        row.submitted,
        row.in_progress,
        row.pending,
        row.returned,
        row.overdue,
        float(row.rate) if row.rate is not None else None,
    ]


def _write_completions(book: Workbook, title: str, first: str, rows: Iterable, reporter=None) -> None:
    sheet = _sheet(book, title, _completion_headers(first), [36, 8, 10, 10, 10, 10, 8, 8, 10])
    for row in rows:
        cells = _completion_cells(row)
        if cells[-1] is not None:
            rate = WriteOnlyCell(sheet, value=cells[-1])
            rate.number_format = "0.0%"
            cells[-1] = rate
        sheet.append(cells)
        if reporter is not None:
            reporter.add()


def dashboard_workbook(
    *,
    cycle: Cycle,
    user,
    parent: Organisation | None,
    roots: list[Organisation],
    today: datetime.date,
    min_organisations: int = review_selectors.SHARED_PROBLEM_MIN_ORGANISATIONS,
    progress: Progress | None = None,
    out: BinaryIO | None = None,
) -> bytes | None:
    """The dashboard's tables for what `user` may see; written into `out`, else returned as bytes."""
    sessions: QuerySet = restrict(Session.objects.filter(cycle=cycle), user, via="host")
    scope = dashboard.ItemScope.of(cycle, user)
    items: QuerySet = scope.items()
    summaries = dashboard.level_summaries(sessions)
    overview = dashboard.rectification_overview(
        scope, today, label=_("All organisations"), roots=roots, parent=parent
    )
    overdue_count = overview.total.overdue
    n_sessions = sum(s.sessions for s in summaries)
    n_organisations = overview.organisations
    reporter = _Reporter(progress, n_sessions + n_organisations + overdue_count)

    book = Workbook(write_only=True)
    summary = _sheet(
        book,
        _("Summary"),
        [_("Level"), _("Sessions"), _("Published"), *[b.label for b in _grade_bars()], _("Not graded")],
        [16, 10, 10, 8, 8, 8, 8, 10],
    )
    for level in summaries:
        grades = level.grades
        summary.append(
            [
                level.label,
                level.sessions,
                level.published,
                *[grades.count(b.grade) if grades else 0 for b in _grade_bars()],
                grades.ungraded if grades else 0,
            ]
        )

    sheet = _sheet(
        book,
        _("Review sessions"),
        [
            _("Level"),
            _("Session"),
            _("Host"),
            _("Date"),
            _("Status"),
            _("Reporters"),
            _("Ballots issued"),
            _("Ballots received"),
            _("Turnout"),
            _("Published ranking"),
        ],
        [12, 40, 24, 12, 10, 8, 10, 10, 8, 60],
    )
    for offset in range(0, n_sessions, SESSION_CHUNK):
        rows = dashboard.session_rows(sessions, offset=offset, limit=SESSION_CHUNK)
        for row in rows:
            turnout = WriteOnlyCell(sheet, value=float(row.share) if row.share is not None else None)
            turnout.number_format = "0.0%"
            sheet.append(
                [
                    str(Level(row.level).label),
                    row.session.title,
                    row.session.host.display_name,
                    row.session.date,
                    row.session.get_status_display(),
                    row.reporters,
                    row.issued,
                    row.received,
                    turnout,
                    "；".join(f"{r.rank}. {r.name} {r.composite} {r.grade_label}".strip() for r in row.top)
                    if row.published
                    else _("Not published"),
                ]
            )
            reporter.add()

    roots_heading = _("Subtree")
    _write_completions(
        book,
        _("By subtree"),
        roots_heading,
        [*overview.subtrees, overview.total],
    )
    _write_completions(book, _("By sector"), _("Sector"), [*overview.sectors, overview.total])
    _write_completions(
        book,
        _("By organisation"),
        _("Party organisation"),
        dashboard.iter_organisation_completion(scope, today),
        reporter,
    )

    overdue = _sheet(
        book,
        _("Overdue items"),
        [
            _("Party organisation"),
            _("Problem category"),
            _("Problem"),
            _("Status"),
            _("Deadline"),
            _("Days overdue"),
        ],
        [30, 14, 60, 10, 12, 10],
    )
    labels = dict(RectificationStatus.choices)
    for name, category, problem, status, deadline in (
        items.overdue(today)
        .order_by("deadline", "organisation__path", "notice_id", "number")
        .values_list("organisation__name", "category__name", "problem", "status", "deadline")
        .iterator(chunk_size=2000)
    ):
        overdue.append(
            [
                name,
                category or "",
                problem,
                str(labels.get(status, status)),
                deadline,
                (today - deadline).days,
            ]
        )
        reporter.add()

    shared = _sheet(
        book,
        _("Shared problems"),
        [_("Problem category"), _("Organisations"), _("Items"), _("Raised in")],
        [16, 10, 8, 80],
    )
    for problem in dashboard.shared_problems(scope, min_organisations, categories=overview.categories):
        names = "、".join(problem.organisation_names)
        if problem.more:
            names += " " + _("and %(n)s more") % {"n": problem.more}
        shared.append([problem.category, problem.organisations, problem.items, names])

    target = out if out is not None else io.BytesIO()
    book.save(target)
    reporter.finish()
    return None if out is not None else target.getvalue()


def _grade_bars():

    return [
        dashboard.GradeBar(grade=str(g), label=str(GRADE_LABELS[g]), count=0, width=0) for g in tally.GRADES
    ]
