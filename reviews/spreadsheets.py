"""What every workbook and CSV file the product writes shares: no cell a spreadsheet would run.

Organisation names come from imports and questions are typed by clerks, so a cell may begin with = + - @
(or a tab or carriage return). In a workbook such a cell is written as text with Excel's quote prefix, so
it shows as typed and stays text when edited; in a CSV file it gets a leading apostrophe (OWASP's advice
for CSV injection), because Excel parses CSV cells as it opens them.
"""

import io

from openpyxl import Workbook

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def starts_like_a_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def workbook_bytes(workbook: Workbook) -> bytes:
    """The workbook as .xlsx bytes, every formula-looking text cell made plain text first."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if starts_like_a_formula(cell.value):
                    cell.data_type = "s"
                    cell.quotePrefix = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_cell(value):
    """A value for a CSV row: a formula-looking text gets a leading apostrophe."""
    return "'" + value if starts_like_a_formula(value) else value
