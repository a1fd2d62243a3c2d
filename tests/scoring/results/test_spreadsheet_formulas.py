"""No export runs what users typed: a cell beginning with = + - @ (or a tab/CR) is text in every workbook,
and gets an apostrophe in every CSV file. Found: 8 live formulas in the results workbook and 4 in the ledger
from an organisation named =HYPERLINK(...) and a clerk's question."""

import csv
import io

import openpyxl
from django.utils import translation

from reviews.meeting import services as meeting_services
from reviews.orgs.imports import build_template_workbook
from reviews.orgs.models import Organisation
from reviews.rectification.exports import ledger_workbook
from reviews.rectification.models import RectificationItem
from reviews.spreadsheets import csv_cell, workbook_bytes
from scoring.ballots import services as ballots_services
from scoring.codes import services as codes_services
from scoring.management.commands.issue_codes import codes_csv
from scoring.results.exports import ResultsWorkbook

HOSTILE = ['=HYPERLINK("http://evil.example","点我")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1+1"]


def _cells(content: bytes):
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _no_formula(content: bytes, expected: list[str]) -> None:
    cells = _cells(content)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = {c.value: c for c in cells if isinstance(c.value, str)}
    for value in expected:
        assert value in texts, value
        assert texts[value].data_type == "s" and texts[value].quotePrefix


def test_the_helper_makes_formula_looking_text_plain_and_leaves_the_rest():
    book = openpyxl.Workbook()
    book.active.append([*HOSTILE, "石匣乡", 12, "5-2"])
    cells = _cells(workbook_bytes(book))
    assert [c.data_type for c in cells] == ["s"] * 5 + ["s", "n", "s"]
    assert [c.quotePrefix for c in cells] == [True] * 5 + [False, False, False]
    assert [c.value for c in cells[:5]] == HOSTILE
    assert [csv_cell(v) for v in [*HOSTILE, "石匣乡", 3]] == [*("'" + v for v in HOSTILE), "石匣乡", 3]


def test_the_results_workbook_keeps_names_and_questions_as_text(scored):
    staff, shijia = scored.county_staff, scored.reports[0]
    Organisation.objects.filter(pk=shijia.organisation_id).update(name=HOSTILE[0])
    meeting_services.question_save(actor=staff, report=shijia, question=HOSTILE[3], answer=HOSTILE[2])
    meeting_services.comment_save(actor=staff, report=shijia, commenter="县委书记", text=HOSTILE[1])
    for code in scored.leader_codes:
        ballots_services.ballot_submit(code=code.token, marks=scored.marks("good"), submission_key="k")
    ballots_services.scoring_close(actor=staff, session=scored.session)
    with translation.override("zh-hans"):
        _, _, content = ResultsWorkbook().render(scored.session)
    _no_formula(content, HOSTILE[:4])


def test_the_ledger_keeps_organisation_names_and_problems_as_text(rectified):
    item = rectified.shijia_items[0]
    Organisation.objects.filter(pk=item.organisation_id).update(name=HOSTILE[0])
    RectificationItem.objects.filter(pk=item.pk).update(problem=HOSTILE[4], measures=HOSTILE[1])
    with translation.override("zh-hans"):
        content = ledger_workbook(RectificationItem.objects.order_by("pk"), ["台账"])
    _no_formula(content, [HOSTILE[0], HOSTILE[4], HOSTILE[1]])


def test_the_import_template_has_no_formula():
    assert [c.coordinate for c in _cells(build_template_workbook()) if c.data_type == "f"] == []


def test_the_codes_csv_puts_an_apostrophe_before_a_formula_looking_name(scored_closed_scheme):
    world = scored_closed_scheme
    world.leaders.anonymous = False
    world.leaders.save(update_fields=["anonymous"])
    issued = codes_services.credentials_issue(
        actor=world.county_staff,
        session=world.session,
        group=world.leaders,
        count=3,
        names=["=1+1", "@x", "张三"],
    )
    rows = list(csv.reader(io.StringIO(codes_csv(issued).decode("utf-8-sig"))))
    assert [row[-1] for row in rows[1:]] == ["'=1+1", "'@x", "张三"]


def test_the_codes_csv_of_the_codes_page_puts_an_apostrophe_too(client, scored):
    from django.urls import reverse

    from scoring.schemes.models import EvaluatorGroup

    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(anonymous=False)
    client.force_login(scored.county_staff)
    data = {
        "group": scored.delegates.pk,
        "names": "=1+1\n张三",
        "count": "",
        "issue_key": "f1",
        "format": "csv",
    }
    response = client.post(reverse("scoring:codes_issue", args=[scored.session.pk]), data)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[3] for row in rows[1:]] == ["'=1+1", "张三"]
