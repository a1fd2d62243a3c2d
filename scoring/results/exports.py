"""The results workbook (Excel) and the exports of a session's results."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reviews.cycles.models import Session
from reviews.downloads import safe_filename
from reviews.meeting.models import Comment as MeetingComment
from reviews.meeting.models import Question, Satisfaction
from reviews.spreadsheets import workbook_bytes
from scoring import selectors, tally
from scoring.exports import PDF, XLSX, Export
from scoring.results import documents
from scoring.results.rows import (
    RankingRow,
    grade_label,
    group_score_note,
    hidden_note,
    hidden_scores_note,
    quorum_sentence,
    ranking_rows,
    reporter_notes,
    scheme_groups,
    session_tie_notes,
    tie_rule,
)
from scoring.schemes.models import EvaluatorGroup, ModeChoice


class ResultsWorkbook(Export):
    """测评结果 as an Excel workbook: sheets 排名, 分项 and 测评主体."""

    identifier = "results_xlsx"
    verbose_name = gettext_lazy("Results workbook (Excel)")

    def render(self, session: Session) -> tuple[str, str, bytes]:
        return self.render_tally(selectors.session_tally(session))

    def render_tally(self, data: selectors.SessionTally) -> tuple[str, str, bytes]:
        filename = safe_filename(_("%(title)s-results.xlsx") % {"title": data.session.title})
        return filename, XLSX, results_workbook(data)


class ResultsBulletin(Export):
    """结果通报 as a PDF."""

    identifier = "results_bulletin_pdf"
    verbose_name = gettext_lazy("Results bulletin (PDF)")

    def render(self, session: Session) -> tuple[str, str, bytes]:
        return self.render_tally(selectors.session_tally(session))

    def render_tally(self, data: selectors.SessionTally) -> tuple[str, str, bytes]:
        filename = safe_filename(_("%(title)s-results-bulletin.pdf") % {"title": data.session.title})
        return filename, PDF, documents.results_bulletin_pdf(data)


EXPORTS: dict[str, Export] = {export.identifier: export for export in (ResultsWorkbook(), ResultsBulletin())}


# ---------------------------------------------------------------------------------------------------
# The workbook

_BOLD = Font(bold=True)


_TITLE = Font(bold=True, size=14)


_HEADER_FILL = PatternFill("solid", fgColor="E7E6E6")


_THIN = Side(style="thin", color="999999")


_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


_WRAP = Alignment(vertical="center", wrap_text=True)


_NUMBER = "0.00"


_PERCENT = "0.00%"


_AUTHOR = "Shuzhi"
# Every sheet: the title in row 1, the header in row 2, then the rows, counted as they are written.
HEADER_ROW = 2


def _number(value: Decimal | Fraction | None) -> float | None:
    """A spreadsheet number: the exact value as the nearest float; the cell format rounds for display."""
    if value is None:
        return None
    return float(value)


def results_workbook(data: selectors.SessionTally) -> bytes:
    workbook = Workbook()
    rows = ranking_rows(data)
    _ranking_sheet(workbook.active, data, rows)
    _breakdown_sheet(workbook.create_sheet(), data, rows)
    _groups_sheet(workbook.create_sheet(), data)
    _questions_sheet(workbook.create_sheet(), data, rows)
    return workbook_bytes(workbook)


def _title_row(sheet: Worksheet, data: selectors.SessionTally, columns: int) -> None:
    session = data.session
    title = _("%(title)s (%(date)s)") % {
        "title": session.title,
        "date": date_format(session.date, "DATE_FORMAT"),
    }
    if session.rehearsal:
        title = _("[Rehearsal, not real results] %(title)s") % {"title": title}
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(columns, 1))
    cell = sheet.cell(row=1, column=1)
    cell.font = _TITLE
    cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 28


def _header_row(sheet: Worksheet, headers: list[str], widths: list[float]) -> None:
    sheet.append(headers)
    row = HEADER_ROW
    for column, width in enumerate(widths, start=1):
        cell = sheet.cell(row=row, column=column)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = _CENTER
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[row].height = 32


def _print_setup(sheet: Worksheet, *, freeze: str = "A3") -> None:
    """Frozen header, A4 landscape fitted to the page width, title and header repeated on every page."""
    sheet.freeze_panes = freeze
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.print_title_rows = "1:2"
    sheet.oddFooter.center.text = _("Page &P of &N")


def _put(sheet: Worksheet, row: int, column: int, value, *, number_format: str = "", note: str = "") -> None:
    cell = sheet.cell(row=row, column=column, value=value)
    cell.border = _BORDER
    cell.alignment = _WRAP if isinstance(value, str) else Alignment(vertical="center")
    if number_format:
        cell.number_format = number_format
    if note:
        cell.comment = Comment(note, _AUTHOR, width=160, height=40)


def _footnotes(sheet: Worksheet, lines: list[str], columns: int, last_row: int) -> None:
    """The lines under the table, whose last row is `last_row` (counted, not read from the sheet: `max_row`
    scans every cell, so reading it per row made building a sheet quadratic)."""
    sheet.append([])
    row = last_row + 1
    for line in lines:
        sheet.append([line])
        row += 1
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=max(columns, 1))
        sheet.cell(row=row, column=1).alignment = Alignment(wrap_text=True, vertical="top")


def _ranking_sheet(sheet: Worksheet, data: selectors.SessionTally, rows: list[RankingRow]) -> None:
    sheet.title = _("Ranking")
    groups = scheme_groups(data)
    components = list(data.scheme.components.all())
    uses_grades = data.scheme.mode != ModeChoice.POINTS
    component_values = selectors.component_scores(data.scheme)
    headers = [_("Rank"), _("Party organisation"), _("Secretary"), _("Topic")]
    widths = [6, 26, 10, 26]
    headers += [g.name for g in groups] + [_("On-site score")]
    widths += [12] * (len(groups) + 1)
    headers += [c.name for c in components] + [_("Composite score"), _("Grade")]
    grade_column = len(headers)
    widths += [11] * len(components) + [11, 8]
    if uses_grades:
        headers += [grade_label(grade) for grade in tally.GRADES]
        widths += [7] * len(tally.GRADES)
    headers += [_("Valid votes")]
    widths += [8]
    opinions = selectors.satisfaction_counts(data.session) if data.scheme.collect_satisfaction else None
    if opinions is not None:
        headers += [str(label) for _value, label in Satisfaction.choices]
        widths += [8] * len(Satisfaction.choices)
    headers += [_("Notes")]
    widths += [30]
    _title_row(sheet, data, len(headers))
    _header_row(sheet, headers, widths)

    ties = session_tie_notes(data)
    row = HEADER_ROW
    for line in rows:
        result = line.result
        key = selectors.report_key(line.report.pk)
        blank = [
            f"{group.name}：{note}"
            for group in groups
            if (note := group_score_note(data, result.group_scores[selectors.group_key(group.pk)]))
        ]
        values: list[tuple[object, str, str]] = [
            (result.rank, "", ""),
            (line.organisation, "", ""),
            (line.secretary, "", ""),
            (line.report.topic, "", ""),
        ]
        for group in groups:
            score = result.group_scores[selectors.group_key(group.pk)]
            note = group_score_note(data, score)
            values.append((None if note else _number(score.score), _NUMBER, note))
        values.append((_number(result.onsite), _NUMBER, ""))
        for component in components:
            value = component_values.get(key, {}).get(selectors.component_key(component.pk))
            values.append((_number(value), _NUMBER, ""))
        values.append((_number(result.composite), _NUMBER, ""))
        values.append((grade_label(result.grade), "", ""))
        if uses_grades:
            values += [(result.grade_counts.get(grade, 0), "", "") for grade in tally.GRADES]
        values.append((result.valid_votes, "", ""))
        if opinions is not None:
            counts = opinions.get(line.report.pk, {})
            values += [(counts.get(value, 0), "", "") for value in Satisfaction.values]
        notes = ties.get(result.reporter, []) + reporter_notes(data, result) + blank
        values.append(("；".join(notes), "", ""))
        row += 1
        for column, (value, number_format, note) in enumerate(values, start=1):
            _put(sheet, row, column, value, number_format=number_format, note=note)
        sheet.cell(row=row, column=1).alignment = _CENTER
        sheet.cell(row=row, column=grade_column).alignment = _CENTER

    notes = [tie_rule()]
    notes += [note] if (note := hidden_scores_note(data)) else []
    notes.append(quorum_sentence(data))
    notes.append(
        _("Ballot digest %(digest)s: the results can be recomputed from the ballots and checked.")
        % {"digest": data.result.digest[:16]}
    )
    _footnotes(sheet, notes, len(headers), row)
    _print_setup(sheet, freeze="C3")


def _weighted_mean(
    groups: list[EvaluatorGroup], scores: dict[str, tally.GroupScore], criterion: str
) -> Fraction | None:
    """One item's mean across groups, weighted like the on-site score over the groups with a mean.

    Hidden groups count (as they count in the on-site score); only their own column stays blank.
    """
    parts = [
        (mean, Fraction(group.weight))
        for group in groups
        if (mean := scores[selectors.group_key(group.pk)].criterion_means_exact.get(criterion)) is not None
    ]
    total = sum((weight for _mean, weight in parts), Fraction(0))
    if not parts or not total:
        return None
    return sum((mean * weight for mean, weight in parts), Fraction(0)) / total


def _breakdown_sheet(sheet: Worksheet, data: selectors.SessionTally, rows: list[RankingRow]) -> None:
    sheet.title = _("Breakdown")
    groups = scheme_groups(data)
    criteria = list(data.scheme.criteria.all())
    points = data.scheme.mode == ModeChoice.POINTS
    headers = [_("Rank"), _("Party organisation"), _("Secretary")]
    widths = [6, 26, 10]
    headers.append(_("Criterion") if points else _("Evaluation item"))
    widths.append(30)
    if points:
        headers.append(_("Max points"))
        widths.append(8)
    headers += [_("Weighted mean")] + [g.name for g in groups]
    widths += [11] + [12] * len(groups)
    _title_row(sheet, data, len(headers))
    _header_row(sheet, headers, widths)

    row = HEADER_ROW
    for line in rows:
        scores = line.result.group_scores
        for criterion in criteria:
            key = selectors.criterion_key(criterion.pk)
            values: list[tuple[object, str, str]] = [
                (line.result.rank, "", ""),
                (line.organisation, "", ""),
                (line.secretary, "", ""),
                (criterion.name, "", ""),
            ]
            if points:
                values.append((_number(criterion.max_points), "0.##", ""))
            values.append((_number(_weighted_mean(groups, scores, key)), _NUMBER, ""))
            for group in groups:
                score = scores[selectors.group_key(group.pk)]
                mean = score.criterion_means_exact.get(key)
                note = hidden_note(data) if not score.breakdown_visible else ""
                if not note and mean is None:
                    note = _("No valid vote")
                values.append((None if note else _number(mean), _NUMBER, note))
            row += 1
            for column, (value, number_format, note) in enumerate(values, start=1):
                _put(sheet, row, column, value, number_format=number_format, note=note)
            sheet.cell(row=row, column=1).alignment = _CENTER
    _print_setup(sheet, freeze="D3")


def _groups_sheet(sheet: Worksheet, data: selectors.SessionTally) -> None:
    sheet.title = _("Evaluator groups")
    headers = [
        _("Evaluator group"),
        _("Weight (%)"),
        _("Codes issued"),
        _("Paper forms issued"),
        _("Received"),
        _("Valid"),
        _("Invalid"),
        _("Voided"),
        _("Return rate"),
    ]
    _title_row(sheet, data, len(headers))
    _header_row(sheet, headers, [24, 9, 11, 11, 9, 9, 9, 9, 10])
    groups = scheme_groups(data)
    turnouts = {turnout.group: turnout for turnout in data.result.groups}
    totals = [0] * 6
    row = HEADER_ROW
    for group in groups:
        turnout = turnouts[selectors.group_key(group.pk)]
        counts = [
            turnout.issued - group.paper_issued,
            group.paper_issued,
            turnout.received,
            turnout.valid_ballots,
            turnout.invalid_ballots,
            turnout.voided,
        ]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        row += 1
        _groups_row(sheet, row, group.name, _plain(group.weight), counts, turnout.share_exact)
    issued = data.result.codes_issued
    share = Fraction(data.result.ballots_counted, issued) if issued else None
    row += 1
    _groups_row(sheet, row, _("Total"), _plain(sum((g.weight for g in groups), Decimal(0))), totals, share)
    for cell in sheet[row]:
        cell.font = _BOLD

    notes = [quorum_sentence(data)]
    notes += [
        _("%(group)s: more paper ballots came back than were issued; all its paper ballots are void.")
        % {"group": group.name}
        for group in groups
        if turnouts[selectors.group_key(group.pk)].paper_voided
    ]
    notes.append(_("Return rate = ballots counted (valid and invalid) ÷ codes and paper forms issued."))
    _footnotes(sheet, notes, len(headers), row)
    _print_setup(sheet, freeze="B3")


def _questions_sheet(sheet: Worksheet, data: selectors.SessionTally, rows: list[RankingRow]) -> None:
    """质询和点评: every question with its answer, then every comment, reporter by reporter in rank order."""
    sheet.title = _("Questions and comments")
    headers = [
        _("Rank"),
        _("Party organisation"),
        _("Secretary"),
        _("Kind"),
        _("Asked or commented by"),
        _("Question or comment"),
        _("Answer"),
        _("Satisfaction"),
        _("Handed over"),
    ]
    _title_row(sheet, data, len(headers))
    _header_row(sheet, headers, [6, 22, 10, 8, 14, 40, 40, 10, 8])
    by_report = {line.report.pk: line for line in rows}
    questions = Question.objects.filter(report__session=data.session).order_by("report__order", "order")
    comments = MeetingComment.objects.filter(report__session=data.session).order_by("report__order", "id")
    entries = [(q.report_id, q) for q in questions] + [(c.report_id, c) for c in comments]
    order = {line.report.pk: position for position, line in enumerate(rows)}
    entries.sort(key=lambda entry: (order.get(entry[0], len(order)), isinstance(entry[1], MeetingComment)))
    row = HEADER_ROW
    for report_id, entry in entries:
        line = by_report[report_id]
        if isinstance(entry, Question):
            asker = entry.get_asker_role_display() + (f"（{entry.asker_name}）" if entry.asker_name else "")
            values = [_("Question"), asker, entry.question, entry.answer, entry.get_satisfaction_display()]
        else:
            values = [_("Comment"), entry.commenter, entry.text, "", ""]
        handed = _("Yes") if entry.handed_over else ""
        row += 1
        for column, value in enumerate(
            [line.result.rank, line.organisation, line.secretary, *values, handed], 1
        ):
            _put(sheet, row, column, value)
            sheet.cell(row=row, column=column).alignment = _WRAP
    _print_setup(sheet, freeze="D3")


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _groups_row(
    sheet: Worksheet, row: int, name: str, weight, counts: list[int], share: Fraction | None
) -> None:
    for column, value in enumerate([name, weight, *counts], start=1):
        _put(sheet, row, column, value)
    _put(sheet, row, len(counts) + 3, _number(share), number_format=_PERCENT)
