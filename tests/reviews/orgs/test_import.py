"""The Excel import of organisations and secretaries: parse → plan → apply."""

import datetime
import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from reviews.audit.models import AuditEvent
from reviews.orgs import imports, services
from reviews.orgs.imports import (
    ORG_HEADERS,
    ORG_SHEET,
    SECRETARY_HEADERS,
    SECRETARY_SHEET,
    apply_plan,
    build_template_workbook,
    parse_workbook,
)
from reviews.orgs.models import Appointment, Organisation, Person, secretary_on

D = datetime.date


@pytest.fixture(autouse=True)
def _english_messages():
    # Messages are compared in English here; test_it_reports_problems_in_chinese covers the catalogue.
    with translation.override("en"):
        yield


def test_it_reports_problems_in_chinese(db):
    plan = parse_workbook(b"not a workbook")
    with translation.override("zh-hans"):
        assert "该文件不是可读取的Excel工作簿" in plan.problems[0].message


def workbook(
    orgs=(), secretaries=(), *, org_headers=ORG_HEADERS, secretary_headers=SECRETARY_HEADERS
) -> bytes:
    """An import file built the way a user would fill the template."""
    book = openpyxl.Workbook()
    sheets = [(book.active, ORG_SHEET, org_headers, orgs)]
    if secretary_headers is not None:
        sheets.append((book.create_sheet(), SECRETARY_SHEET, secretary_headers, secretaries))
    for sheet, title, headers, rows in sheets:
        sheet.title = title
        sheet.append(list(headers))
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def stored() -> tuple[int, int, int, int]:
    return (
        Organisation.objects.count(),
        Person.objects.count(),
        Appointment.objects.count(),
        AuditEvent.objects.count(),
    )


def where(plan) -> list[tuple]:
    return [(p.sheet, p.row, p.column, p.code) for p in plan.problems]


NEW_TOWN = [
    # the child comes first: the import orders parents before children itself
    ("T03V01", "新华村党支部", "", "T03", "党支部", "农村"),
    ("T03", "中共新华镇委员会", "新华镇党委", "C01", "党委", ""),
    ("T01V03", "北坡村党支部", "", "T01", "党支部", "农村"),
]
NEW_SECRETARIES = [
    ("T03", "张新", "男", "镇党委书记", datetime.datetime(2024, 3, 1)),
    ("T03V01", "李四", "女", "村党支部书记", "2024-05-01"),
]


# -- happy path


def test_it_plans_and_creates_organisations_and_secretaries(world):
    plan = parse_workbook(workbook(NEW_TOWN, NEW_SECRETARIES), actor=world.county_staff)
    assert plan.problems == []
    assert [c.code for c in plan.to_create] == ["T03V01", "T03", "T01V03"]
    assert [c.name for c in plan.to_appoint] == ["张新", "李四"]

    summary = apply_plan(plan, actor=world.county_staff)

    assert (summary.organisations_created, summary.secretaries_appointed, summary.handovers) == (3, 2, 0)
    town, village = Organisation.objects.get(code="T03"), Organisation.objects.get(code="T03V01")
    assert town.path == f"{world.county.path}{town.pk:08d}/" and town.depth == 1
    assert village.path == f"{town.path}{village.pk:08d}/" and village.depth == 2
    assert village.sector == "rural" and town.kind == "committee" and town.short_name == "新华镇党委"
    assert Organisation.objects.get(code="T01V03").parent == world.shijia
    assert secretary_on(town, D(2024, 3, 1)).name == "张新"
    assert secretary_on(village, D(2025, 1, 1)).gender == "F"
    assert Appointment.objects.get(person__name="张新").title == "镇党委书记"


def test_it_records_one_import_event_with_the_counts(world):
    apply_plan(parse_workbook(workbook(NEW_TOWN, NEW_SECRETARIES)), actor=world.county_staff)
    event = AuditEvent.objects.get(action="import.apply")
    assert event.actor == world.county_staff
    assert event.organisation == Organisation.objects.get(code="T03")  # the highest organisation touched
    assert event.changes["organisations_created"] == 3
    assert event.changes["secretaries_appointed"] == 2
    # One entry for the whole import, not one per row (the bulk import of issue 14).
    assert AuditEvent.objects.exclude(action="import.apply").filter(actor=world.county_staff).count() == 0


def test_importing_the_same_file_twice_changes_nothing_the_second_time(world):
    data = workbook(NEW_TOWN, NEW_SECRETARIES)
    apply_plan(parse_workbook(data), actor=None)
    before = stored()

    again = parse_workbook(data)

    assert again.problems == [] and not again.has_changes
    assert again.counts()["organisations_unchanged"] == 3
    assert again.counts()["secretaries_unchanged"] == 2
    summary = apply_plan(again, actor=None)
    assert summary.as_dict() == dict.fromkeys(summary.as_dict(), 0)
    assert stored() == before  # not even an import.apply event


def test_a_renamed_organisation_shows_old_and_new(world):
    rows = [("T01V01", "石匣村党总支", "", "T01", "党总支", "农村")]
    plan = parse_workbook(workbook(rows))
    [change] = plan.to_update
    assert change.changes == {"name": ("石匣村党支部", "石匣村党总支"), "kind": ("branch", "general_branch")}
    with translation.override("en"):
        assert change.change_lines() == [
            ("name", "石匣村党支部", "石匣村党总支"),
            ("kind", "Party branch", "General party branch"),
        ]
    apply_plan(plan, actor=None)
    world.shijia_v1.refresh_from_db()
    assert (world.shijia_v1.name, world.shijia_v1.kind) == ("石匣村党总支", "general_branch")


def test_moves_that_swap_parent_and_child_keep_every_path_right(world):
    # Before: 石匣乡 → 石匣村. After: 石匣村 under the county, 石匣乡 under 石匣村.
    rows = [
        ("T01", "中共石匣乡委员会", "", "T01V01", "党委", ""),
        ("T01V01", "石匣村党支部", "", "C01", "党支部", "农村"),
    ]
    plan = parse_workbook(workbook(rows))
    assert plan.problems == []
    apply_plan(plan, actor=None)
    for org in Organisation.objects.all():
        assert org.path == org.computed_path(), org.code
    assert Organisation.objects.get(code="T01V02").path.startswith(
        Organisation.objects.get(code="T01V01").path
    )


def test_a_later_secretary_hands_over_from_the_present_one(world):
    plan = parse_workbook(workbook(secretaries=[("T01", "赵六", "男", "党委书记", "2025/6/1")]))
    [change] = plan.handovers
    assert [(c.person_name, c.end_date) for c in change.closes] == [("王建国", D(2025, 5, 31))]

    apply_plan(plan, actor=None)

    assert Appointment.objects.get(person=world.shijia_secretary).end_date == D(2025, 5, 31)
    assert secretary_on(world.shijia, D(2025, 5, 31)) == world.shijia_secretary
    assert secretary_on(world.shijia, D(2025, 6, 1)).name == "赵六"
    assert (
        parse_workbook(workbook(secretaries=[("T01", "赵六", "男", "党委书记", "2025/6/1")])).has_changes
        is False
    )


def test_the_present_secretary_with_the_same_date_is_unchanged_and_a_new_title_is_an_update(world):
    same = parse_workbook(workbook(secretaries=[("T01", "王建国", "男", "", "2021-01-01")]))
    assert [c.action for c in same.secretaries] == ["unchanged"]

    titled = parse_workbook(workbook(secretaries=[("T01", "王建国", "男", "乡党委书记", "2021-01-01")]))
    [change] = titled.secretary_updates
    assert change.changes == {"title": ("", "乡党委书记")}
    apply_plan(titled, actor=None)
    assert Appointment.objects.get(person=world.shijia_secretary).title == "乡党委书记"
    assert Person.objects.filter(name="王建国").count() == 1


@pytest.mark.parametrize(
    "cell", [datetime.datetime(2021, 1, 1), "2021-01-01", "2021/1/1", "2021年1月1日", " 2021-1-1 "]
)
def test_it_accepts_excel_dates_and_the_usual_written_forms(world, cell):
    plan = parse_workbook(workbook(secretaries=[("T01V01", "钱七", "女", "", cell)]))
    assert plan.problems == []
    assert plan.secretaries[0].start_date == D(2021, 1, 1)


def test_codes_compare_as_text_cells_are_stripped_and_empty_rows_are_skipped(world):
    rows = [
        (101, " 一号党支部 ", None, "T01", "branch", "rural"),
        (None, None, None, None, None, None),
        ("102", "二号党支部", "", 101.0, "党支部", ""),
    ]
    plan = parse_workbook(workbook(rows, [(101, "孙八", "M", None, "2022-02-02")]))
    assert plan.problems == []
    assert [(c.code, c.name, c.parent_code, c.row) for c in plan.to_create] == [
        ("101", "一号党支部", "T01", 2),
        ("102", "二号党支部", "101", 4),
    ]
    apply_plan(plan, actor=None)
    assert Organisation.objects.get(code="102").parent.code == "101"
    assert secretary_on(Organisation.objects.get(code="101"), D(2023, 1, 1)).gender == "M"


def test_township_staff_may_import_in_their_own_subtree(world):
    rows = [("T01V03", "北坡村党支部", "", "T01", "党支部", "农村")]
    plan = parse_workbook(
        workbook(rows, [("T01V03", "周九", "男", "", "2024-01-01")]), actor=world.shijia_staff
    )
    assert plan.problems == []
    apply_plan(plan, actor=world.shijia_staff)
    assert Organisation.objects.get(code="T01V03").is_descendant_of(world.shijia)


def test_unchanged_rows_outside_the_scope_are_no_problem(world):
    rows = [
        ("C01", "中共示范县委员会", "", "", "党委", ""),
        ("T02", "中共辽阳镇委员会", "", "C01", "党委", ""),
    ]
    assert parse_workbook(workbook(rows), actor=world.shijia_staff).problems == []


# -- every kind of bad row: where it is, and nothing written


def _rows_with(**cells) -> list[tuple]:
    row = {
        "编码": "T01V09",
        "名称": "新村党支部",
        "简称": "",
        "上级编码": "T01",
        "类型": "党支部",
        "领域": "农村",
    }
    row.update(cells)
    return [tuple(row[h] for h in ORG_HEADERS)]


BAD_FILES = {
    "missing header": (
        lambda: workbook(org_headers=("编码", "名称", "简称", "上级", "类型", "领域")),
        (ORG_SHEET, 1, "上级编码", "missing_header"),
        "The header row has no column “上级编码”",
    ),
    "missing sheet": (
        lambda: workbook(secretary_headers=None),
        (SECRETARY_SHEET, None, "", "missing_sheet"),
        "no sheet named “书记”",
    ),
    "empty name": (
        lambda: workbook(_rows_with(名称="  ")),
        (ORG_SHEET, 2, "名称", "required"),
        "must not be empty",
    ),
    "empty code": (
        lambda: workbook(_rows_with(编码=None)),
        (ORG_SHEET, 2, "编码", "required"),
        "must not be empty",
    ),
    "duplicate code": (
        lambda: workbook(_rows_with() + _rows_with(名称="另一个")),
        (ORG_SHEET, 3, "编码", "duplicate_code"),
        "already used on row 2",
    ),
    "unknown parent": (
        lambda: workbook(_rows_with(上级编码="X99")),
        (ORG_SHEET, 2, "上级编码", "unknown_parent"),
        "“X99” is neither in this file",
    ),
    "cycle with the database": (
        lambda: workbook([("T01", "中共石匣乡委员会", "", "T01V01", "党委", "")]),
        (ORG_SHEET, 2, "上级编码", "cycle"),
        "T01 → T01V01 → T01",
    ),
    "cycle onto itself": (
        lambda: workbook(_rows_with(上级编码="T01V09")),
        (ORG_SHEET, 2, "上级编码", "cycle"),
        "T01V09 → T01V09",
    ),
    "unknown kind": (
        lambda: workbook(_rows_with(类型="支部")),
        (ORG_SHEET, 2, "类型", "unknown_kind"),
        "“支部” is not one of: 党委、党工委、党组、党总支、党支部",
    ),
    "unknown sector": (
        lambda: workbook(_rows_with(领域="乡村")),
        (ORG_SHEET, 2, "领域", "unknown_sector"),
        "“乡村” is not one of",
    ),
    "too long": (
        lambda: workbook(_rows_with(名称="长" * 121)),
        (ORG_SHEET, 2, "名称", "too_long"),
        "At most 120 characters",
    ),
    "unknown gender": (
        lambda: workbook(secretaries=[("T01V01", "钱七", "未知", "", "2021-01-01")]),
        (SECRETARY_SHEET, 2, "性别", "unknown_gender"),
        "“未知” is not one of: 男、女",
    ),
    "bad date": (
        lambda: workbook(secretaries=[("T01V01", "钱七", "女", "", "2021-13-01")]),
        (SECRETARY_SHEET, 2, "任职日期", "bad_date"),
        "“2021-13-01” is not a date",
    ),
    "missing date": (
        lambda: workbook(secretaries=[("T01V01", "钱七", "女", "", None)]),
        (SECRETARY_SHEET, 2, "任职日期", "required"),
        "must not be empty",
    ),
    "secretary of an unknown organisation": (
        lambda: workbook(secretaries=[("X99", "钱七", "女", "", "2021-01-01")]),
        (SECRETARY_SHEET, 2, "党组织编码", "unknown_organisation"),
        "No party organisation has the code “X99”",
    ),
    "two secretary rows for one organisation": (
        lambda: workbook(
            secretaries=[
                ("T01V01", "钱七", "女", "", "2021-01-01"),
                ("T01V01", "孙八", "男", "", "2023-01-01"),
            ]
        ),
        (SECRETARY_SHEET, 3, "任职日期", "overlapping_secretary"),
        "Row 2 already names a secretary",
    ),
    "a secretary starting on the present one's first day": (
        lambda: workbook(secretaries=[("T01", "赵六", "男", "", "2021-01-01")]),
        (SECRETARY_SHEET, 2, "任职日期", "overlapping_secretary"),
        "王建国 is secretary of this organisation since 2021-01-01",
    ),
    "a secretary starting before the present one": (
        lambda: workbook(secretaries=[("T01", "赵六", "男", "", "2020-06-01")]),
        (SECRETARY_SHEET, 2, "任职日期", "overlapping_secretary"),
        "a new secretary must start after the present one",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_each_bad_row_is_reported_where_it_is_and_nothing_is_written(world, case):
    build, location, text = BAD_FILES[case]
    before = stored()
    with translation.override("en"):
        plan = parse_workbook(build())
        assert location in where(plan)
        problem = plan.problems[where(plan).index(location)]
        assert text in problem.message
        assert not plan.is_valid
        with pytest.raises(ValueError):
            apply_plan(plan, actor=None)
    assert stored() == before


def test_a_closed_term_overlapping_the_new_one_is_reported(world):
    services.appointment_save(
        actor=None,
        appointment=Appointment(
            person=Person.objects.create(name="吴前任"),
            organisation=world.shijia_v2,
            start_date=D(2018, 1, 1),
            end_date=D(2022, 12, 31),
        ),
    )
    with translation.override("en"):
        plan = parse_workbook(workbook(secretaries=[("T01V02", "郑新任", "男", "", "2022-06-01")]))
    assert where(plan) == [(SECRETARY_SHEET, 2, "任职日期", "overlapping_secretary")]
    assert (
        "吴前任 was secretary of this organisation from 2018-01-01 to 2022-12-31" in plan.problems[0].message
    )


def test_a_loop_inside_the_file_is_reported_on_each_of_its_rows(world):
    rows = [("A1", "甲党支部", "", "B1", "党支部", ""), ("B1", "乙党支部", "", "A1", "党支部", "")]
    with translation.override("en"):
        plan = parse_workbook(workbook(rows))
    assert where(plan) == [(ORG_SHEET, 2, "上级编码", "cycle"), (ORG_SHEET, 3, "上级编码", "cycle")]
    assert "A1 → B1 → A1" in plan.problems[0].message
    assert "B1 → A1 → B1" in plan.problems[1].message


def test_every_problem_of_the_file_is_reported_at_once(world):
    rows = [
        ("T01V09", "", "", "T01", "党支部", ""),
        ("T01V10", "十号党支部", "", "X99", "支部", ""),
    ]
    plan = parse_workbook(workbook(rows, [("X98", "钱七", "女", "", "昨天")]))
    assert where(plan) == [
        (ORG_SHEET, 2, "名称", "required"),
        (ORG_SHEET, 3, "类型", "unknown_kind"),
        (ORG_SHEET, 3, "上级编码", "unknown_parent"),
        (SECRETARY_SHEET, 2, "任职日期", "bad_date"),
    ]


def test_a_problem_reads_as_sheet_row_column_and_message(world):
    plan = parse_workbook(workbook(_rows_with(上级编码="X99")))
    with translation.override("en"):
        assert str(plan.problems[0]) == (
            "Sheet “党组织”, row 2, column “上级编码”: "
            "The parent code “X99” is neither in this file nor an existing party organisation."
        )


def test_township_staff_cannot_create_or_move_outside_their_subtree(world):
    rows = [
        ("T02V03", "辽阳新村党支部", "", "T02", "党支部", "农村"),  # created under another township
        ("T01V01", "石匣村党支部", "", "T02", "党支部", "农村"),  # moved out of their own
        ("T02V01", "辽阳社区党总支", "", "T02", "党总支", "社区"),  # changed in another township
        ("T01V04", "新根党支部", "", "", "党支部", ""),  # a new root
    ]
    before = stored()
    with translation.override("en"):
        plan = parse_workbook(
            workbook(rows, [("T02V02", "钱七", "女", "", "2024-01-01")]), actor=world.shijia_staff
        )
    assert where(plan) == [
        (ORG_SHEET, 2, "上级编码", "out_of_scope"),
        (ORG_SHEET, 3, "上级编码", "out_of_scope"),
        (ORG_SHEET, 4, "编码", "out_of_scope"),
        (ORG_SHEET, 5, "上级编码", "out_of_scope"),
        (SECRETARY_SHEET, 2, "党组织编码", "out_of_scope"),
    ]
    assert "outside your scope (中共石匣乡委员会)" in plan.problems[0].message
    with pytest.raises(ValueError):
        apply_plan(plan, actor=world.shijia_staff)
    assert stored() == before
    # The same file is fine for county staff.
    assert parse_workbook(workbook(rows[:3]), actor=world.county_staff).problems == []


@pytest.mark.parametrize(
    "data",
    [b"name,code\n", b"", "党组织.xls".encode(), "zip"],
    ids=["csv", "empty", "text", "a zip that is no workbook"],
)
def test_a_file_that_is_not_an_xlsx_is_refused_with_a_message(world, data):
    if data == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "hi")
        data = buffer.getvalue()
    with translation.override("en"):
        plan = parse_workbook(data)
    assert where(plan) == [("", None, "", "not_xlsx")]
    assert "not a readable Excel workbook" in str(plan.problems[0])


def test_too_many_rows_are_refused(world, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    rows = [(f"N{i}", f"{i}号党支部", "", "T01", "党支部", "") for i in range(4)]
    assert parse_workbook(workbook(rows[:3])).problems == []
    with translation.override("en"):
        plan = parse_workbook(workbook(rows))
    assert where(plan) == [(ORG_SHEET, None, "", "too_many_rows")]
    assert "more than 3 rows" in plan.problems[0].message


# -- writing


def test_apply_writes_nothing_when_a_step_fails_half_way(world, monkeypatch):
    def broken(*args, **kwargs):  # the organisations are written by then; the secretaries fail
        raise PermissionDenied("boom")

    monkeypatch.setattr(imports, "_write_secretaries", broken)
    plan = parse_workbook(workbook(NEW_TOWN, NEW_SECRETARIES))
    before = stored()
    with pytest.raises(PermissionDenied):
        apply_plan(plan, actor=None)
    assert stored() == before


def test_apply_checks_the_file_again_against_the_database_as_it_is_now(world):
    plan = parse_workbook(workbook(secretaries=[("T01V01", "钱七", "女", "", "2024-01-01")]))
    assert plan.is_valid
    services.appointment_save(
        actor=None,
        appointment=Appointment(
            person=Person.objects.create(name="抢先"), organisation=world.shijia_v1, start_date=D(2024, 6, 1)
        ),
    )
    before = stored()
    with pytest.raises(ValueError):
        apply_plan(plan, actor=None)
    assert stored() == before


# -- the template


def test_the_template_has_both_sheets_headers_and_drop_downs():
    book = openpyxl.load_workbook(io.BytesIO(build_template_workbook()))
    assert book.sheetnames == [ORG_SHEET, SECRETARY_SHEET]
    orgs, secretaries = book[ORG_SHEET], book[SECRETARY_SHEET]
    assert [c.value for c in orgs[1]] == list(ORG_HEADERS)
    assert [c.value for c in secretaries[1]] == list(SECRETARY_HEADERS)
    assert orgs["A1"].font.bold and orgs.freeze_panes == "A2" and secretaries.freeze_panes == "A2"
    assert orgs.column_dimensions["B"].width > 20
    lists = {str(v.sqref): v.formula1 for v in orgs.data_validations.dataValidation}
    last = imports.MAX_ROWS + 1
    assert lists[f"E2:E{last}"] == '"党委,党工委,党组,党总支,党支部"'
    assert lists[f"F2:F{last}"] == '"农村,社区,机关,事业单位,国有企业,非公企业,社会组织,学校,医院"'
    assert [v.formula1 for v in secretaries.data_validations.dataValidation] == ['"男,女"']
    assert isinstance(secretaries["E2"].value, datetime.datetime)


def test_the_template_examples_import_cleanly(db):
    plan = parse_workbook(build_template_workbook())
    assert plan.problems == []
    assert plan.counts()["organisations_created"] == 3 and plan.counts()["secretaries_appointed"] == 1
    apply_plan(plan, actor=None)
    village = Organisation.objects.get(code="T01V01")
    assert village.depth == 2 and secretary_on(village, D(2021, 1, 1)).name == "张三"
