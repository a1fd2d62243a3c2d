"""Results (/manage/scoring/<id>/results/): hidden while open; ranking, breakdown, publish, recheck."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from reviews.audit.models import AuditEvent
from reviews.cycles.models import Report
from reviews.orgs.models import OrganisationKind
from scoring.ballots import services as ballots_services
from scoring.ballots.models import Score
from scoring.results import services as results_services
from scoring.results.models import ComponentScore, ResultSnapshot
from scoring.schemes import services as schemes_services
from scoring.schemes.models import Component, Scheme
from tests.conftest import make_org, make_secretary
from tests.scoring.conftest import ScoredWorld

QUERY_BOUND = 31  # login and scope 5, tally 9, published recheck 9, page 4, meeting record 3, unused codes 1


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def _url(world, name: str = "results") -> str:
    return reverse(f"scoring:{name}", args=[world.session.pk])


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def _vote_leaders(world) -> list[str]:
    """Every leader scores reporter 1 all Good and reporter 2 all Fairly good; no delegate votes."""
    return [
        ballots_services.ballot_submit(
            code=code.token, marks=world.marks("good", r2="fairly_good"), submission_key=f"k{i}"
        ).receipt
        for i, code in enumerate(world.leader_codes)
    ]


def _close(world) -> None:
    ballots_services.scoring_close(actor=world.county_staff, session=world.session)


def _ranking(html: str) -> str:
    return html[html.index('id="sz-ranking"') :]


@pytest.fixture
def voted(scored):
    scored.receipts = _vote_leaders(scored)
    return scored


@pytest.fixture
def closed(voted):
    _close(voted)
    return voted


def test_scores_are_hidden_while_scoring_is_open(client, voted):
    client.force_login(voted.county_staff)
    response = client.get(_url(voted))
    assert response.status_code == 200
    html = response.content.decode()
    assert "结束测评后在此显示测评结果" in html
    assert "6 / 6" in html  # the turnout is shown
    assert "100.00" not in html and "80.00" not in html
    assert "sz-badge-" not in html.replace(".sz-badge-", "") and 'id="sz-ranking"' not in html
    digest = schemes_services.selectors.session_tally(voted.session).result.digest
    assert digest[:16] not in html
    assert not any(receipt in html for receipt in voted.receipts)
    assert "发布结果" not in html


def test_downloads_are_refused_while_scoring_is_open(client, voted):
    client.force_login(voted.county_staff)
    for name in ("results_xlsx", "results_pdf"):
        response = client.get(_url(voted, name), follow=True)
        assert response.redirect_chain[-1][0] == _url(voted)
        assert "结束测评后才能下载测评结果" in _messages(response)


def test_township_staff_get_404(client, closed):
    client.force_login(closed.shijia_staff)
    for name in ("results", "results_xlsx", "results_pdf"):
        assert client.get(_url(closed, name)).status_code == 404
    assert client.post(_url(closed, "publish")).status_code == 404
    assert not ResultSnapshot.objects.exists()


def test_anonymous_users_are_sent_to_the_login_page(client, closed):
    response = client.get(_url(closed))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_hand_built_case_shows_its_numbers_grades_and_the_missing_group(client, closed):
    client.force_login(closed.county_staff)
    html = client.get(_url(closed)).content.decode()
    ranking = _ranking(html)
    first, second = closed.reports
    # Reporter 1: all Good from 6 leaders → 100.00, 好; reporter 2: all Fairly good → 80.00, 较好.
    assert ranking.index(first.organisation.name) < ranking.index(second.organisation.name)
    assert "100.00" in ranking and "80.00" in ranking
    assert re.search(r'sz-badge-good">好<', ranking) and re.search(r'sz-badge-fairly-good">较好<', ranking)
    # The delegates gave no vote: reported per reporter, and their mean is not shown.
    assert ranking.count("未计入的测评主体") == 2 and closed.delegates.name in ranking
    assert "无有效票" in ranking and "不足5票不公开" not in ranking
    # Quorum: 6 ballots of 12 codes is not more than half.
    assert "无效" in html and "50.0%" in html
    assert "王建国" in ranking and "李春华" in ranking
    assert "需约谈" not in ranking


def test_the_breakdown_shows_item_means_and_grade_counts(client, closed):
    client.force_login(closed.county_staff)
    response = client.get(_url(closed))
    html = response.content.decode()
    breakdown = html[html.index("分项明细") :]
    assert breakdown.count("<details") == 2
    first_row = response.context["rows"][0]
    leaders = first_row.groups[0]
    assert leaders.visible and [mean for _, mean in leaders.criteria] == ["100.00"] * 6
    assert leaders.grade_counts[0] == ("好", 36)  # 6 ballots × 6 items
    assert not first_row.groups[1].visible


def test_low_grades_are_flagged_for_a_talk(client, scored):
    for i, code in enumerate(scored.leader_codes):
        ballots_services.ballot_submit(code=code.token, marks=scored.marks("poor"), submission_key=f"k{i}")
    _close(scored)
    client.force_login(scored.county_staff)
    ranking = _ranking(client.get(_url(scored)).content.decode())
    assert ranking.count("需约谈") == 2 and "sz-badge-poor" in ranking


def test_a_reporter_without_a_component_score_comes_last_unranked(client, scored_closed_scheme):
    world = scored_closed_scheme
    Scheme.objects.filter(pk=world.scheme.pk).update(onsite_share=40)
    daily = Component.objects.create(scheme=world.scheme, name="日常考核", share=60)
    ComponentScore.objects.create(report=world.reports[1], component=daily, value=90)
    ballots_services.scoring_open(actor=world.county_staff, session=world.session)
    _vote_leaders(world)
    _close(world)
    client.force_login(world.county_staff)
    response = client.get(_url(world))
    rows = response.context["rows"]
    assert [row.report for row in rows] == [world.reports[1], world.reports[0]]
    assert rows[1].result.rank is None and rows[1].missing_components == ["日常考核"]
    ranking = _ranking(response.content.decode())
    assert "未录入日常考核" in ranking
    assert "86.00" in ranking  # 80 × 40 % + 90 × 60 %


def test_publishing_before_closing_is_refused(client, voted):
    client.force_login(voted.county_staff)
    response = client.post(_url(voted, "publish"), {"confirm": "yes"}, follow=True)
    assert "请先结束测评再发布结果" in _messages(response)
    assert not ResultSnapshot.objects.exists()


def test_publishing_freezes_the_results_and_the_check_matches(client, closed):
    client.force_login(closed.county_staff)
    response = client.post(_url(closed, "publish"), {"confirm": "yes"}, follow=True)
    snapshot = ResultSnapshot.objects.get(session=closed.session)
    html = response.content.decode()
    assert "测评结果已发布" in _messages(response)
    assert f"摘要 {snapshot.digest[:16]}" in html
    assert "重新计算核对：一致 ✓" in html and "不一致" not in html
    assert 'action="' + _url(closed, "publish") not in html
    assert AuditEvent.objects.filter(action="results.publish").exists()


def test_publishing_twice_is_refused(client, closed):
    results_services.results_publish(actor=closed.county_staff, session=closed.session)
    client.force_login(closed.county_staff)
    response = client.post(_url(closed, "publish"), {"confirm": "yes"}, follow=True)
    assert "本次会议结果已发布" in _messages(response)
    assert ResultSnapshot.objects.count() == 1


def test_a_changed_ballot_after_publishing_shows_a_red_mismatch(client, closed):
    results_services.results_publish(actor=closed.county_staff, session=closed.session)
    Score.objects.filter(report=closed.reports[0]).update(grade="poor")
    client.force_login(closed.county_staff)
    html = client.get(_url(closed)).content.decode()
    assert "重新计算核对：不一致 ✗" in html and "alert-danger" in html
    assert "一致 ✓" not in html


def test_publishing_refuses_get(client, closed):
    client.force_login(closed.county_staff)
    assert client.get(_url(closed, "publish")).status_code == 405


# ---------------------------------------------------------------------------------------------------
# Downloads (scoring.exports, scoring.documents)


def test_the_results_download_as_an_excel_workbook(client, closed):
    client.force_login(closed.county_staff)
    response = client.get(_url(closed, "results_xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.content.startswith(b"PK") and "attachment" in response["Content-Disposition"]


def test_the_results_bulletin_downloads_as_a_pdf(client, closed):
    client.force_login(closed.county_staff)
    response = client.get(_url(closed, "results_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


# ---------------------------------------------------------------------------------------------------
# Queries


def _world_with_reporters(count: int) -> ScoredWorld:
    """A published session with `count` reporters (one without a named secretary) and 11 ballots."""
    world = ScoredWorld(open_scoring=False)
    for order in range(3, count + 1):
        org = make_org(f"T{order:02d}", f"第{order}镇党委", world.county, kind=OrganisationKind.COMMITTEE)
        Report.objects.create(
            session=world.session,
            organisation=org,
            secretary=make_secretary(org, f"书记{order}"),
            order=order,
        )
    Report.objects.filter(pk=world.reports[1].pk).update(secretary=None)  # the holder on the day is found
    world.reports = list(world.session.reports.order_by("order"))
    ballots_services.scoring_open(actor=world.county_staff, session=world.session)
    for i, code in enumerate(world.leader_codes + world.delegate_codes[:5]):
        ballots_services.ballot_submit(
            code=code.token, marks=world.marks("fairly_good"), submission_key=f"k{i}"
        )
    _close(world)
    results_services.results_publish(actor=world.county_staff, session=world.session)
    return world


@pytest.mark.parametrize("reporters", [2, 20])
def test_the_results_page_needs_a_bounded_number_of_queries(
    client, db, django_assert_max_num_queries, reporters
):
    world = _world_with_reporters(reporters)
    client.force_login(world.county_staff)
    with django_assert_max_num_queries(QUERY_BOUND):
        response = client.get(_url(world))
    assert response.status_code == 200
    assert len(response.context["rows"]) == reporters
    assert "李春华" in response.content.decode()
