"""The big screen (/screen/<token>/): no login, follows the host, shows no score before it is revealed."""

import datetime
import random
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from bench.seed import big_session, store_ballots_directly
from reviews.cycles.models import Report, ReportStage, ScreenMode, Session
from reviews.meeting import services as review_services
from scoring import selectors, tally
from scoring.ballots import services as ballots_services
from scoring.meeting import services as meeting_services
from scoring.meeting import views as views_meeting
from scoring.results import services as results_services
from scoring.schemes.models import Component, Scheme

SCORE = re.compile(r"\b\d{1,3}\.\d{2}\b")
GRADE_WORDS = ("较好", "一般", ">好<", ">差<", "sc-grade-")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def meeting(scored):
    Report.objects.filter(pk=scored.reports[0].pk).update(topic="如何壮大村级集体经济")
    return scored


def _session(world) -> Session:
    return Session.objects.get(pk=world.session.pk)


def _state(client, world, token: str | None = None):
    return client.get(reverse("screen:state", args=[token or _session(world).screen_token]))


def _html(client, world) -> str:
    response = _state(client, world)
    assert response.status_code == 200
    return response.content.decode()


def _next(world) -> None:
    review_services.meeting_next(actor=world.county_staff, session=world.session, version=None)


def _vote_and_close(world) -> None:
    """Three ballots: the first reporter gets 好 throughout, the second 差 — the second ranks last."""
    for i in range(3):
        ballots_services.ballot_submit(
            code=world.leader_codes[i].token, marks=world.marks("good", r2="poor"), submission_key="k"
        )
    ballots_services.scoring_close(actor=world.county_staff, session=world.session)


def _reveal(world, everything: bool = False) -> None:
    version = _session(world).meeting_version
    meeting_services.results_reveal(
        actor=world.county_staff, session=world.session, everything=everything, version=version
    )


def test_the_screen_needs_no_login_and_polls_its_state_every_second(client, meeting):
    response = client.get(reverse("screen:show", args=[meeting.session.screen_token]))
    html = response.content.decode()
    assert response.status_code == 200
    assert meeting.session.title in html
    assert 'hx-trigger="every 1s"' in html
    assert reverse("screen:state", args=[meeting.session.screen_token]) in html
    assert "scoring/screen.css" in html and "scoring/screen.js" in html
    assert "连接中断，正在重连" in html and "data-offline" in html
    assert re.search(r'data-server-time="\d{4}-\d\d-\d\dT[\d:.]+Z"', html)


def test_an_unknown_token_is_a_404(client, meeting):
    assert client.get(reverse("screen:show", args=["not-the-token"])).status_code == 404
    assert _state(client, meeting, token="not-the-token").status_code == 404


def test_the_old_address_is_a_404_once_the_address_is_rotated(client, meeting):
    old = meeting.session.screen_token
    review_services.screen_token_rotate(actor=meeting.county_staff, session=meeting.session)
    assert client.get(reverse("screen:show", args=[old])).status_code == 404
    assert _state(client, meeting, token=old).status_code == 404
    assert _state(client, meeting).status_code == 200


def test_the_speaking_order_marks_done_current_and_next(client, meeting):
    html = _html(client, meeting)
    assert "述职顺序" in html and "下一位：中共石匣乡委员会 王建国" in html
    _next(meeting)
    review_services.meeting_end_report(actor=meeting.county_staff, session=meeting.session, version=None)
    html = _html(client, meeting)
    assert re.search(r'class="sc-order-row sc-done".*?中共石匣乡委员会.*?title="已结束">✓<', html, re.S)
    assert re.search(r'class="sc-order-row sc-pending sc-next".*?中共辽阳镇委员会', html, re.S)
    assert "下一位：中共辽阳镇委员会 李春华" in html


def test_report_mode_shows_the_current_reporter_stage_and_timer(client, meeting):
    _next(meeting)
    response = _state(client, meeting)
    html = response.content.decode()
    assert "第1位述职" in html and "中共石匣乡委员会" in html and "王建国" in html
    assert "如何壮大村级集体经济" in html and "述职中" in html
    started = Report.objects.get(pk=meeting.reports[0].pk).stage_started_at
    assert f'data-started="{views_meeting._iso(started)}"' in html and 'data-limit="300"' in html
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", response.headers["X-Server-Time"])
    review_services.meeting_start_questions(actor=meeting.county_staff, session=meeting.session, version=None)
    html = _html(client, meeting)
    assert "质询中" in html and 'data-limit="180"' in html


@pytest.mark.parametrize(
    ("elapsed", "text", "state"),
    [
        (0, "5:00", "ok"),
        (4 * 60 + 30, "0:30", "warn"),
        (6 * 60, "+1:00", "over"),
        (5 * 60 + 35, "+0:35", "over"),
    ],
)
def test_the_timer_turns_amber_in_the_last_minute_and_counts_overtime_up(
    client, meeting, elapsed, text, state
):
    _next(meeting)
    started = timezone.now() - datetime.timedelta(seconds=elapsed)
    Report.objects.filter(pk=meeting.reports[0].pk).update(stage_started_at=started)
    html = _html(client, meeting)
    assert f'data-state="{state}"' in html
    assert re.search(rf"data-timer-text>{re.escape(text)}<", html)


def test_turnout_bars_and_the_qr_code_while_scoring_is_open(client, meeting):
    ballots_services.ballot_submit(
        code=meeting.leader_codes[0].token, marks=meeting.marks(), submission_key="k"
    )
    _next(meeting)
    html = _html(client, meeting)
    assert "收回测评票" in html and "1 / 6" in html and "0 / 6" in html
    assert "<svg" in html and "http://127.0.0.1:8000/vote/" in html
    ballots_services.scoring_close(actor=meeting.county_staff, session=meeting.session)
    html = _html(client, meeting)
    assert "<svg" not in html and "1 / 6" in html


def test_blank_is_black_and_shows_nothing(client, meeting):
    review_services.meeting_show(
        actor=meeting.county_staff, session=meeting.session, mode=ScreenMode.BLANK, version=None
    )
    html = _html(client, meeting)
    assert "sc-blank" in html and meeting.session.title not in html


def test_no_score_reaches_the_screen_before_it_is_revealed(client, meeting):
    _vote_and_close(meeting)
    for mode in (ScreenMode.ORDER, ScreenMode.REPORT):
        Session.objects.filter(pk=meeting.session.pk).update(screen_mode=mode)
        html = _html(client, meeting)
        assert not SCORE.search(html) and not any(word in html for word in GRADE_WORDS)
    # Even with the ranking up and nothing revealed yet: only empty slots.
    Session.objects.filter(pk=meeting.session.pk).update(screen_mode=ScreenMode.RESULTS, revealed_rows=0)
    html = _html(client, meeting)
    page = client.get(reverse("screen:show", args=[meeting.session.screen_token])).content.decode()
    for text in (html, page):
        assert not SCORE.search(text) and not any(word in text for word in GRADE_WORDS)
        assert "石匣" not in text and "辽阳" not in text
        assert text.count("sc-rank-row sc-hidden") == 2


def test_revealing_one_row_sends_only_the_last_place(client, meeting):
    _vote_and_close(meeting)
    _reveal(meeting)
    html = _html(client, meeting)
    last = selectors.session_tally(meeting.session).result.ranking[-1]
    assert html.count("data-rank-row") == 1 and html.count("sc-rank-row sc-hidden") == 1
    assert "中共辽阳镇委员会" in html and "李春华" in html
    assert "石匣" not in html and "王建国" not in html
    assert tally.fmt(last.composite_exact) in html and "sc-grade-poor" in html and ">差<" in html
    assert len(SCORE.findall(html)) == 1
    assert "已揭晓 1 / 2 名" in html


def test_revealing_everything_shows_the_whole_ranking_in_rank_order(client, meeting):
    _vote_and_close(meeting)
    _reveal(meeting, everything=True)
    html = _html(client, meeting)
    ranking = selectors.session_tally(meeting.session).result.ranking
    assert html.count("data-rank-row") == 2 and "sc-hidden" not in html
    assert html.index("中共石匣乡委员会") < html.index("中共辽阳镇委员会")
    assert [tally.fmt(r.composite_exact) for r in ranking] == SCORE.findall(html)
    assert SCORE.findall(html)[0] == "100.00"
    assert "sc-grade-good" in html and "sc-grade-poor" in html
    assert 'style="width: 100%"' in html  # the bar of a full score


def test_the_ranking_is_cached_between_polls(client, meeting, django_assert_max_num_queries):
    _vote_and_close(meeting)
    _reveal(meeting, everything=True)
    url = reverse("screen:state", args=[_session(meeting).screen_token])
    first = client.get(url).content
    with django_assert_max_num_queries(2):  # the session, and what the ranking depends on
        assert client.get(url).content == first


def test_a_reveal_does_not_recompute_the_ranking(client, meeting, django_assert_max_num_queries):
    _vote_and_close(meeting)
    _reveal(meeting)
    url = reverse("screen:state", args=[_session(meeting).screen_token])
    client.get(url)
    _reveal(meeting)
    with django_assert_max_num_queries(2):
        assert client.get(url).content.decode().count("data-rank-row") == 2


def test_published_results_come_from_the_snapshot(client, meeting):
    _vote_and_close(meeting)
    _reveal(meeting, everything=True)
    computed = _html(client, meeting)
    results_services.results_publish(actor=meeting.county_staff, session=meeting.session)
    assert ":snapshot:" in views_meeting._ranking_key(_session(meeting))
    assert _html(client, meeting) == computed


def test_an_edited_component_score_reaches_the_cached_ranking(client, scored_closed_scheme):
    """Daily-assessment scores may still be corrected after scoring closed: the cache must not hide that."""
    world = scored_closed_scheme
    Scheme.objects.filter(pk=world.scheme.pk).update(onsite_share=Decimal(60))
    daily = Component.objects.create(scheme=world.scheme, name="日常考核", share=Decimal(40))
    ballots_services.scoring_open(actor=world.county_staff, session=world.session)
    for report in world.reports:
        results_services.component_score_set(
            actor=world.county_staff, report=report, component=daily, value=Decimal(80)
        )
    _vote_and_close(world)
    _reveal(world, everything=True)
    assert SCORE.findall(_html(client, world)) == ["92.00", "56.00"]  # 100×60% + 80×40%, 40×60% + 80×40%
    second = Report.objects.select_related("session__host", "organisation").get(pk=world.reports[1].pk)
    results_services.component_score_set(
        actor=world.county_staff, report=second, component=daily, value=Decimal(90)
    )
    assert SCORE.findall(_html(client, world)) == ["92.00", "60.00"]


@pytest.fixture
def seeded(transactional_db):
    """Sessions of 2 and 30 reporters, the second with 300 ballots; built once per test."""

    def build(reporters: int, ballots: int):
        session, issued, criteria, reports, staff = big_session(
            reporters=reporters, codes=max(ballots, 2), tag=f"s{reporters}"
        )
        if ballots:
            store_ballots_directly(session, issued[:ballots], criteria, reports, random.Random(7))
        return session, staff

    return build


STATE_QUERY_BOUND = 12  # the same whatever the number of reporters and ballots


@pytest.mark.parametrize(("reporters", "ballots"), [(2, 0), (2, 30), (30, 300)])
def test_the_state_issues_a_bounded_number_of_queries_in_every_mode(
    client, seeded, reporters, ballots, django_assert_max_num_queries
):
    session, staff = seeded(reporters, ballots)
    url = reverse("screen:state", args=[session.screen_token])

    def poll(bound: int = STATE_QUERY_BOUND) -> None:
        with django_assert_max_num_queries(bound):
            assert client.get(url).status_code == 200

    poll()  # the speaking order
    review_services.meeting_next(actor=staff, session=session, version=None)
    poll()  # the current reporter
    review_services.meeting_show(actor=staff, session=session, mode=ScreenMode.BLANK, version=None)
    poll(1)
    ballots_services.scoring_close(actor=staff, session=session)
    meeting_services.results_reveal(actor=staff, session=session, everything=True, version=None)
    poll()  # the first poll tallies
    poll(2)  # later polls read the ranking from the cache
    assert Report.objects.filter(session=session, stage=ReportStage.REPORTING).count() == 1
