"""The import at bulk size (issue 14): thousands of rows, set-based, one audit entry, a summary workbook."""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from reviews.audit.models import AuditEvent
from reviews.jobs.models import Job, JobStatus
from reviews.orgs.imports import (
    ORG_HEADERS,
    ORG_SHEET,
    SECRETARY_HEADERS,
    SECRETARY_SHEET,
    ImportRejected,
    import_apply,
    import_check,
    summary_storage,
)
from reviews.orgs.models import Appointment, Organisation, Person, secretary_on
from tests.reviews.orgs.test_import import stored

D = datetime.date


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    with translation.override("en"):
        yield


def town_rows(rows: int, *, townships: int = 30, prefix: str = "B") -> list[tuple]:
    """`townships` new townships under the county C01, the rest villages under them (children first)."""
    towns = [(f"{prefix}{t:02d}", f"中共第{t}镇委员会", "", "C01", "党委", "") for t in range(townships)]
    villages = [
        (
            f"{prefix}{v % townships:02d}V{v:05d}",
            f"第{v}村党支部",
            "",
            f"{prefix}{v % townships:02d}",
            "党支部",
            "农村",
        )
        for v in range(rows - townships)
    ]
    return villages + towns


def bulk_workbook(orgs: list[tuple], secretaries: list[tuple] | None = None) -> bytes:
    """Written the way the bench writes a province (openpyxl write-only)."""
    if secretaries is None:
        secretaries = [
            (row[0], f"书记{i}", "男" if i % 2 else "女", "书记", D(2022, 1, 1)) for i, row in enumerate(orgs)
        ]
    book = openpyxl.Workbook(write_only=True)
    for title, headers, rows in (
        (ORG_SHEET, ORG_HEADERS, orgs),
        (SECRETARY_SHEET, SECRETARY_HEADERS, secretaries),
    ):
        sheet = book.create_sheet(title)
        sheet.append(list(headers))
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def summary_rows(event: AuditEvent) -> dict[str, list[tuple]]:
    with summary_storage().open(event.changes["summary_file"], "rb") as handle:
        book = openpyxl.load_workbook(io.BytesIO(handle.read()), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def test_three_thousand_rows_are_created_with_paths_depths_secretaries_and_one_audit_entry(world):
    orgs = town_rows(3000)
    events_before = AuditEvent.objects.count()

    summary = import_apply(bulk_workbook(orgs), actor=world.county_staff)

    assert (summary.organisations_created, summary.secretaries_appointed) == (3000, 3000)
    assert Organisation.objects.count() == 7 + 3000
    for org in Organisation.objects.filter(code__startswith="B").select_related("parent"):
        assert org.path == org.computed_path(), org.code
        assert org.depth == (1 if "V" not in org.code else 2)
    village = Organisation.objects.get(code="B07V00037")
    assert village.parent.code == "B07" and village.sector == "rural" and village.kind == "branch"
    assert secretary_on(village, D(2023, 1, 1)).name == "书记37"
    assert (
        Appointment.objects.filter(organisation__code__startswith="B", end_date__isnull=True).count() == 3000
    )
    assert AuditEvent.objects.count() == events_before + 1
    event = AuditEvent.objects.get(action="import.apply")
    assert event.pk == summary.event_id and event.actor == world.county_staff
    assert event.organisation.code == "B00"  # the first of the highest organisations touched
    assert event.changes["organisations_created"] == 3000 and event.changes["secretaries_appointed"] == 3000


def test_the_summary_workbook_lists_every_created_changed_and_closed_row(world):
    import_apply(bulk_workbook(town_rows(300)), actor=None)
    orgs = town_rows(300)
    orgs[5] = (orgs[5][0], "改名村党支部", *orgs[5][2:])
    secretaries = [
        (row[0], f"书记{i}", "男" if i % 2 else "女", "书记", D(2022, 1, 1)) for i, row in enumerate(orgs)
    ]
    secretaries[7] = (orgs[7][0], "接任者", "女", "书记", D(2025, 3, 1))  # a hand-over

    summary = import_apply(bulk_workbook(orgs, secretaries), actor=None)

    assert (summary.organisations_updated, summary.handovers, summary.secretaries_appointed) == (1, 1, 1)
    rows = summary_rows(AuditEvent.objects.get(pk=summary.event_id))
    organisations, people = rows["Party organisations"], rows["Secretaries"]
    assert organisations == [
        ("Action", "编码", "名称", "上级编码", "Changes"),
        ("Changed", orgs[5][0], "改名村党支部", orgs[5][3], f"name: {town_rows(300)[5][1]} → 改名村党支部"),
    ]
    assert [row[0] for row in people[1:]] == ["Term ended", "Appointed (hand-over)"]
    assert people[1][3:6] == ("书记7", datetime.datetime(2022, 1, 1), datetime.datetime(2025, 2, 28))
    assert people[2][3:5] == ("接任者", datetime.datetime(2025, 3, 1))


def test_an_error_on_the_last_row_writes_nothing(world):
    orgs = town_rows(3000)
    orgs.append(("B99V99999", "末行党支部", "", "NOPE", "党支部", ""))
    before = stored()

    plan = import_check(bulk_workbook(orgs))
    with pytest.raises(ImportRejected) as rejected:
        import_apply(bulk_workbook(orgs), actor=world.county_staff)

    assert [(p.row, p.column, p.code) for p in plan.problems] == [(3002, "上级编码", "unknown_parent")]
    assert rejected.value.plan.problems[0].code == "unknown_parent"
    assert stored() == before
    assert (
        not summary_storage().exists("imports/summaries")
        or not summary_storage().listdir("imports/summaries")[1]
    )


def test_a_failure_while_writing_leaves_no_rows_and_no_summary_file(world, monkeypatch):
    from reviews.orgs import imports

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "_record", broken)  # after every row and the summary file are written
    before = stored()
    with pytest.raises(RuntimeError):
        import_apply(bulk_workbook(town_rows(300)), actor=None)
    assert stored() == before
    assert not summary_storage().listdir("imports/summaries")[1]


def test_the_queries_of_check_and_apply_do_not_grow_with_the_rows(world):
    def queries(rows: int, prefix: str) -> int:
        data = bulk_workbook(town_rows(rows, prefix=prefix))
        with CaptureQueriesContext(connection) as captured:
            assert import_check(data).is_valid
            import_apply(data, actor=None)
        return len(captured)

    small, large = queries(300, "S"), queries(3000, "L")

    assert Organisation.objects.filter(code__startswith="L").count() == 3000
    # The only growth: new people are inserted with bulk_create (their ids are needed), which Django
    # batches by the database's parameter limit (999 on SQLite: 199 people a query).
    people_batches = -(-3000 // 199) - 1 if connection.vendor == "sqlite" else 0
    assert large <= small + people_batches, (small, large)
    assert large < 60


def test_progress_counts_rows_checked_and_rows_written(world):
    data = bulk_workbook(town_rows(3000))
    checked, written = [], []

    import_check(data, progress=lambda done, total: checked.append((done, total)))
    import_apply(data, actor=None, progress=lambda done, total: written.append((done, total)))

    assert checked[-1][0] == checked[-1][1] >= 6000  # both sheets' rows
    assert written[-1] == (6000, 6000)
    assert [done for done, _ in written] == sorted(done for done, _ in written)
    assert len(checked) <= 102 and len(written) <= 102


def test_reimporting_the_same_rows_changes_nothing_and_records_nothing(world):
    data = bulk_workbook(town_rows(1000))
    import_apply(data, actor=None)
    before = stored()

    summary = import_apply(data, actor=None)

    assert summary.event_id is None and summary.as_dict() == dict.fromkeys(summary.as_dict(), 0)
    assert stored() == before


def test_a_bulk_move_rewrites_the_moved_subtrees(world):
    import_apply(bulk_workbook(town_rows(300)), actor=None)
    moved = [
        ("T01", "中共石匣乡委员会", "", "B03", "党委", ""),
        ("B04", "中共第4镇委员会", "", "T02", "党委", ""),
    ]

    import_apply(bulk_workbook(moved, []), actor=None)

    for org in Organisation.objects.all():
        assert org.path == org.computed_path(), org.code
        assert org.depth == org.path.count("/") - 2, org.code
    assert Organisation.objects.get(code="T01V01").depth == 3
    assert Organisation.objects.get(code="B04V00004").path.startswith(world.liaoyang.path)


def test_the_summary_downloads_from_the_apply_job_and_its_audit_entry_for_its_scope_only(
    world, client, settings, tmp_path, run_jobs
):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(world.county_staff)
    client.post(
        reverse("admin:reviews_organisation_import"),
        {"file": SimpleUploadedFile("orgs.xlsx", bulk_workbook(town_rows(40)))},
    )
    run_jobs()
    check = Job.objects.get(kind="orgs.import_check")
    client.post(reverse("admin:reviews_organisation_import_confirm"), {"token": check.params["token"]})
    run_jobs()
    job = Job.objects.get(kind="orgs.import_apply", status=JobStatus.DONE)
    from_job = client.get(reverse("jobs:download", args=[job.pk]))
    book = openpyxl.load_workbook(io.BytesIO(from_job.getvalue()), read_only=True)
    assert len(list(book.worksheets[0].iter_rows())) == 41
    event = AuditEvent.objects.get(action="import.apply")
    link = reverse("admin:reviews_organisation_import_summary", args=[event.pk])

    response = client.get(link)

    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert len(list(book.worksheets[0].iter_rows())) == 41
    client.force_login(world.liaoyang_staff)  # the import's top organisations are under the county, not here
    assert client.get(link).status_code in (403, 404)
    assert Person.objects.filter(name="书记39").count() == 1


def test_the_progress_total_is_the_workbooks_rows_exactly():
    """The bar's total counts every sheet's rows, headers included, as the check counts them as it reads:
    rows of uneven length, more than one unpacked megabyte (a chunk boundary) and no <dimension>."""
    from reviews.orgs.imports import _estimated_rows

    book = openpyxl.Workbook(write_only=True)  # write-only: no <dimension> in the sheets
    for title, width, rows in ((ORG_SHEET, 6, 4000), (SECRETARY_SHEET, 5, 3000)):
        sheet = book.create_sheet(title)
        for i in range(rows + 1):
            sheet.append([f"值{i}-{j}" * (1 + i % 7) for j in range(width)])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    seen = []
    import_check(data, progress=lambda done, total: seen.append((done, total)))
    assert _estimated_rows(data) == 4001 + 3001
    assert seen[-1] == (7002, 7002)
    assert all(total == 7002 for _done, total in seen)
