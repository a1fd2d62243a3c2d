"""Ties explained wherever a rank is shown: results page, big screen, bulletin, workbook, dashboard."""

import io
import subprocess

import openpyxl
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from reviews.cycles.models import ScreenMode, Session
from reviews.meeting.models import Question
from scoring import selectors
from scoring.ballots import services as ballots_services
from scoring.dashboard.selectors import _top
from scoring.meeting import services as meeting_services
from scoring.results import documents
from scoring.results import services as results_services
from scoring.results.exports import results_workbook


@pytest.fixture(autouse=True)
def _chinese_and_fresh_cache():
    cache.clear()
    with translation.override("zh-hans"):
        yield
    cache.clear()


def _split(world) -> dict:
    """Reporter 1: 好 and 一般 in turn (mean 80, half 好); reporter 2: 较好 throughout (80, no 好)."""
    return {
        (report.pk, criterion.pk): (("good", "average")[i % 2] if report.order == 1 else "fairly_good")
        for report in world.reports
        for i, criterion in enumerate(world.criteria)
    }


def _vote(world, marks) -> None:
    for i, code in enumerate(world.leader_codes):
        ballots_services.ballot_submit(code=code.token, marks=marks, submission_key=f"k{i}")
    ballots_services.scoring_close(actor=world.county_staff, session=world.session)


@pytest.fixture
def split(scored):
    _vote(scored, _split(scored))
    return scored


@pytest.fixture
def tied(scored):
    _vote(scored, scored.marks("good"))
    return scored


def test_the_results_page_says_what_separated_two_equal_scores(client, split):
    client.force_login(split.county_staff)
    html = client.get(reverse("scoring:results", args=[split.session.pk])).content.decode()
    assert html.count("80.00") >= 2
    assert "好票占比 50.0% vs 0.0%" in html and "好票占比 0.0% vs 50.0%" in html
    assert "排名规则" in html and 'id="sz-tie-rule"' in html


def test_an_exact_tie_says_tied_and_shares_the_rank(client, tied):
    client.force_login(tied.county_staff)
    response = client.get(reverse("scoring:results", args=[tied.session.pk]))
    assert [row.result.rank for row in response.context["rows"]] == [1, 1]
    assert [row.ties for row in response.context["rows"]] == [["并列"], ["并列"]]


def test_breakdowns_are_listed_in_rank_order(client, scored):
    _vote(scored, scored.marks("fairly_good", r2="good"))  # the second speaker ranks first
    client.force_login(scored.county_staff)
    html = client.get(reverse("scoring:results", args=[scored.session.pk])).content.decode()
    details = html[html.index("sz-breakdown") :]
    assert details.index("第1名 · 中共辽阳镇委员会") < details.index("第2名 · 中共石匣乡委员会")


def _reveal_all(world) -> None:
    session = Session.objects.get(pk=world.session.pk)
    meeting_services.results_reveal(
        actor=world.county_staff, session=world.session, everything=True, version=session.meeting_version
    )


def _screen(client, world) -> str:
    token = Session.objects.get(pk=world.session.pk).screen_token
    return client.get(reverse("screen:state", args=[token])).content.decode()


def test_the_big_screen_shows_the_tie_break_only_between_revealed_rows(client, split):
    session = Session.objects.get(pk=split.session.pk)
    meeting_services.results_reveal(
        actor=split.county_staff, session=split.session, everything=False, version=session.meeting_version
    )
    one = _screen(client, split)
    assert one.count("data-rank-row") == 1 and "data-tie" not in one and "好票占比" not in one
    _reveal_all(split)
    both = _screen(client, split)
    assert both.count("data-tie") == 2
    assert "好票占比 50.0% vs 0.0%" in both and "好票占比 0.0% vs 50.0%" in both


def test_no_tie_note_reaches_the_screen_before_the_reveal(client, split):
    Session.objects.filter(pk=split.session.pk).update(screen_mode=ScreenMode.RESULTS, revealed_rows=0)
    html = _screen(client, split)
    assert "data-tie" not in html and "好票占比" not in html and "80.00" not in html


def test_the_published_ranking_on_the_screen_keeps_its_tie_notes(client, split):
    _reveal_all(split)
    computed = _screen(client, split)
    results_services.results_publish(actor=split.county_staff, session=split.session)
    assert _screen(client, split) == computed and "好票占比" in computed


def test_the_bulletin_shows_the_tie_break_and_states_the_rule(split, tmp_path):
    Question.objects.create(report=split.reports[1], order=1, asker_role="member", question="问一")
    Question.objects.create(report=split.reports[0], order=1, asker_role="member", question="问二")
    data = selectors.session_tally(split.session)
    html = documents.results_bulletin_html(data)
    assert "好票占比 50.0% vs 0.0%" in html and "排名规则" in html
    # Questions follow the ranking: reporter 1 (ranked first) before reporter 2.
    assert html.index("问二") < html.index("问一")
    pdf = tmp_path / "bulletin.pdf"
    pdf.write_bytes(documents.results_bulletin_pdf(data))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "好票占比" in text and "排名规则" in text


def test_the_workbook_notes_the_tie_break_and_why_a_cell_is_blank(split):
    book = openpyxl.load_workbook(io.BytesIO(results_workbook(selectors.session_tally(split.session))))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[2]]
    notes = [row[header.index("备注")] for row in sheet.iter_rows(min_row=3, max_row=4, values_only=True)]
    assert "好票占比 50.0% vs 0.0%" in notes[0] and "好票占比 0.0% vs 50.0%" in notes[1]
    assert all(f"{split.delegates.name}：无有效票" in note for note in notes)
    footnotes = " ".join(str(row[0]) for row in sheet.iter_rows(min_row=5, values_only=True) if row[0])
    assert "排名规则" in footnotes


def test_the_dashboard_top_three_keeps_everyone_tied_at_the_last_place():
    ranking = [{"reporter": k, "rank": r} for k, r in [("a", 1), ("b", 2), ("c", 2), ("d", 2), ("e", 5)]]
    assert [r["reporter"] for r in _top(ranking, 3)] == ["a", "b", "c", "d"]
    ranking = [{"reporter": k, "rank": r} for k, r in [("a", 1), ("b", 2), ("c", 3), ("d", 3), ("e", None)]]
    assert [r["reporter"] for r in _top(ranking, 3)] == ["a", "b", "c", "d"]


def test_a_group_without_valid_votes_says_so_on_the_results_page(client, split):
    client.force_login(split.county_staff)
    html = client.get(reverse("scoring:results", args=[split.session.pk])).content.decode()
    ranking = html[html.index('id="sz-ranking"') :]
    assert "无有效票" in ranking and "不足5票不公开" not in ranking


def test_the_results_page_warns_about_unused_codes(client, split):
    client.force_login(split.county_staff)
    html = client.get(reverse("scoring:results", args=[split.session.pk])).content.decode()
    assert 'id="sz-unused-codes"' in html and "6 个测评码未使用" in html
