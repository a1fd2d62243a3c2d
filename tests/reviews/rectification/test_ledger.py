"""整改台账: the Excel ledger of a cycle, cell by cell, its filters and scope, print settings, the command."""

from __future__ import annotations

import datetime
import io
from unittest import mock
from urllib.parse import quote, urlencode

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from reviews.jobs.models import Job
from reviews.rectification import exports as exports_rectification
from reviews.rectification import services as rect
from reviews.rectification.models import RectificationItem, RectificationStatus
from tests.conftest import run_queued_jobs
from tests.reviews.rectification import test_pages as pages
from tests.reviews.rectification.test_pages import (
    UTC,
    add_villages,
    as_user,
    bring,
    shanghai,
)

HEADERS = [
    "No.",
    "Party organisation",
    "Secretary",
    "Session handing over",
    "Notice number",
    "Source",
    "Problem category",
    "Problem",
    "Rectification measures",
    "Responsible person",
    "Deadline",
    "Original deadline",
    "Status",
    "Overdue",
    "Latest progress",
    "Verified by",
    "Verified at",
]
HEADER_ROW = 3
COLUMN = {name: n for n, name in enumerate(HEADERS, start=1)}

# The pages' autouse fixtures: Chinese after each test, uploads in a temporary folder, and the clock at
# 2026-03-01 10:00 in Shanghai.
chinese_after = pages.chinese_after
clock = pages.clock
evidence_storage = pages.evidence_storage


@pytest.fixture(autouse=True)
def jobs(db, run_jobs):
    """The ledger is written by the job worker: `_get` runs the queued job in this process."""
    return run_jobs


def _get(client, user, rectified, **params):
    """Start the ledger job with these filters (they ride in the query string), run it, download its file."""
    url = reverse("rectification:ledger", args=[rectified.world.cycle.pk])
    started = as_user(client, user).post(f"{url}?{urlencode(params)}" if params else url)
    assert started.status_code == 302
    job = Job.objects.get(pk=started["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert started["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.params["query"] == urlencode(params)
    run_queued_jobs()
    job.refresh_from_db()
    assert job.status == "done", job.error
    response = client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 200
    return response


def _sheet(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).active


def _rows(sheet) -> list[list]:
    return [
        [cell.value for cell in row] for row in sheet.iter_rows(min_row=HEADER_ROW + 1, max_col=len(HEADERS))
    ]


def _value(row: list, name: str):
    return row[COLUMN[name] - 1]


def test_the_ledger_is_an_excel_download_with_a_chinese_name(client, rectified):
    response = _get(client, rectified.world.county_staff, rectified)
    assert response["Content-Type"] == exports_rectification.XLSX
    disposition = response["Content-Disposition"]
    expected = "2025年度抓基层党建工作述职评议-rectification-ledger-2026-03-01.xlsx"
    assert disposition == (
        f"attachment; filename=\"download.xlsx\"; filename*=UTF-8''{quote(expected, safe='')}"
    )
    assert response["Cache-Control"] == "private, no-store"


def test_the_title_header_and_rows_cell_by_cell(client, rectified):
    w = rectified.world
    item = rectified.shijia_items[0]
    rect.item_progress(actor=rectified.wang, item=item, text="已召开专题会议")
    rect.item_submit(actor=rectified.wang, item=item, text="台账已补齐")
    rect.item_verify(actor=w.county_staff, item=item, text="属实")
    rect.item_extend(
        actor=w.county_staff,
        item=rectified.liaoyang_items[1],
        new_deadline=datetime.date(2026, 6, 30),
        reason="r",
    )
    sheet = _sheet(_get(client, w.county_staff, rectified).getvalue())

    assert sheet["A1"].value == "2025年度抓基层党建工作述职评议 rectification ledger"
    assert sheet["A2"].value == "All items　Exported on 2026-03-01"
    assert [cell.value for cell in sheet[HEADER_ROW]] == HEADERS
    rows = _rows(sheet)
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5, 6]
    # Nothing overdue on 2026-03-01: by deadline, then in tree order (石匣乡, 石匣村, 辽阳镇).
    assert [_value(r, "Party organisation") for r in rows] == [
        "中共石匣乡委员会",
        "中共石匣乡委员会",
        "石匣村党支部",
        "中共辽阳镇委员会",
        "中共石匣乡委员会",
        "中共辽阳镇委员会",
    ]
    first = rows[0]
    assert _value(first, "Secretary") == "王建国"
    assert _value(first, "Session handing over") == w.county_session.title
    assert _value(first, "Notice number") == "[2026] No. 1"
    assert _value(first, "Source") == "Found by the superior committee"
    assert _value(first, "Problem category") == "组织生活"
    assert _value(first, "Problem") == "“三会一课”记录不全，组织生活会流于形式"
    assert _value(first, "Rectification measures") == "每月检查支部台账，年底前补齐记录"
    assert _value(first, "Responsible person") == "书记"
    assert _value(first, "Deadline") == datetime.datetime(2026, 4, 20)
    assert _value(first, "Original deadline") is None
    assert _value(first, "Status") == "Verified closed"
    assert _value(first, "Overdue") == "No"
    assert _value(first, "Latest progress") == "2026-03-01 台账已补齐"
    assert _value(first, "Verified by") == "county"
    assert _value(first, "Verified at") == datetime.datetime(2026, 3, 1, 10, 0)  # Shanghai time
    village = rows[2]
    assert _value(village, "Secretary") == "赵小军"
    assert _value(village, "Session handing over") == w.shijia_session.title
    assert _value(village, "Status") == "To be rectified"
    assert _value(village, "Latest progress") is None
    extended = rows[5]
    assert _value(extended, "Problem") == "组织生活会查摆问题不深"
    assert _value(extended, "Deadline") == datetime.datetime(2026, 6, 30)
    assert _value(extended, "Original deadline") == datetime.datetime(2026, 4, 20)


def test_dates_are_real_excel_dates(client, rectified):
    item = bring(rectified, rectified.shijia_items[0], RectificationStatus.VERIFIED)
    assert item.verified_at is not None
    sheet = _sheet(_get(client, rectified.world.county_staff, rectified).getvalue())
    deadline = sheet.cell(row=HEADER_ROW + 1, column=COLUMN["Deadline"])
    assert deadline.is_date and deadline.number_format == "yyyy-mm-dd"
    verified = sheet.cell(row=HEADER_ROW + 1, column=COLUMN["Verified at"])
    assert verified.is_date and verified.number_format == "yyyy-mm-dd hh:mm"


def test_the_sheet_is_set_up_for_printing(client, rectified):
    sheet = _sheet(_get(client, rectified.world.county_staff, rectified).getvalue())
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == "9"  # A4
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$3"
    assert sheet.freeze_panes == "C4"
    assert sheet.column_dimensions["H"].width == 34
    assert sheet.cell(row=HEADER_ROW + 1, column=COLUMN["Problem"]).alignment.wrap_text
    assert sheet.cell(row=1, column=1).font.bold
    assert "A1:Q1" in {str(r) for r in sheet.merged_cells.ranges}


def test_the_ledger_follows_the_lists_filters(client, rectified):
    w = rectified.world
    bring(rectified, rectified.liaoyang_items[0], RectificationStatus.SUBMITTED)
    sheet = _sheet(_get(client, w.county_staff, rectified, status="submitted").getvalue())
    rows = _rows(sheet)
    assert [_value(r, "Problem") for r in rows] == ["党员发展把关不严"]
    assert sheet["A2"].value.startswith("Status: Awaiting verification")
    rows = _rows(_sheet(_get(client, w.county_staff, rectified, level="2").getvalue()))
    assert [_value(r, "Party organisation") for r in rows] == ["石匣村党支部"]
    rows = _rows(_sheet(_get(client, w.county_staff, rectified, session=str(w.shijia_session.pk)).getvalue()))
    assert [_value(r, "Party organisation") for r in rows] == ["石匣村党支部"]
    rows = _rows(_sheet(_get(client, w.county_staff, rectified, q="辽阳").getvalue()))
    assert {_value(r, "Party organisation") for r in rows} == {"中共辽阳镇委员会"}
    assert len(rows) == 2


def test_township_staff_get_only_their_subtree(client, rectified):
    rows = _rows(_sheet(_get(client, rectified.world.shijia_staff, rectified).getvalue()))
    organisations = [_value(r, "Party organisation") for r in rows]
    assert len(organisations) == 4
    assert "中共辽阳镇委员会" not in organisations
    assert not any("辽阳" in (_value(r, "Party organisation") or "") for r in rows)
    rows = _rows(_sheet(_get(client, rectified.world.liaoyang_staff, rectified).getvalue()))
    assert {_value(r, "Party organisation") for r in rows} == {"中共辽阳镇委员会"}


def test_the_ledger_is_for_staff_only(client, rectified):
    url = reverse("rectification:ledger", args=[rectified.world.cycle.pk])
    assert as_user(client, rectified.wang).post(url).status_code == 403
    as_user(client, rectified.world.county_staff)
    assert client.get(url).status_code == 405  # a job is started by a POST only
    client.logout()
    assert client.post(url).status_code == 302
    assert not Job.objects.exists()


def test_overdue_in_the_ledger_turns_at_midnight_in_shanghai(client, rectified):
    def overdue_column():
        rows = _rows(_sheet(_get(client, rectified.world.county_staff, rectified, q="石匣村").getvalue()))
        assert len(rows) == 1
        return _value(rows[0], "Overdue")

    with mock.patch(
        "django.utils.timezone.now", return_value=datetime.datetime(2026, 4, 20, 15, 59, 59, tzinfo=UTC)
    ):
        assert overdue_column() == "No"
        assert (
            _rows(_sheet(_get(client, rectified.world.county_staff, rectified, overdue="yes").getvalue()))
            == []
        )
    with mock.patch(
        "django.utils.timezone.now", return_value=datetime.datetime(2026, 4, 20, 16, 0, 0, tzinfo=UTC)
    ):
        assert overdue_column() == "Yes"
        rows = _rows(_sheet(_get(client, rectified.world.county_staff, rectified, overdue="yes").getvalue()))
        assert len(rows) == 5  # all but 石匣乡's second item (deadline 5-20)


def test_overdue_rows_come_first(client, rectified, clock):
    rect.item_extend(
        actor=rectified.world.county_staff,
        item=rectified.shijia_items[0],
        new_deadline=datetime.date(2026, 4, 30),
        reason="r",
    )
    bring(rectified, rectified.liaoyang_items[0], RectificationStatus.SUBMITTED)
    clock.set(shanghai(2026, 4, 25, 9))
    rows = _rows(_sheet(_get(client, rectified.world.county_staff, rectified).getvalue()))
    assert [_value(r, "Overdue") for r in rows] == ["Yes", "Yes", "Yes", "No", "No", "No"]
    assert [_value(r, "Problem") for r in rows[3:]] == [
        "党员发展把关不严",  # submitted, deadline 4-20
        "“三会一课”记录不全，组织生活会流于形式",  # extended to 4-30
        "村级集体经济增收办法不多",  # 5-20
    ]


def test_building_the_workbook_takes_a_fixed_number_of_queries(rectified, django_assert_max_num_queries):
    lines = ["台账"]

    def build():
        items = exports_rectification.ordered(
            RectificationItem.objects.filter(cycle=rectified.world.cycle), rect.today()
        )
        return exports_rectification.ledger_workbook(items, lines)

    with CaptureQueriesContext(connection) as small:
        build()
    extra = add_villages(rectified, 10)
    for item in extra[:3]:
        rect.item_extend(
            actor=rectified.world.shijia_staff, item=item, new_deadline=datetime.date(2026, 7, 1), reason="r"
        )
    bring(rectified, rectified.shijia_items[0], RectificationStatus.VERIFIED)
    with django_assert_max_num_queries(len(small.captured_queries)):
        content = build()
    rows = [[c.value for c in row] for row in _sheet(content).iter_rows(min_row=3)]
    assert len(rows) == 16 and {r[2] for r in rows} >= {"书记00", "书记09", "王建国"}
    assert len(small.captured_queries) <= 3


def test_the_workbook_in_chinese(rectified):
    with translation.override("zh-hans"):
        items = RectificationItem.objects.filter(pk=rectified.village_item.pk)
        sheet = _sheet(exports_rectification.ledger_workbook(items, ["台账", "筛选"]))
    assert sheet["A1"].value == "台账" and sheet["A2"].value == "筛选"
    assert sheet.cell(row=HEADER_ROW, column=COLUMN["Party organisation"]).value == "党组织"
    assert sheet.cell(row=HEADER_ROW + 1, column=COLUMN["Problem"]).value == "党员活动室长期闲置"


# ---------------------------------------------------------------------------------------------------
# The command


def test_the_command_writes_every_organisations_items(tmp_path, rectified):
    out = tmp_path / "台账.xlsx"
    stdout = io.StringIO()
    call_command("export_ledger", str(rectified.world.cycle.pk), str(out), stdout=stdout)
    rows = _rows(_sheet(out.read_bytes()))
    assert len(rows) == 6
    assert {_value(r, "Party organisation") for r in rows} == {
        "中共石匣乡委员会",
        "中共辽阳镇委员会",
        "石匣村党支部",
    }
    assert "6" in stdout.getvalue()
    assert _sheet(out.read_bytes())["A1"].value.startswith("2025年度抓基层党建工作述职评议")


def test_the_command_filters(tmp_path, rectified, clock):
    w = rectified.world
    out = tmp_path / "ledger.xlsx"
    bring(rectified, rectified.shijia_items[1], RectificationStatus.SUBMITTED)
    call_command("export_ledger", str(w.cycle.pk), str(out), "--status", "submitted", stdout=io.StringIO())
    assert [_value(r, "Problem") for r in _rows(_sheet(out.read_bytes()))] == ["村级集体经济增收办法不多"]
    call_command(
        "export_ledger",
        str(w.cycle.pk),
        str(out),
        "--session",
        str(w.shijia_session.pk),
        stdout=io.StringIO(),
    )
    assert [_value(r, "Problem") for r in _rows(_sheet(out.read_bytes()))] == ["党员活动室长期闲置"]
    clock.set(shanghai(2026, 4, 21, 8))
    call_command("export_ledger", str(w.cycle.pk), str(out), "--overdue", stdout=io.StringIO())
    problems = {_value(r, "Problem") for r in _rows(_sheet(out.read_bytes()))}
    assert len(problems) == 5 and "村级集体经济增收办法不多" not in problems


def test_the_command_refuses_an_unknown_cycle_or_session(tmp_path, rectified):
    out = tmp_path / "ledger.xlsx"
    with pytest.raises(CommandError):
        call_command("export_ledger", "999", str(out), stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command(
            "export_ledger", str(rectified.world.cycle.pk), str(out), "--session", "999", stdout=io.StringIO()
        )
    assert not out.exists()
