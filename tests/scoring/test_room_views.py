"""The host console and the big screen: scope, actions, stale consoles, and no score before the reveal."""

import pytest
from django.urls import reverse

from reviews.models import ReportStage, ScreenMode, Session
from scoring import services


def _act(client, world, action, **extra):
    session = Session.objects.get(pk=world.session.pk)
    data = {"action": action, "version": session.meeting_version} | extra
    return client.post(reverse("room:act", args=[world.session.pk]), data, follow=True)


def _screen(client, world, state=True):
    token = Session.objects.get(pk=world.session.pk).screen_token
    name = "room:screen_state" if state else "room:screen"
    return client.get(reverse(name, args=[token]))


@pytest.fixture
def host(client, scored):
    client.force_login(scored.county_staff)
    return client


def test_the_console_lists_reporters_and_turnout(host, scored):
    page = host.get(reverse("room:console", args=[scored.session.pk])).content.decode()
    assert "中共石匣乡委员会" in page and "中共辽阳镇委员会" in page
    assert "上级党委委员" in page and "0 / 6" in page


def test_township_staff_and_anonymous_users_cannot_open_the_console(client, scored):
    url = reverse("room:console", args=[scored.session.pk])
    assert client.get(url).status_code == 302
    client.force_login(scored.shijia_staff)
    assert client.get(url).status_code == 404
    assert client.post(reverse("room:act", args=[scored.session.pk]), {"action": "next"}).status_code == 404


def test_next_starts_the_first_reporter_and_the_screen_follows(host, client, scored):
    _act(host, scored, "next")
    session = Session.objects.get(pk=scored.session.pk)
    assert session.current_report == scored.reports[0] and session.screen_mode == ScreenMode.REPORT
    page = _screen(client, scored).content.decode()
    assert "中共石匣乡委员会" in page and "data-timer" in page and 'data-limit="300"' in page


def test_questions_get_the_question_time_limit(host, client, scored):
    _act(host, scored, "next")
    _act(host, scored, "questions")
    scored.reports[0].refresh_from_db()
    assert scored.reports[0].stage == ReportStage.QUESTIONING
    assert 'data-limit="180"' in _screen(client, scored).content.decode()


def test_a_stale_console_gets_a_message_and_nothing_moves(host, scored):
    host.post(reverse("room:act", args=[scored.session.pk]), {"action": "next", "version": 0})
    response = host.post(
        reverse("room:act", args=[scored.session.pk]), {"action": "next", "version": 0}, follow=True
    )
    assert "另一控制台刚刚操作过会议进程" in response.content.decode()
    assert Session.objects.get(pk=scored.session.pk).current_report == scored.reports[0]


def test_starting_a_chosen_reporter(host, scored):
    _act(host, scored, "start", report=scored.reports[1].pk)
    assert Session.objects.get(pk=scored.session.pk).current_report == scored.reports[1]


def test_the_screen_shows_the_speaking_order_between_reports(host, client, scored):
    _act(host, scored, "next")
    _act(host, scored, "end")
    page = _screen(client, scored).content.decode()
    assert "述职顺序" in page and "中共辽阳镇委员会" in page


def test_a_blank_screen_shows_nothing(host, client, scored):
    _act(host, scored, "blank")
    page = _screen(client, scored).content.decode()
    assert "sz-blank" in page and "中共石匣乡委员会" not in page


def test_closing_needs_the_confirmation_tick(host, scored):
    response = _act(host, scored, "close")
    assert "请勾选确认" in response.content.decode() or "Tick the box" in response.content.decode()
    _act(host, scored, "close", confirm="yes")
    assert scored.session.scheme.__class__.objects.get(pk=scored.scheme.pk).scoring_status == "closed"


def _vote_and_close(host, world):
    for code in world.leader_codes:
        services.ballot_submit(code=code.token, marks=world.marks("good", r1="average"), submission_key="k")
    _act(host, world, "close", confirm="yes")


def test_no_score_reaches_the_screen_before_the_reveal(host, client, scored):
    _vote_and_close(host, scored)
    _act(host, scored, "show_order")
    page = _screen(client, scored).content.decode()
    assert "100.00" not in page and "sz-rank-row" not in page


def test_revealing_shows_the_last_place_first_then_everyone(host, client, scored):
    _vote_and_close(host, scored)
    _act(host, scored, "reveal_next")
    page = _screen(client, scored).content.decode()
    assert page.count("sz-rank-row") == 1
    assert "石匣乡党委" in page or "中共石匣乡委员会" in page  # 一般 throughout: the last place
    assert "辽阳" not in page
    _act(host, scored, "reveal_all")
    page = _screen(client, scored).content.decode()
    assert page.count("sz-rank-row") == 2
    assert page.index("辽阳") < page.index("石匣")


def test_the_reveal_is_refused_while_scoring_is_open(host, scored):
    response = _act(host, scored, "reveal_all")
    assert "请先结束测评再揭晓结果" in response.content.decode()
    assert Session.objects.get(pk=scored.session.pk).screen_mode != ScreenMode.RESULTS


def test_a_rotated_screen_address_stops_working(host, client, scored):
    old = Session.objects.get(pk=scored.session.pk).screen_token
    _act(host, scored, "rotate")
    assert client.get(reverse("room:screen", args=[old])).status_code == 404
    assert _screen(client, scored, state=False).status_code == 200


@pytest.mark.parametrize("ballots", [0, 12])
def test_the_screen_poll_takes_a_bounded_number_of_queries(
    host, client, scored, ballots, django_assert_max_num_queries
):
    codes = (scored.leader_codes + scored.delegate_codes)[:ballots]
    for code in codes:
        services.ballot_submit(code=code.token, marks=scored.marks(), submission_key="k")
    _act(host, scored, "next")
    with django_assert_max_num_queries(8):
        assert _screen(client, scored).status_code == 200


def test_an_unchanged_screen_is_not_sent_again(host, client, scored):
    _act(host, scored, "next")
    first = _screen(client, scored)
    digest = first.content.decode().split("?v=")[1].split('"')[0]
    token = Session.objects.get(pk=scored.session.pk).screen_token
    url = reverse("room:screen_state", args=[token])
    assert client.get(url, {"v": digest}).status_code == 204
    _act(host, scored, "questions")
    changed = client.get(url, {"v": digest})
    assert changed.status_code == 200 and "?v=" + digest not in changed.content.decode()
