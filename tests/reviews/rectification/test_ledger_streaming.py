"""The streamed ledger: the same workbook as the in-memory one, cell for cell, in a fixed number of queries,
written into a file with progress reports, linear in the items (the province has 450,000 of them)."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from reviews.orgs.models import Organisation
from reviews.rectification import exports as exports_rectification
from reviews.rectification import services as rect
from reviews.rectification.models import (
    RectificationEvent,
    RectificationEventKind,
    RectificationItem,
    RectificationStatus,
)
from tests.reviews.rectification import legacy_ledger
from tests.reviews.rectification import test_pages as pages
from tests.reviews.rectification.test_pages import add_villages, bring

chinese_after = pages.chinese_after
clock = pages.clock
evidence_storage = pages.evidence_storage

HOSTILE_NAME = '=HYPERLINK("http://evil.example","点我")'


def _items(rectified):
    today = rect.today()
    return exports_rectification.ordered(RectificationItem.objects.filter(cycle=rectified.world.cycle), today)


def _book(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


def _ignore(done: int, total: int) -> None:
    pass


def _cell_look(cell) -> tuple:
    return (
        cell.coordinate,
        cell.value,
        cell.data_type,
        cell.number_format,
        cell.quotePrefix,
        repr(cell.font),
        repr(cell.fill),
        repr(cell.border),
        repr(cell.alignment),
    )


def _sheet_look(sheet) -> dict:
    """Everything the workbook shows or prints, cell by cell and sheet-wide."""
    return {
        "title": sheet.title,
        "cells": [_cell_look(cell) for row in sheet.iter_rows() for cell in row],
        "merged": sorted(str(r) for r in sheet.merged_cells.ranges),
        "freeze": sheet.freeze_panes,
        "filter": sheet.auto_filter.ref,
        "widths": {k: v.width for k, v in sheet.column_dimensions.items() if v.width},
        "heights": {k: v.height for k, v in sheet.row_dimensions.items() if v.height},
        "print_titles": sheet.print_title_rows,
        "paper": (sheet.page_setup.paperSize, sheet.page_setup.orientation),
        "fit": (
            sheet.page_setup.fitToWidth,
            sheet.page_setup.fitToHeight,
            sheet.sheet_properties.pageSetUpPr.fitToPage,
        ),
        "centered": sheet.print_options.horizontalCentered,
        "margins": (sheet.page_margins.left, sheet.page_margins.right, sheet.page_margins.top),
        "footer": sheet.oddFooter.center.text,
    }


@pytest.fixture
def moderate(rectified, clock):
    """The rectified world with 40 more villages, items in every state, progress, extensions and a
    verification, a hostile organisation name; the clock then past some deadlines."""
    w = rectified.world
    extra = add_villages(rectified, 40)
    for item in extra[:4]:
        rect.item_extend(actor=w.shijia_staff, item=item, new_deadline=datetime.date(2026, 7, 1), reason="r")
    for n, item in enumerate(extra[4:10]):
        RectificationEvent.objects.create(item=item, kind=RectificationEventKind.PROGRESS, text=f"已整改{n}")
    RectificationItem.objects.filter(pk__in=[i.pk for i in extra[4:8]]).update(
        status=RectificationStatus.IN_PROGRESS
    )
    RectificationItem.objects.filter(pk=extra[10].pk).update(status=RectificationStatus.RETURNED)
    bring(rectified, rectified.shijia_items[0], RectificationStatus.VERIFIED)
    bring(rectified, rectified.liaoyang_items[0], RectificationStatus.SUBMITTED)
    Organisation.objects.filter(pk=extra[11].organisation_id).update(name=HOSTILE_NAME)
    clock.set(pages.shanghai(2026, 4, 25, 9))
    return rectified


def test_the_streamed_ledger_is_the_old_workbook_cell_for_cell(moderate):
    lines = ["=2025年度台账", "全部事项　导出日期：2026-04-25"]
    with translation.override("zh-hans"):
        old = _book(legacy_ledger.ledger_workbook(_items(moderate), lines))
        new = _book(exports_rectification.ledger_workbook(_items(moderate), lines))
    old_look, new_look = _sheet_look(old.active), _sheet_look(new.active)
    assert len(new_look["cells"]) == 17 * (2 + 1 + 46)
    assert new_look == old_look
    values = [[c.value for c in row] for row in new.active.iter_rows(min_row=4)]
    assert [row[0] for row in values] == list(range(1, 47))
    assert {row[13] for row in values} == {"是", "否"}
    assert any(row[1] == HOSTILE_NAME for row in values)


def test_formula_looking_text_stays_text_in_the_streamed_ledger(moderate):
    content = exports_rectification.ledger_workbook(_items(moderate), ["=1+1", "-筛选"])
    cells = [c for row in _book(content).active.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    hostile = [c for c in cells if exports_rectification.starts_like_a_formula(c.value)]
    assert {c.value for c in hostile} == {"=1+1", "-筛选", HOSTILE_NAME}
    assert all(c.data_type == "s" and c.quotePrefix for c in hostile)


def test_the_ledger_writes_into_a_file_and_reports_progress_up_to_the_total(moderate, tmp_path):
    reports = []
    path = tmp_path / "台账.xlsx"
    with path.open("wb") as out:
        returned = exports_rectification.ledger_workbook(
            _items(moderate), ["台账"], out=out, progress=lambda done, total: reports.append((done, total))
        )
    assert returned is None
    rows = list(_book(path.read_bytes()).active.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 46
    assert reports[0] == (0, 46) and reports[-1] == (46, 46)
    assert [done for done, _total in reports] == sorted(done for done, _total in reports)
    assert {total for _done, total in reports} == {46}


def test_progress_comes_every_percent_but_not_more_than_five_times_a_second(moderate, monkeypatch):
    ticks = iter(range(0, 10**6))

    def slow_clock():  # an eighth of a second between two rows
        return next(ticks) / 8

    monkeypatch.setattr(exports_rectification, "_clock", slow_clock)
    reports = []
    exports_rectification.ledger_workbook(_items(moderate), ["台账"], progress=lambda d, t: reports.append(d))
    # 46 rows: a report is due after every row, but only every other one comes 0.2 s after the last.
    assert reports == [0, *range(2, 46, 2), 46]


def test_progress_is_reported_about_every_percent():
    assert exports_rectification._every(450_000) == 4_500
    assert exports_rectification._every(46) == 1
    assert exports_rectification._every(0) == 1


def test_an_empty_ledger_still_reports_its_end(rectified):
    reports = []
    content = exports_rectification.ledger_workbook(
        RectificationItem.objects.none(), ["台账"], progress=lambda d, t: reports.append((d, t))
    )
    sheet = _book(content).active
    assert reports == [(0, 0), (0, 0)]
    assert sheet.max_row == 2 and sheet.auto_filter.ref == "A2:Q2"


def test_the_queries_do_not_grow_with_the_items(rectified, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as captured:
        exports_rectification.ledger_workbook(_items(rectified), ["台账"], progress=_ignore)
    small = len(captured)
    extra = add_villages(rectified, 60)
    RectificationEvent.objects.bulk_create(
        RectificationEvent(item=item, kind=RectificationEventKind.PROGRESS, text="进展") for item in extra
    )
    assert RectificationItem.objects.count() == 66
    with django_assert_max_num_queries(small):
        content = exports_rectification.ledger_workbook(_items(rectified), ["台账"], progress=_ignore)
    assert len(list(_book(content).active.iter_rows(min_row=3))) == 66
    # The count for the progress total, the secretaries, the items (read in chunks).
    assert small <= 3


def test_control_characters_are_dropped_and_edge_spaces_kept(rectified):
    item = rectified.village_item
    RectificationItem.objects.filter(pk=item.pk).update(
        problem="活动室\x07闲置", measures="  每周开放 ", responsible=""
    )
    content = exports_rectification.ledger_workbook(RectificationItem.objects.filter(pk=item.pk), ["台账"])
    row = next(_book(content).active.iter_rows(min_row=3, values_only=True))
    assert row[7:10] == ("活动室闲置", "  每周开放 ", None)
