"""The results workbook (排名, 分项, 测评主体), checked cell by cell against numbers worked out by hand."""

import io
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pytest
from django.utils import translation

from reviews.downloads import attachment_response, safe_filename
from scoring.ballots import services as ballots_services
from scoring.exports import XLSX
from scoring.results import services as results_services
from scoring.results.exports import EXPORTS, ResultsWorkbook
from scoring.schemes.models import Component, ModeChoice, Scheme

# The example, default scheme (6 items graded 好/较好/一般/差; leaders 60 %, delegates 40 %; 6 codes each):
#   3 leader ballots:   reporter 1 (石匣乡, 王建国) 差 on every item, reporter 2 (辽阳镇, 李春华) 好
#   3 delegate ballots: reporter 1 较好, reporter 2 好
#   2 delegate ballots: reporter 1 一般, reporter 2 较好
# Reporter 2: leaders 18 × 100 / 18 = 100; delegates (18 × 100 + 12 × 80) / 30 = 92;
#             on-site 100 × 0.6 + 92 × 0.4 = 96.80 → 好; votes 好 36, 较好 12; 48 valid votes.
# Reporter 1: leaders 18 × 40 / 18 = 40; delegates (18 × 80 + 12 × 60) / 30 = 72;
#             on-site 40 × 0.6 + 72 × 0.4 = 52.80 → 差; votes 较好 18, 一般 12, 差 18.
# 8 of 12 issued came back: quorum met. Leaders have 3 valid ballots: with the default minimum of 5 their
# means are hidden, and so are the delegates' (they would give the leaders' away through the on-site
# score); `results` lowers the minimum to 3 so every mean is shown.


def cast_example_ballots(world, *, close: bool = True) -> None:
    plan = [
        (world.leader_codes[:3], world.marks("good", r1="poor")),
        (world.delegate_codes[:3], world.marks("good", r1="fairly_good")),
        (world.delegate_codes[3:5], world.marks("fairly_good", r1="average")),
    ]
    for codes, marks in plan:
        for code in codes:
            ballots_services.ballot_submit(code=code.token, marks=marks, submission_key=f"k{code.serial}")
    if close:
        ballots_services.scoring_close(actor=world.county_staff, session=world.session)


def example(world, *, breakdown_min_ballots: int | None = None):
    if breakdown_min_ballots is not None:
        Scheme.objects.filter(pk=world.scheme.pk).update(breakdown_min_ballots=breakdown_min_ballots)
    ballots_services.scoring_open(actor=world.county_staff, session=world.session)
    cast_example_ballots(world)
    return world


@pytest.fixture
def results(scored_closed_scheme):
    return example(scored_closed_scheme, breakdown_min_ballots=3)


@pytest.fixture
def hidden_results(scored_closed_scheme):
    return example(scored_closed_scheme)


def workbook(session):
    with translation.override("zh-hans"):
        filename, content_type, content = ResultsWorkbook().render(session)
    return filename, content_type, openpyxl.load_workbook(io.BytesIO(content))


def values(sheet, row: int) -> list:
    return [cell.value for cell in sheet[row]]


def test_it_is_registered_and_named_after_the_session(results):
    filename, content_type, _ = workbook(results.session)
    assert EXPORTS["results_xlsx"].__class__ is ResultsWorkbook
    assert filename == "2025年度乡镇党委书记抓基层党建工作述职评议会-测评结果.xlsx"
    assert content_type == XLSX


def test_it_has_three_sheets_in_chinese(results):
    _, _, book = workbook(results.session)
    assert book.sheetnames == ["排名", "分项", "测评主体", "现场质询和点评"]


def test_the_ranking_sheet_has_a_merged_title_and_chinese_headers(results):
    sheet = workbook(results.session)[2]["排名"]
    assert sheet["A1"].value == "2025年度乡镇党委书记抓基层党建工作述职评议会（2026年1月16日）"
    assert "A1:O1" in {str(r) for r in sheet.merged_cells.ranges}
    assert values(sheet, 2) == [
        "排名",
        "党组织",
        "书记",
        "点题",
        results.leaders.name,
        results.delegates.name,
        "现场测评得分",
        "综合得分",
        "等次",
        "好",
        "较好",
        "一般",
        "差",
        "有效票",
        "备注",
    ]


def test_reporters_come_in_rank_order_with_the_hand_computed_numbers(results):
    sheet = workbook(results.session)[2]["排名"]
    first, second = values(sheet, 3), values(sheet, 4)
    assert first[:4] == [1, "中共辽阳镇委员会", "李春华", None]
    assert first[4:] == [100, 92, pytest.approx(96.8), pytest.approx(96.8), "好", 36, 12, 0, 0, 48, None]
    assert second[:4] == [2, "中共石匣乡委员会", "王建国", None]
    assert second[4:] == [40, 72, pytest.approx(52.8), pytest.approx(52.8), "差", 0, 18, 12, 18, 48, "需约谈"]


def test_scores_are_numbers_shown_with_two_decimals(results):
    sheet = workbook(results.session)[2]["排名"]
    for column in "FGH":
        assert isinstance(sheet[f"{column}3"].value, int | float)
        assert sheet[f"{column}3"].number_format == "0.00"


def test_a_group_under_five_ballots_hides_every_group_score_with_a_note(hidden_results):
    results = hidden_results
    sheet = workbook(results.session)[2]["排名"]
    for cell in ("E3", "E4", "F3", "F4"):
        assert sheet[cell].value is None
        assert sheet[cell].comment.text == "不足5票不公开"
    assert sheet["G3"].value == pytest.approx(96.8)
    footnotes = [sheet.cell(row=row, column=1).value for row in range(6, sheet.max_row + 1)]
    assert (
        f"{results.leaders.name}、{results.delegates.name}：部分得分不公开，因某一测评主体的有效票不足5张，"
        "公开其他主体的得分即可推算出该主体得分（仍计入现场测评得分）。"
    ) in footnotes
    assert "收回有效票和废票共8张，超过发出12张的1/2，会议测评结果有效。" in footnotes


def test_the_header_is_frozen_and_every_sheet_prints_on_a4_landscape(results):
    book = workbook(results.session)[2]
    assert book["排名"].freeze_panes == "C3"
    for sheet in book:
        assert sheet.freeze_panes is not None
        assert sheet.page_setup.orientation == "landscape"
        assert int(sheet.page_setup.paperSize) == 9  # A4
        assert int(sheet.page_setup.fitToWidth) == 1
        assert int(sheet.page_setup.fitToHeight) == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$2"
        assert sheet.oddFooter.center.text == "第 &P 页 / 共 &N 页"
    assert book["排名"].column_dimensions["B"].width == 26


def test_the_breakdown_sheet_gives_each_items_means(results):
    sheet = workbook(results.session)[2]["分项"]
    items = [c.name for c in results.criteria]
    assert values(sheet, 2) == [
        "排名",
        "党组织",
        "书记",
        "评价要素",
        "加权平均",
        results.leaders.name,
        results.delegates.name,
    ]
    assert sheet.max_row == 2 + 2 * len(items)
    assert values(sheet, 3) == [1, "中共辽阳镇委员会", "李春华", items[0], pytest.approx(96.8), 100, 92]
    assert values(sheet, 3 + len(items)) == [
        2,
        "中共石匣乡委员会",
        "王建国",
        items[0],
        pytest.approx(52.8),
        40,
        72,
    ]
    assert [sheet.cell(row=r, column=4).value for r in range(3, 3 + len(items))] == items
    assert sheet["F3"].comment is None


def test_the_groups_sheet_counts_turnout_per_group(results):
    sheet = workbook(results.session)[2]["测评主体"]
    assert values(sheet, 2) == [
        "测评主体",
        "权重（%）",
        "发出测评码",
        "发出纸质票",
        "收回",
        "有效",
        "无效",
        "作废",
        "回收率",
    ]
    assert values(sheet, 3) == [results.leaders.name, 60, 6, 0, 3, 3, 0, 0, 0.5]
    assert values(sheet, 4)[:8] == [results.delegates.name, 40, 6, 0, 5, 5, 0, 0]
    assert values(sheet, 4)[8] == pytest.approx(5 / 6)
    assert values(sheet, 5)[:8] == ["合计", 100, 12, 0, 8, 8, 0, 0]
    assert values(sheet, 5)[8] == pytest.approx(8 / 12)
    assert sheet["I3"].number_format == "0.00%"
    assert sheet["A7"].value == "收回有效票和废票共8张，超过发出12张的1/2，会议测评结果有效。"


def test_a_missed_quorum_is_stated(scored):
    code = scored.leader_codes[0]
    ballots_services.ballot_submit(code=code.token, marks=scored.marks("good"), submission_key="only")
    ballots_services.scoring_close(actor=scored.county_staff, session=scored.session)
    sheet = workbook(scored.session)[2]["测评主体"]
    assert sheet["A7"].value == "收回有效票和废票共1张，未超过发出12张的1/2，会议测评结果无效。"


def test_components_get_a_column_and_a_reporter_without_one_comes_last_unranked(scored_closed_scheme):
    world = scored_closed_scheme
    Scheme.objects.filter(pk=world.scheme.pk).update(onsite_share=Decimal(40))
    daily = Component.objects.create(scheme=world.scheme, name="日常考核", share=Decimal(60), order=1)
    ballots_services.scoring_open(actor=world.county_staff, session=world.session)
    cast_example_ballots(world)
    liaoyang = world.reports[1]
    results_services.component_score_set(
        actor=world.county_staff, report=liaoyang, component=daily, value=Decimal(90)
    )

    sheet = workbook(world.session)[2]["排名"]
    headers = values(sheet, 2)
    assert headers[6:9] == ["现场测评得分", "日常考核", "综合得分"]
    # 96.8 × 40 % + 90 × 60 % = 38.72 + 54 = 92.72
    assert values(sheet, 3)[:3] == [1, "中共辽阳镇委员会", "李春华"]
    assert values(sheet, 3)[6:10] == [pytest.approx(96.8), 90, pytest.approx(92.72), "好"]
    last = values(sheet, 4)
    assert last[:3] == [None, "中共石匣乡委员会", "王建国"]
    assert last[6:10] == [pytest.approx(52.8), None, None, None]
    assert last[-1].startswith("缺日常考核，不计综合得分、不定等次、不排名")


def test_points_mode_has_no_grade_count_columns_and_shows_maxima(scored_closed_scheme):
    world = scored_closed_scheme
    Scheme.objects.filter(pk=world.scheme.pk).update(mode=ModeChoice.POINTS)
    maxima = [20, 20, 20, 20, 10, 10]
    for criterion, maximum in zip(world.criteria, maxima, strict=True):
        criterion.max_points = Decimal(maximum)
        criterion.save()
    ballots_services.scoring_open(actor=world.county_staff, session=world.session)
    full = {(r.pk, c.pk): str(c.max_points) for r in world.reports for c in world.criteria}
    half = {
        (r.pk, c.pk): str(c.max_points / 2 if r.order == 1 else c.max_points)
        for r in world.reports
        for c in world.criteria
    }
    for code in world.delegate_codes[:5]:
        ballots_services.ballot_submit(code=code.token, marks=half, submission_key="p")
    ballots_services.ballot_submit(code=world.leader_codes[0].token, marks=full, submission_key="p")
    ballots_services.scoring_close(actor=world.county_staff, session=world.session)

    book = workbook(world.session)[2]
    ranking = book["排名"]
    assert "好" not in values(ranking, 2)
    assert values(ranking, 2)[-2:] == ["有效票", "备注"]
    # Reporter 2: every ballot gives full marks → 100. Reporter 1: the one leader 100, delegates 50:
    # 100 × 0.6 + 50 × 0.4 = 80. Item 1 (max 20): leaders 20, delegates 10 → 20 × 0.6 + 10 × 0.4 = 16.
    # The leaders' single ballot hides both groups' scores (one would give the other away).
    assert values(ranking, 3)[:2] == [1, "中共辽阳镇委员会"]
    assert values(ranking, 4)[4:8] == [None, None, pytest.approx(80), pytest.approx(80)]
    breakdown = book["分项"]
    assert values(breakdown, 2)[3:6] == ["测评指标", "满分", "加权平均"]
    assert values(breakdown, 3 + 6)[3:] == [world.criteria[0].name, 20, pytest.approx(16), None, None]


def test_attachment_response_sends_the_chinese_name_per_rfc_5987():
    name = "2025年度述职评议会-测评结果.xlsx"
    response = attachment_response(name, XLSX, b"data")
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"download.xlsx\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    assert response["Cache-Control"] == "private, no-store"
    assert response.content == b"data"


def test_attachment_response_keeps_an_ascii_name_and_strips_path_characters():
    response = attachment_response('../results "final".xlsx', XLSX, b"")
    assert response["Content-Disposition"].startswith('attachment; filename="_results _final_.xlsx";')
    assert safe_filename("a/b\\c:d*e?.pdf") == "a_b_c_d_e_.pdf"


def test_the_workbook_never_asks_a_sheet_for_its_size_row_by_row(results, monkeypatch):
    """`max_row` scans every cell; read once per row it made the sheets quadratic. The rows are counted."""
    from openpyxl.worksheet.worksheet import Worksheet

    reads = []
    real = Worksheet.max_row

    def counted(sheet):
        reads.append(sheet.title)
        return real.fget(sheet)

    monkeypatch.setattr(Worksheet, "max_row", property(counted))
    _filename, _type, book = workbook(results.session)
    # Only saving (the formula check iterates the cells) and reading back ask, once a sheet each; before,
    # every row and footnote asked too.
    assert sorted(reads) == sorted(sheet.title for sheet in book.worksheets for _ in range(2))
    assert book["分项"].max_row == 2 + 2 * 6
