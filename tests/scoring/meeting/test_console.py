"""The host console (/manage/meeting/<id>/): scope, every button's POST, stale pages, the live partial."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from reviews.audit.models import AuditEvent
from reviews.cycles.models import Report, ScreenMode, Session
from reviews.meeting import services as review_services
from scoring.ballots import services
from scoring.schemes.models import Scheme, ScoringStatus

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _url(world, name: str = "console", *args) -> str:
    return reverse(f"meeting:{name}", args=[world.county_session.pk, *args])


def _fresh(world) -> Session:
    return Session.objects.get(pk=world.county_session.pk)


def _stages(world) -> list[str]:
    return list(
        Report.objects.filter(session=world.county_session).order_by("order").values_list("stage", flat=True)
    )


def _post(client, url: str, version: int | None = 0, htmx: bool = False, **data):
    if version is not None:
        data["version"] = version
    return client.post(url, data, **(HTMX if htmx else {}))


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def _stale_message() -> str:
    with translation.override("zh-hans"):
        return gettext("Another console changed the meeting meanwhile. Check the page and try again.")


@pytest.fixture
def staff_client(client, scored):
    client.force_login(scored.county_staff)
    Report.objects.filter(pk=scored.reports[0].pk).update(topic="如何壮大村级集体经济")
    return client


def test_it_lists_the_reporters_in_order_with_stage_topic_and_buttons(staff_client, scored):
    response = staff_client.get(_url(scored))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("中共石匣乡委员会") < html.index("中共辽阳镇委员会")
    assert "王建国" in html and "李春华" in html and "如何壮大村级集体经济" in html
    assert html.count("待述职") >= 2
    for label in ("开始述职", "开始质询", "结束", "下一位", "结束测评", "大屏显示：", "顺序", "当前", "黑屏"):
        assert label in html, label
    assert "更换大屏地址" in html and "快捷键" in html
    assert 'name="version" value="0"' in html
    # The screen address, with a copy button and its QR code.
    screen_url = f"http://127.0.0.1:8000/screen/{scored.session.screen_token}/"
    assert f'value="{screen_url}"' in html and "data-copy" in html and "<svg" in html
    assert 'hx-trigger="every 2s"' in html


def test_township_staff_get_404_and_change_nothing(client, scored):
    client.force_login(scored.shijia_staff)
    assert client.get(_url(scored)).status_code == 404
    assert client.get(_url(scored, "live")).status_code == 404
    assert _post(client, _url(scored, "next")).status_code == 404
    assert _post(client, _url(scored, "start", scored.reports[0].pk)).status_code == 404
    assert _fresh(scored).meeting_version == 0 and _stages(scored) == ["pending", "pending"]


def test_township_staff_open_their_own_session(client, world):
    client.force_login(world.shijia_staff)
    response = client.get(reverse("meeting:console", args=[world.shijia_session.pk]))
    assert response.status_code == 200
    assert "本次会议尚无述职对象" in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page(client, scored):
    response = client.get(_url(scored))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    response = _post(client, _url(scored, "next"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert _fresh(scored).meeting_version == 0


def test_start_report_makes_that_reporter_current(staff_client, scored):
    second = scored.reports[1]
    response = _post(staff_client, _url(scored, "start", second.pk))
    assert response.status_code == 302 and response.url == _url(scored)
    session = _fresh(scored)
    assert session.current_report_id == second.pk and session.screen_mode == ScreenMode.REPORT
    assert _stages(scored) == ["pending", "reporting"]
    html = staff_client.get(_url(scored)).content.decode()
    assert 'class="sz-current"' in html and "述职中" in html and 'data-limit="300"' in html


def test_a_reporter_of_another_session_is_a_404(staff_client, scored):
    other = Report.objects.create(session=scored.liaoyang_session, organisation=scored.liaoyang_v1, order=1)
    assert _post(staff_client, _url(scored, "start", other.pk)).status_code == 404


def test_questions_end_and_next_move_the_meeting_on(staff_client, scored):
    _post(staff_client, _url(scored, "next"), version=0)
    assert _stages(scored) == ["reporting", "pending"]
    _post(staff_client, _url(scored, "questions"), version=1)
    assert _stages(scored) == ["questioning", "pending"]
    html = staff_client.get(_url(scored)).content.decode()
    assert "质询中" in html and 'data-limit="180"' in html
    _post(staff_client, _url(scored, "end"), version=2)
    assert _stages(scored) == ["done", "pending"] and _fresh(scored).screen_mode == ScreenMode.ORDER
    _post(staff_client, _url(scored, "next"), version=3)
    assert _stages(scored) == ["done", "reporting"]
    response = _post(staff_client, _url(scored, "next"), version=4, htmx=True)
    assert "所有述职对象均已述职" in response.content.decode()
    assert _fresh(scored).meeting_version == 4


def test_a_refused_action_shows_the_service_message(staff_client, scored):
    response = _post(staff_client, _url(scored, "questions"), version=0)
    response = staff_client.get(response.url)
    assert "请先开始述职，再开始质询" in _messages(response)


def test_a_stale_console_gets_the_message_and_the_fresh_state_without_acting_twice(client, scored):
    client.force_login(scored.county_staff)
    # Another console already pressed "next" on the page both rendered at version 0.
    review_services.meeting_next(actor=scored.superuser, session=scored.session, version=0)
    response = _post(client, _url(scored, "next"), version=0, htmx=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert _stale_message() in html
    assert _stages(scored) == ["reporting", "pending"] and _fresh(scored).meeting_version == 1
    # The fresh state: the first reporter is speaking, and the forms now carry version 1.
    assert 'name="version" value="1"' in html and 'name="version" value="0"' not in html
    assert "述职中" in html


def test_a_post_without_a_version_is_treated_as_stale(staff_client, scored):
    response = _post(staff_client, _url(scored, "next"), version=None)
    assert _stale_message() in _messages(staff_client.get(response.url))
    assert _fresh(scored).meeting_version == 0


def test_with_htmx_an_action_answers_with_the_console_body(staff_client, scored):
    response = _post(staff_client, _url(scored, "next"), htmx=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="console-body"') and "<html" not in html
    assert "X-Server-Time" in response.headers


@pytest.mark.parametrize(
    ("mode", "expected"),
    [(ScreenMode.BLANK, ScreenMode.BLANK), (ScreenMode.ORDER, ScreenMode.ORDER)],
)
def test_the_screen_buttons_set_what_the_screen_shows(staff_client, scored, mode, expected):
    _post(staff_client, _url(scored, "show"), mode=mode)
    assert _fresh(scored).screen_mode == expected


def test_the_current_reporter_cannot_be_shown_before_anyone_started(staff_client, scored):
    response = _post(staff_client, _url(scored, "show"), mode=ScreenMode.REPORT)
    assert "尚无述职对象开始述职" in _messages(staff_client.get(response.url))
    assert _fresh(scored).screen_mode == ScreenMode.ORDER


def test_b_toggles_between_blank_and_the_current_reporter(staff_client, scored):
    _post(staff_client, _url(scored, "next"), version=0)
    html = staff_client.get(_url(scored)).content.decode()
    assert re.search(r'value="blank">\s*<button[^>]*data-key="b"', html)
    _post(staff_client, _url(scored, "show"), version=1, mode=ScreenMode.BLANK)
    html = staff_client.get(_url(scored)).content.decode()
    assert re.search(r'value="report">\s*<button[^>]*data-key="b"', html)


def test_rotating_the_screen_address_gives_a_new_one(staff_client, scored):
    old = scored.session.screen_token
    response = _post(staff_client, _url(scored, "rotate"))
    new = _fresh(scored).screen_token
    assert new != old
    page = staff_client.get(response.url)
    assert "大屏地址已更换" in _messages(page)
    assert f"/screen/{new}/" in page.content.decode() and f"/screen/{old}/" not in page.content.decode()
    assert AuditEvent.objects.filter(action="meeting.screen_rotate", actor=scored.county_staff).exists()


def test_a_stale_console_does_not_rotate_the_address_again(staff_client, scored):
    review_services.screen_token_rotate(actor=scored.superuser, session=scored.session)
    token = _fresh(scored).screen_token
    _post(staff_client, _url(scored, "rotate"), version=0)
    assert _fresh(scored).screen_token == token


def test_scoring_opens_from_the_console(client, scored_closed_scheme):
    world = scored_closed_scheme
    client.force_login(world.county_staff)
    html = client.get(_url(world)).content.decode()
    assert "开始测评" in html
    response = _post(client, _url(world, "scoring_open"))
    assert Scheme.objects.get(session=world.session).scoring_status == ScoringStatus.OPEN
    assert "已开始测评" in _messages(client.get(response.url))


def test_closing_scoring_needs_the_confirm_tick(staff_client, scored):
    response = _post(staff_client, _url(scored, "scoring_close"))
    assert "请勾选确认" in _messages(staff_client.get(response.url))
    assert Scheme.objects.get(session=scored.session).scoring_status == ScoringStatus.OPEN
    response = _post(staff_client, _url(scored, "scoring_close"), confirm="yes")
    assert Scheme.objects.get(session=scored.session).scoring_status == ScoringStatus.CLOSED
    html = staff_client.get(response.url).content.decode()
    assert "已结束测评" in html and "揭晓下一名" in html and "全部揭晓" in html


def test_the_reveal_buttons_appear_only_after_scoring_closed(staff_client, scored):
    html = staff_client.get(_url(scored)).content.decode()
    assert "揭晓下一名" not in html and "全部揭晓" not in html
    response = _post(staff_client, _url(scored, "reveal"))
    assert "请先结束测评再揭晓结果" in _messages(staff_client.get(response.url))
    assert _fresh(scored).revealed_rows == 0


def test_reveal_next_then_all(staff_client, scored):
    services.ballot_submit(code=scored.leader_codes[0].token, marks=scored.marks("good"), submission_key="k")
    services.scoring_close(actor=scored.county_staff, session=scored.session)
    _post(staff_client, _url(scored, "reveal"), version=0)
    session = _fresh(scored)
    assert (session.screen_mode, session.revealed_rows) == (ScreenMode.RESULTS, 1)
    assert "已揭晓 1 / 2 名" in staff_client.get(_url(scored)).content.decode()
    _post(staff_client, _url(scored, "reveal"), version=1, everything="yes")
    assert _fresh(scored).revealed_rows == 2
    html = staff_client.get(_url(scored)).content.decode()
    assert re.search(r"<button[^>]*disabled[^>]*>.*全部揭晓", html)


def test_the_live_partial_has_the_timer_and_turnout(staff_client, scored):
    services.ballot_submit(code=scored.leader_codes[0].token, marks=scored.marks("good"), submission_key="k")
    _post(staff_client, _url(scored, "next"))
    key = f"{_fresh(scored).meeting_version}-open"
    response = staff_client.get(_url(scored, "live"), {"key": key}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "HX-Retarget" not in response.headers
    assert "console-body" not in html
    assert "中共石匣乡委员会" in html and "data-timer" in html and 'data-limit="300"' in html
    assert 'id="console-turnout" hx-swap-oob="true"' in html and "1 / 6" in html
    assert response.headers["X-Server-Time"].endswith("Z")


def test_the_live_partial_answers_with_the_whole_body_when_the_meeting_changed(staff_client, scored):
    response = staff_client.get(_url(scored, "live"), {"key": "0-open"}, **HTMX)
    assert "HX-Retarget" not in response.headers
    review_services.meeting_next(actor=scored.superuser, session=scored.session, version=0)
    response = staff_client.get(_url(scored, "live"), {"key": "0-open"}, **HTMX)
    assert response.headers["HX-Retarget"] == "#console-body"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert 'name="version" value="1"' in response.content.decode()
    # Scoring closed by someone else changes the console too.
    services.scoring_close(actor=scored.superuser, session=scored.session)
    response = staff_client.get(_url(scored, "live"), {"key": "1-open"}, **HTMX)
    assert response.headers["HX-Retarget"] == "#console-body"


def test_the_console_tab_is_linked_from_the_scoring_pages(staff_client, scored):
    html = staff_client.get(reverse("scoring:session", args=[scored.session.pk])).content.decode()
    assert _url(scored) in html and "主持控制台" in html


def test_the_live_partial_issues_a_bounded_number_of_queries(
    staff_client, scored, django_assert_max_num_queries
):
    _post(staff_client, _url(scored, "next"))
    # Login and scope (4), the session with its scheme and current reporter (1), turnout (4).
    with django_assert_max_num_queries(10):
        staff_client.get(_url(scored, "live"), {"key": "1-open"}, **HTMX)
