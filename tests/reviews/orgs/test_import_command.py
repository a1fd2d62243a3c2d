"""`manage.py import_orgs`: the same import from the command line."""

import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from reviews.audit.models import AuditEvent
from reviews.orgs.imports import ORG_HEADERS, SECRETARY_SHEET, parse_workbook
from reviews.orgs.models import Organisation, Person
from tests.reviews.orgs.test_import import NEW_SECRETARIES, NEW_TOWN, stored, workbook


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("import_orgs", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def import_file(tmp_path):
    def write(data: bytes):
        path = tmp_path / "orgs.xlsx"
        path.write_bytes(data)
        return str(path)

    return write


def test_it_imports_the_file_and_prints_the_counts(world, import_file):
    out, _ = run(import_file(workbook(NEW_TOWN, NEW_SECRETARIES)))
    assert "Party organisations: 3 to create, 0 to update, 0 unchanged." in out
    assert "Party organisations created: 3, updated: 0; secretaries appointed: 2 (hand-overs: 0)" in out
    assert Organisation.objects.get(code="T03V01").parent.code == "T03"
    assert AuditEvent.objects.get(action="import.apply").actor is None


def test_it_lists_each_change_when_verbose(world, import_file):
    rows = [("T01V01", "石匣村党总支", "", "T01", "党支部", "农村")]
    out, _ = run(
        import_file(workbook(rows, [("T01", "赵六", "男", "", "2025-06-01")])), "--dry-run", "-v", "2"
    )
    assert "Update T01V01 石匣村党总支\n    name: 石匣村党支部 → 石匣村党总支" in out
    assert "Secretary of 中共石匣乡委员会: 赵六 from 2025-06-01" in out
    assert "王建国's term from 2021-01-01 ends on 2025-05-31" in out


def test_a_dry_run_writes_nothing(world, import_file):
    before = stored()
    out, _ = run(import_file(workbook(NEW_TOWN, NEW_SECRETARIES)), "--dry-run")
    assert "3 to create" in out and "Dry run: nothing was written." in out
    assert stored() == before


def test_it_prints_every_problem_with_its_place_and_fails(world, import_file):
    rows = [("T01V09", "", "", "T01", "党支部", ""), ("T01V10", "十号党支部", "", "X99", "党支部", "")]
    before = stored()
    with pytest.raises(CommandError, match="2 problems found; nothing was imported"):
        run(import_file(workbook(rows)))
    assert stored() == before


def test_the_problems_go_to_stderr_in_the_active_language(world, import_file):
    rows = [("T01V10", "十号党支部", "", "X99", "党支部", "")]
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError):
        call_command("import_orgs", import_file(workbook(rows)), stderr=err)
    assert err.getvalue().startswith("Sheet “党组织”, row 2, column “上级编码”: The parent code “X99”")


def test_a_file_that_is_not_a_workbook_fails_cleanly(world, import_file):
    with pytest.raises(CommandError):
        run(import_file(b"not a workbook"))
    with pytest.raises(CommandError, match="No such file"):
        run("/nonexistent/orgs.xlsx")


def test_it_writes_the_template(db, tmp_path):
    target = tmp_path / "template.xlsx"
    out, _ = run("--template", str(target))
    assert "Template written" in out
    book = openpyxl.load_workbook(target)
    assert [c.value for c in book["党组织"][1]] == list(ORG_HEADERS)
    assert SECRETARY_SHEET in book.sheetnames
    assert parse_workbook(target).problems == []
    assert Person.objects.count() == 0  # writing the template imports nothing


def test_its_help_lists_the_options():
    from reviews.management.commands.import_orgs import Command

    text = Command().create_parser("manage.py", "import_orgs").format_help()
    assert "--dry-run" in text and "--template" in text
