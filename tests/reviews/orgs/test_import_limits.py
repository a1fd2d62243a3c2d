"""Hostile workbooks are refused within seconds and little memory, with a message in Chinese.

The files are crafted here: a valid workbook from openpyxl, then one zip member rewritten by hand
(a huge shared string, a million empty rows, a cell far to the right …).
"""

import io
import time
import tracemalloc
import zipfile

import openpyxl
import pytest
from django.utils import translation

from reviews.orgs import xlsx_limits
from reviews.orgs.imports import ORG_HEADERS, ORG_SHEET, SECRETARY_HEADERS, SECRETARY_SHEET, parse_workbook

SHEET1 = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = "</sheetData></worksheet>"


def _workbook(org_rows=(), dimension: str | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    orgs = workbook.active
    orgs.title = ORG_SHEET
    orgs.append(list(ORG_HEADERS))
    for row in org_rows:
        orgs.append(list(row))
    workbook.create_sheet(SECRETARY_SHEET).append(list(SECRETARY_HEADERS))
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    if dimension:
        data = _replace(data, SHEET1, _with_dimension(_member(data, SHEET1), dimension))
    return data


def _with_dimension(sheet: bytes, dimension: str) -> bytes:
    start = sheet.index(b"<dimension ")
    end = sheet.index(b"/>", start) + 2
    return sheet[:start] + f'<dimension ref="{dimension}"/>'.encode() + sheet[end:]


def _member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def _replace(data: bytes, name: str, content: bytes | str) -> bytes:
    """The same workbook with one member's content replaced (or added)."""
    if isinstance(content, str):
        content = content.encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info.filename))
        target.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def _huge_shared_string() -> bytes:
    """One shared string of 60 million characters, used by cell A1: about 60 KB zipped."""
    table = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        "<si><t>" + "A" * 60_000_000 + "</t></si></sst>"
    )
    return _with_shared_strings(_workbook(), table)


def _with_shared_strings(data: bytes, table: str) -> bytes:
    """Add a shared-string table, declared and linked as Excel does, and point A2 of sheet 1 at it."""
    types = _member(data, "[Content_Types].xml").replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    rels = _member(data, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>",
        b'<Relationship Id="rIdShared" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/sharedStrings"/></Relationships>',
    )
    sheet = SHEET_HEAD + _header_row() + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>' + SHEET_TAIL
    data = _replace(data, "[Content_Types].xml", types)
    data = _replace(data, "xl/_rels/workbook.xml.rels", rels)
    data = _replace(data, SHEET1, sheet)
    return _replace(data, "xl/sharedStrings.xml", table)


def _million_empty_rows() -> bytes:
    rows = "".join(f'<row r="{n}"/>' for n in range(2, 1_000_002))
    sheet = SHEET_HEAD + _header_row() + rows + SHEET_TAIL
    return _replace(_workbook(), SHEET1, sheet)


def _header_row() -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{header}</t></is></c>'
        for i, header in enumerate(ORG_HEADERS)
    )
    return f'<row r="1">{cells}</row>'


def _parse(data: bytes):
    with translation.override("zh-hans"):
        plan = parse_workbook(data)
        return plan, [str(problem) for problem in plan.problems]


def _parse_measured(data: bytes):
    """The plan, its messages, the seconds it took and the peak of memory allocated (a second run)."""
    started = time.perf_counter()
    plan, messages = _parse(data)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    try:
        _parse(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return plan, messages, elapsed, peak


def _assert_refused_quickly(data: bytes, code: str, *, seconds: float = 3.0, megabytes: float = 20.0):
    plan, messages, elapsed, peak = _parse_measured(data)
    assert [problem.code for problem in plan.problems] == [code]
    assert elapsed < seconds, f"refused in {elapsed:.2f} s"
    assert peak < megabytes * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MB"
    print(f"{code}: {len(data) / 1024:.0f} KB refused in {elapsed:.2f} s, peak {peak / 1024 / 1024:.1f} MB")
    return messages[0]


@pytest.mark.django_db
def test_it_refuses_one_huge_shared_string_quickly():
    data = _huge_shared_string()
    assert len(data) < 400 * 1024
    message = _assert_refused_quickly(data, "text_too_long")
    assert "2000" in message and "字符" in message


@pytest.mark.django_db
def test_it_refuses_a_million_empty_rows_quickly():
    data = _million_empty_rows()
    message = _assert_refused_quickly(data, "too_many_sheet_rows")
    assert str(xlsx_limits.MAX_SHEET_ROWS) in message and "空行" in message


@pytest.mark.django_db
def test_it_refuses_one_far_row_that_would_make_a_million_empty_ones():
    sheet = SHEET_HEAD + _header_row() + '<row r="1000000"><c r="A1000000"><v>1</v></c></row>' + SHEET_TAIL
    _assert_refused_quickly(_replace(_workbook(), SHEET1, sheet), "too_many_sheet_rows")


@pytest.mark.django_db
def test_it_refuses_a_cell_far_to_the_right():
    sheet = SHEET_HEAD + _header_row() + '<row r="2"><c r="XFD2"><v>1</v></c></row>' + SHEET_TAIL
    message = _assert_refused_quickly(_replace(_workbook(), SHEET1, sheet), "too_many_columns")
    assert "100" in message


@pytest.mark.django_db
def test_it_refuses_too_many_cells(monkeypatch):
    monkeypatch.setattr(xlsx_limits, "MAX_CELLS", 500_000)  # the real limit (3 million) takes long to build
    rows = "".join(
        f'<row r="{n}">'
        + "".join(f'<c r="{col}{n}"><v>1</v></c>' for col in "ABCDEFGHIJKLMNOPQRSTUVWXY")
        + "</row>"
        for n in range(2, 21_000)
    )
    data = _replace(_workbook(), SHEET1, SHEET_HEAD + _header_row() + rows + SHEET_TAIL)
    # The pass that counts the cells also reads and checks the rows (one pass instead of a limit scan
    # and then openpyxl), so a file just over the cell limit costs about what a file at the limit
    # does: here 20,000 rows with three problems each, read before the limit is crossed (7–17 s loaded).
    _assert_refused_quickly(data, "too_many_cells", seconds=30.0, megabytes=40.0)


@pytest.mark.django_db
def test_it_refuses_a_text_split_into_many_runs():
    runs = "".join("<r><t>" + "字" * 100 + "</t></r>" for _ in range(30))
    table = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<si>{runs}</si></sst>"
    )
    _assert_refused_quickly(_with_shared_strings(_workbook(), table), "text_too_long")


@pytest.mark.django_db
def test_it_refuses_a_member_that_unpacks_too_large():
    styles = b"<x>" + b" " * (xlsx_limits.MAX_OTHER_MEMBER + 1) + b"</x>"
    _assert_refused_quickly(_replace(_workbook(), "xl/styles.xml", styles), "too_large_unpacked")


@pytest.mark.django_db
def test_it_refuses_entity_declarations():
    table = (
        '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&b;</t></si></sst>'
    )
    _assert_refused_quickly(_with_shared_strings(_workbook(), table), "not_xlsx")


@pytest.mark.django_db
def test_it_refuses_a_file_over_the_size_limit(settings):
    settings.IMPORT_MAX_BYTES = 1024
    message = _assert_refused_quickly(_workbook() + b"\0" * 2048, "too_large")
    assert "MB" in message


@pytest.mark.django_db
def test_a_workbook_within_the_limits_is_read_even_with_a_huge_declared_dimension():
    rows = [(f"T{n:04d}", f"第{n}党支部", "", "", "党支部", "农村") for n in range(1, 301)]
    data = _workbook(rows, dimension="A1:XFD1048576")
    plan, messages, elapsed, _peak = _parse_measured(data)
    assert messages == []
    assert len(plan.to_create) == 300
    assert elapsed < 5.0


@pytest.mark.django_db
def test_the_largest_allowed_sheet_is_read_in_seconds():
    rows = [(f"T{n:05d}", f"第{n}党支部", "", "", "党支部", "农村") for n in range(1, 20_001)]
    data = _workbook(rows)
    started = time.perf_counter()
    plan = parse_workbook(data)
    assert len(plan.to_create) == 20_000, plan.problems[:3]
    assert time.perf_counter() - started < 60
