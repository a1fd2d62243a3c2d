"""The ledger as it was built before it streamed (an in-memory openpyxl sheet, `max_row` read per row):
kept only as the reference the streamed ledger must match cell for cell. Quadratic; never use it elsewhere.
"""

from __future__ import annotations

import datetime

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reviews.rectification import services as services_rectification
from reviews.rectification.exports import DATE_FORMAT, DATETIME_FORMAT, secretary_names, user_name
from reviews.rectification.models import RectificationEvent, RectificationEventKind
from reviews.spreadsheets import workbook_bytes

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="E7E6E6")
_OVERDUE_FONT = Font(color="C00000", bold=True)
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="center", wrap_text=True)


# ---------------------------------------------------------------------------------------------------
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
    """Each item with the date and text of its last progress report or request for verification."""
    latest = RectificationEvent.objects.filter(
        item=OuterRef("pk"), kind__in=[RectificationEventKind.PROGRESS, RectificationEventKind.SUBMITTED]
    ).order_by("-at", "-pk")
    return items.select_related("organisation", "notice__session", "category", "verified_by").annotate(
        latest_progress_at=Subquery(latest.values("at")[:1]),
        latest_progress_text=Subquery(latest.values("text")[:1]),
    )


def _local_naive(moment: datetime.datetime | None) -> datetime.datetime | None:
    """Excel has no time zones: the time as read in Asia/Shanghai, without its zone."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None)


def _title_rows(sheet: Worksheet, lines: list[str], columns: int) -> None:
    for number, line in enumerate(lines, start=1):
        sheet.append([line])
        sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=columns)
        cell = sheet.cell(row=number, column=1)
        if number == 1:
            cell.font = _TITLE
            cell.alignment = Alignment(horizontal="center", vertical="center")
            sheet.row_dimensions[number].height = 28
        else:
            cell.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
            sheet.row_dimensions[number].height = 20


def _header_row(sheet: Worksheet, headers: list[tuple[str, float]]) -> None:
    sheet.append([label for label, _width in headers])
    row = sheet.max_row
    for column, (_label, width) in enumerate(headers, start=1):
        cell = sheet.cell(row=row, column=column)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = _CENTER
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[row].height = 30


def _put(sheet: Worksheet, row: int, column: int, value, *, number_format: str = "") -> None:
    cell = sheet.cell(row=row, column=column, value=value)
    cell.border = _BORDER
    cell.alignment = _WRAP if isinstance(value, str) else _CENTER
    if number_format:
        cell.number_format = number_format


def _print_setup(sheet: Worksheet, header_row: int) -> None:
    """Frozen header, A4 landscape fitted to the page width, title and header repeated on every page."""
    sheet.freeze_panes = f"C{header_row + 1}"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.print_title_rows = f"1:{header_row}"
    sheet.oddFooter.center.text = _("Page &P of &N")


def ledger_rows(items: QuerySet, today: datetime.date) -> list[list]:
    """The ledger's values, row by row, in the queryset's order (three queries in all)."""
    organisations = (
        {item.organisation_id for item in items}
        if items.query.is_sliced
        else items.order_by().values("organisation_id")
    )
    secretaries = secretary_names(organisations, today)
    items = list(_with_latest_progress(items))
    rows = []
    for number, item in enumerate(items, start=1):
        progress = ""
        if item.latest_progress_at is not None:
            day = timezone.localtime(item.latest_progress_at).date().isoformat()
            progress = f"{day} {item.latest_progress_text}".strip()
        rows.append(
            [
                number,
                item.organisation.name,
                secretaries.get(item.organisation_id, ""),
                item.notice.session.title,
                item.notice.reference,
                item.get_source_display(),
                item.category.name if item.category else "",
                item.problem,
                item.measures,
                item.responsible,
                item.deadline,
                item.original_deadline if item.is_extended else None,
                item.get_status_display(),
                _("Yes") if item.is_overdue(today) else _("No"),
                progress,
                user_name(item.verified_by) if item.verified_by_id else "",
                _local_naive(item.verified_at),
            ]
        )
    return rows


def ledger_workbook(items: QuerySet, title_lines: list[str], today: datetime.date | None = None) -> bytes:
    """The ledger of these items (in the queryset's order) under the title lines, as .xlsx bytes."""
    today = today or services_rectification.today()
    headers = _headers()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Rectification ledger")
    _title_rows(sheet, title_lines or [""], len(headers))
    _header_row(sheet, headers)
    header_row = sheet.max_row
    overdue_column = 14
    row = header_row
    for values in ledger_rows(items, today):
        row += 1
        for column, value in enumerate(values, start=1):
            if isinstance(value, datetime.datetime):
                number_format = DATETIME_FORMAT
            elif isinstance(value, datetime.date):
                number_format = DATE_FORMAT
            else:
                number_format = ""
            _put(sheet, row, column, value, number_format=number_format)
        for column in (1, 13, 14):
            sheet.cell(row=row, column=column).alignment = _CENTER
        if values[overdue_column - 1] == _("Yes"):
            sheet.cell(row=row, column=overdue_column).font = _OVERDUE_FONT
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{row}"
    _print_setup(sheet, header_row)
    return workbook_bytes(workbook)
