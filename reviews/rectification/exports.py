"""整改台账: a cycle's rectification items as an Excel workbook, printed A4 landscape for the appraisal.

The same look as the scoring exports (title row, grey header row, frozen panes, title and header repeated on
every printed page); `reviews` never imports `scoring`, so the few helpers are repeated here.
Building the sheet is a fixed number of queries however many items there are, and it is streamed: time
and memory grow linearly with the items (450,000 at province scale), so it can run as a background job.
"""

from __future__ import annotations

import datetime
import functools
import io
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import BinaryIO

from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.worksheet import Worksheet

from reviews.cycles.models import Cycle
from reviews.downloads import safe_filename
from reviews.findings.models import FindingSource
from reviews.orgs.models import Appointment
from reviews.rectification import services as services_rectification
from reviews.rectification.models import (
    OWING_STATUSES,
    RectificationEvent,
    RectificationEventKind,
    RectificationStatus,
)
from reviews.spreadsheets import FORMULA_START, starts_like_a_formula

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="E7E6E6")
_OVERDUE_FONT = Font(color="C00000", bold=True)
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="center", wrap_text=True)
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


# ---------------------------------------------------------------------------------------------------
# Order and names shared by the list page, the ledger and the command


def ordered(items: QuerySet, today: datetime.date) -> QuerySet:
    """Overdue items first, then by deadline, then in the order of the tree and the notices."""
    return items.annotate(
        overdue_rank=Case(
            When(status__in=OWING_STATUSES, deadline__lt=today, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("overdue_rank", "deadline", "organisation__path", "notice_id", "number")


def secretary_names(organisation_ids, day: datetime.date) -> dict[int, str]:
    """The secretary of each organisation on the day, in one query (a queryset of ids stays a subquery)."""
    names: dict[int, str] = {}
    appointments = (
        Appointment.objects.secretaries()
        .on(day)
        .filter(organisation_id__in=organisation_ids)
        .order_by("organisation_id", "-start_date")
        .values_list("organisation_id", "person__name")
    )
    for organisation_id, name in appointments.iterator(chunk_size=5000):
        names.setdefault(organisation_id, name)
    return names


def user_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def ledger_title(cycle: Cycle) -> str:
    return _("%(cycle)s rectification ledger") % {"cycle": cycle.name}


def ledger_title_lines(cycle: Cycle, filters: list[str], day: datetime.date) -> list[str]:
    """The title, then one line with the filters in use and the export date."""
    conditions = "；".join(filters) if filters else _("All items")
    exported = _("Exported on %(date)s") % {"date": day.isoformat()}
    return [ledger_title(cycle), f"{conditions}　{exported}"]


def ledger_filename(cycle: Cycle, day: datetime.date) -> str:
    return safe_filename(
        _("%(cycle)s-rectification-ledger-%(date)s.xlsx") % {"cycle": cycle.name, "date": day}
    )


# ---------------------------------------------------------------------------------------------------
# The workbook, streamed
#
# Linear in the items and bounded in memory (450,000 items at province scale, as a background job):
# - the rows come from one values() query read in chunks (iterator), the secretaries from one more query;
# - each data row is written at once as SpreadsheetML into a temporary file (the same XML openpyxl writes
#   for such cells, but without a Cell object and an XML element per value, which cost ~30 µs a cell);
# - openpyxl (write-only mode) writes the rest: the title and header rows, the styles, widths, panes,
#   filter and print settings; the rows are then spliced into its sheet while zipping into `out`.
# Nothing ever asks the sheet for its size (`max_row` scans every cell: the old ledger was quadratic).
# Everything the in-memory sheet showed is kept, cell for cell (tests/reviews/rectification/
# test_ledger_streaming.py compares the two): merged title rows, row heights, column widths, the grey
# header, borders, wrapping, date formats, the overdue red, the frozen panes, the filter, A4 landscape
# fitted to the width, title and header printed on every page, the page footer. Formula-looking text is
# written as text with the quote prefix, as reviews/spreadsheets.py does for every other workbook.

Progress = Callable[[int, int], None]

CHUNK_SIZE = 2000

_ROW_FIELDS = (
    "organisation_id",
    "organisation__name",
    "notice__session__title",
    "notice__issued_on",
    "notice__number",
    "source",
    "category__name",
    "problem",
    "measures",
    "responsible",
    "deadline",
    "original_deadline",
    "status",
    "verified_by_id",
    "verified_by__username",
    "verified_by__first_name",
    "verified_by__last_name",
    "verified_at",
    "latest_progress_at",
    "latest_progress_text",
)


def _headers() -> list[tuple[str, float]]:
    return [
        (_("No."), 6),
        (_("Party organisation"), 22),
        (_("Secretary"), 9),
        (_("Session handing over"), 22),
        (_("Notice number"), 12),
        (_("Source"), 9),
        (_("Problem category"), 10),
        (_("Problem"), 34),
        (_("Rectification measures"), 34),
        (_("Responsible person"), 9),
        (_("Deadline"), 11),
        (_("Original deadline"), 11),
        (_("Status"), 9),
        (_("Overdue"), 7),
        (_("Latest progress"), 34),
        (_("Verified by"), 9),
        (_("Verified at"), 16),
    ]


def _with_latest_progress(items: QuerySet) -> QuerySet:
    """Each item's values with the date and text of its last progress report or request for verification."""
    latest = RectificationEvent.objects.filter(
        item=OuterRef("pk"), kind__in=[RectificationEventKind.PROGRESS, RectificationEventKind.SUBMITTED]
    ).order_by("-at", "-pk")
    return items.annotate(
        latest_progress_at=Subquery(latest.values("at")[:1]),
        latest_progress_text=Subquery(latest.values("text")[:1]),
    ).values_list(*_ROW_FIELDS)


def _local_naive(moment: datetime.datetime | None) -> datetime.datetime | None:
    """Excel has no time zones: the time as read in Asia/Shanghai, without its zone."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None)


def _organisation_ids(items: QuerySet):
    """The items' organisations, as a subquery (a sliced queryset cannot be one: its ids are read)."""
    if items.query.is_sliced:
        return set(items.values_list("organisation_id", flat=True))
    return items.order_by().values("organisation_id")


def ledger_rows(items: QuerySet, today: datetime.date) -> Iterator[list]:
    """The ledger's values, row by row, in the queryset's order: two queries, the items read in chunks."""
    secretaries = secretary_names(_organisation_ids(items), today)
    sources = {value: str(label) for value, label in FindingSource.choices}
    statuses = {value: str(label) for value, label in RectificationStatus.choices}
    owing = {str(status) for status in OWING_STATUSES}
    yes, no = _("Yes"), _("No")
    reference = _("[%(year)s] No. %(number)s")
    rows = _with_latest_progress(items).iterator(chunk_size=CHUNK_SIZE)
    for number, (
        organisation_id,
        organisation,
        session,
        issued_on,
        notice_number,
        source,
        category,
        problem,
        measures,
        responsible,
        deadline,
        original_deadline,
        status,
        verified_by_id,
        username,
        first_name,
        last_name,
        verified_at,
        progress_at,
        progress_text,
    ) in enumerate(rows, start=1):
        progress = ""
        if progress_at is not None:
            day = timezone.localtime(progress_at).date().isoformat()
            progress = f"{day} {progress_text}".strip()
        verifier = ""
        if verified_by_id:
            verifier = f"{first_name} {last_name}".strip() or username
        yield [
            number,
            organisation,
            secretaries.get(organisation_id, ""),
            session,
            reference % {"year": issued_on.year, "number": notice_number},
            sources.get(source, source),
            category or "",
            problem,
            measures,
            responsible,
            deadline,
            original_deadline if original_deadline != deadline else None,
            statuses.get(status, status),
            yes if status in owing and deadline < today else no,
            progress,
            verifier,
            _local_naive(verified_at),
        ]


class _Styles:
    """Each look of the sheet made once, registered in the workbook; a data cell only names its style's id."""

    def __init__(self, sheet) -> None:
        def style(**parts) -> StyleArray:
            cell = Cell(sheet)
            for name, value in parts.items():
                setattr(cell, name, value)
            return cell._style

        def registered(**parts) -> int:
            return Cell(sheet, style_array=style(**parts)).style_id

        self.title = style(font=_TITLE, alignment=Alignment(horizontal="center", vertical="center"))
        self.subtitle = style(alignment=Alignment(horizontal="left", vertical="center", wrap_text=True))
        self.header = style(font=_BOLD, fill=_HEADER_FILL, border=_BORDER, alignment=_CENTER)
        # The data rows' styles, by id (as in the `s` attribute of a cell).
        self.text = registered(border=_BORDER, alignment=_WRAP)
        self.text_quoted = registered(border=_BORDER, alignment=_WRAP, quotePrefix=True)
        self.center = registered(border=_BORDER, alignment=_CENTER)
        self.center_quoted = registered(border=_BORDER, alignment=_CENTER, quotePrefix=True)
        self.date = registered(border=_BORDER, alignment=_CENTER, number_format=DATE_FORMAT)
        self.datetime = registered(border=_BORDER, alignment=_CENTER, number_format=DATETIME_FORMAT)
        self.overdue = registered(border=_BORDER, alignment=_CENTER, font=_OVERDUE_FONT)


def _cell(sheet, value, style: StyleArray, column: int) -> Cell:
    """A styled cell; text that would start a formula stays text (see reviews/spreadsheets.py)."""
    cell = Cell(sheet, column=column, style_array=style)
    if starts_like_a_formula(value):
        cell.value = value
        cell.data_type = "s"
        cell.quotePrefix = True
    elif value is not None:
        cell.value = value
    return cell


# The data rows as SpreadsheetML, written directly: the same XML openpyxl writes for these cells (inline
# strings, dates as serial numbers under a date format), ~20 times faster than a Cell object and an XML
# element per cell, which is what 450,000 rows × 17 cells need to stay linear *and* under two minutes.

_FORMULA_FIRST = frozenset(FORMULA_START)
_ORDINAL_1899_12_30 = datetime.date(1899, 12, 30).toordinal()  # Excel's day 0 (Windows epoch)
_FIRST_REAL_DAY = datetime.date(1900, 3, 1)  # from here a serial is plain days since day 0


@functools.lru_cache(maxsize=50_000)
def _xml_text_cached(value: str) -> str:
    return _xml_text(value)


def _xml_text(value: str) -> str:
    """An inline string's content as openpyxl writes it (illegal control characters dropped)."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    stripped = value.strip()
    if stripped and stripped != value:
        return f'<is><t xml:space="preserve">{escaped}</t></is>'
    return f"<is><t>{escaped}</t></is>"


class _RowWriter:
    """One data row of the ledger as XML; the column types are fixed, so each column is written directly."""

    def __init__(self, styles: _Styles, overdue_yes: str) -> None:
        self.yes = overdue_yes
        self.text = f'" s="{styles.text}" t="inlineStr"'
        self.text_quoted = f'" s="{styles.text_quoted}" t="inlineStr"'
        self.center = f'" s="{styles.center}" t="inlineStr"'
        self.center_quoted = f'" s="{styles.center_quoted}" t="inlineStr"'
        self.overdue = f'" s="{styles.overdue}" t="inlineStr"'
        self.number = f'" s="{styles.center}" t="n"><v>'
        self.date = f'" s="{styles.date}" t="n"><v>'
        self.datetime = f'" s="{styles.datetime}" t="n"><v>'
        self.blank = f'" s="{styles.center}"/>'

    def string(self, ref: str, value: str, cached: bool = False, centered: bool = False) -> str:
        if value and value[0] in _FORMULA_FIRST:
            attributes = self.center_quoted if centered else self.text_quoted
        else:
            attributes = self.center if centered else self.text
        if not value:
            return f'<c r="{ref}{attributes}/>'
        content = _xml_text_cached(value) if cached else _xml_text(value)
        return f'<c r="{ref}{attributes}>{content}</c>'

    def day(self, ref: str, value: datetime.date | None) -> str:
        if value is None:
            return f'<c r="{ref}{self.blank}'
        serial = value.toordinal() - _ORDINAL_1899_12_30 if value >= _FIRST_REAL_DAY else to_excel(value)
        return f'<c r="{ref}{self.date}{serial}</v></c>'

    def moment(self, ref: str, value: datetime.datetime | None) -> str:
        if value is None:
            return f'<c r="{ref}{self.blank}'
        return f'<c r="{ref}{self.datetime}{to_excel(value):.16g}</v></c>'

    def row(self, n: int, values: list) -> str:
        (
            number,
            organisation,
            secretary,
            session,
            reference,
            source,
            category,
            problem,
            measures,
            responsible,
            deadline,
            original_deadline,
            status,
            overdue,
            progress,
            verifier,
            verified_at,
        ) = values
        string = self.string
        overdue_cell = (
            f'<c r="N{n}{self.overdue}>{_xml_text_cached(overdue)}</c>'
            if overdue == self.yes
            else string(f"N{n}", overdue, True, True)
        )
        return "".join(
            (
                f'<row r="{n}"><c r="A{n}{self.number}{number}</v></c>',
                string(f"B{n}", organisation, True),
                string(f"C{n}", secretary, True),
                string(f"D{n}", session, True),
                string(f"E{n}", reference, True),
                string(f"F{n}", source, True),
                string(f"G{n}", category, True),
                string(f"H{n}", problem),
                string(f"I{n}", measures),
                string(f"J{n}", responsible, True),
                self.day(f"K{n}", deadline),
                self.day(f"L{n}", original_deadline),
                string(f"M{n}", status, True, True),
                overdue_cell,
                string(f"O{n}", progress),
                string(f"P{n}", verifier, True),
                self.moment(f"Q{n}", verified_at),
                "</row>",
            )
        )


def _splice(skeleton: io.BytesIO, rows: BinaryIO, out: BinaryIO) -> None:
    """The skeleton workbook with the rows' XML added at the end of its sheet's data, zipped into `out`."""
    rows.seek(0)
    with (
        zipfile.ZipFile(skeleton) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info)
            if not info.filename.startswith("xl/worksheets/sheet"):
                target.writestr(info, content)
                continue
            head, end, tail = content.partition(b"</sheetData>")
            entry = zipfile.ZipInfo(info.filename, info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with target.open(entry, "w", force_zip64=True) as sheet:
                sheet.write(head)
                while block := rows.read(1 << 20):
                    sheet.write(block)
                sheet.write(end + tail)


def _print_setup(sheet, header_row: int) -> None:
    """Frozen header, A4 landscape fitted to the page width, title and header repeated on every page."""
    sheet.freeze_panes = f"C{header_row + 1}"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.print_title_rows = f"1:{header_row}"
    sheet.oddFooter.center.text = _("Page &P of &N")


def _every(total: int) -> int:
    """How many rows between two progress reports: about 1 % of the work."""
    return max(1, total // 100)


# ...and never more often than this (seconds): a small ledger is written in a blink.
PROGRESS_INTERVAL = 0.2
_clock = time.monotonic


def ledger_workbook(
    items: QuerySet,
    title_lines: list[str],
    today: datetime.date | None = None,
    *,
    out: BinaryIO | None = None,
    progress: Progress | None = None,
) -> bytes | None:
    """The ledger of these items (in the queryset's order) under the title lines, as .xlsx.

    Written into `out` (a binary file) when given, else returned as bytes. `progress(done, total)` is told
    (0, total) first, the rows written about every 1 % (at most 5 times a second), and (total, total) at
    the end. Three queries however many items.
    """
    today = today or services_rectification.today()
    headers = _headers()
    columns = len(headers)
    last_column = get_column_letter(columns)
    lines = title_lines or [""]
    header_row = len(lines) + 1
    total = items.count() if progress is not None else 0

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Rectification ledger"))
    styles = _Styles(sheet)
    yes = _("Yes")
    every = _every(total)
    done = 0
    if progress is not None:
        progress(0, total)
    reported = _clock()
    with tempfile.TemporaryFile() as rows:
        # The data rows first, into a temporary file: then the number of rows is known for the filter.
        text = io.TextIOWrapper(rows, encoding="utf-8", newline="", write_through=False)
        row_xml = _RowWriter(styles, yes).row
        for values in ledger_rows(items, today):
            done += 1
            text.write(row_xml(header_row + done, values))
            if progress is not None and done % every == 0 and done < total:
                now = _clock()
                if now - reported >= PROGRESS_INTERVAL:
                    progress(done, total)
                    reported = now
        text.flush()
        text.detach()

        # The skeleton: widths, panes and fit to page go out with the sheet's first row, so come first.
        for column, (_label, width) in enumerate(headers, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = width
        _print_setup(sheet, header_row)
        for number, line in enumerate(lines, start=1):
            sheet.merged_cells.add(f"A{number}:{last_column}{number}")
            sheet.row_dimensions[number].height = 28 if number == 1 else 20
            sheet.append([_cell(sheet, line, styles.title if number == 1 else styles.subtitle, 1)])
        sheet.row_dimensions[header_row].height = 30
        sheet.append([_cell(sheet, label, styles.header, n) for n, (label, _width) in enumerate(headers, 1)])
        sheet.auto_filter.ref = f"A{header_row}:{last_column}{header_row + done}"
        skeleton = io.BytesIO()
        workbook.save(skeleton)

        target = out if out is not None else io.BytesIO()
        _splice(skeleton, rows, target)
    if progress is not None:
        progress(done, max(total, done))
    return None if out is not None else target.getvalue()
