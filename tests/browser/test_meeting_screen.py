"""The host console and the big screen side by side in Chromium: the screen follows the host within 2 s."""

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from reviews.cycles.models import Report
from scoring import selectors, tally
from scoring.ballots import services
from tests.scoring.conftest import ScoredWorld

FOLLOW_MS = 2000  # the screen polls every second; it must show the host's action within 2 s
SCORE = re.compile(r"\b\d{1,3}\.\d{2}\b")


@pytest.fixture
def world(live_server, transactional_db):
    """Built after the live server is up, in the transactional database it serves; scoring not yet open."""
    world = ScoredWorld(open_scoring=False)
    Report.objects.filter(pk=world.reports[0].pk).update(topic="如何壮大村级集体经济")
    return world


@pytest.fixture
def console(world, live_server, new_page):
    """The console in a laptop-sized window, logged in as county staff (a test client's session cookie)."""
    client = Client()
    client.force_login(world.county_staff)
    page = new_page(
        viewport={"width": 1440, "height": 900}, device_scale_factor=1, is_mobile=False, has_touch=False
    )
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/manage/meeting/{world.session.pk}/")
    expect(page.get_by_role("heading", name=world.session.title)).to_be_visible()
    return page


@pytest.fixture
def screen(world, live_server, new_page):
    page = new_page(
        viewport={"width": 1920, "height": 1080}, device_scale_factor=1, is_mobile=False, has_touch=False
    )
    page.goto(f"{live_server.url}/screen/{world.session.screen_token}/")
    return page


def _console_button(console, name: str):
    return console.locator("#console-body").get_by_role("button", name=name, exact=False)


def test_the_screen_follows_the_host_and_reveals_the_ranking_only_on_request(
    world, console, screen, tmp_path
):
    expect(screen.locator(".sc-heading")).to_have_text("述职顺序")
    expect(screen.locator(".sc-following")).to_contain_text("下一位：中共石匣乡委员会 王建国")

    # The host starts scoring, then the first report with the S key.
    _console_button(console, "开始测评").click()
    expect(console.locator("#console-body")).to_contain_text("已开始测评")
    console.keyboard.press("s")
    expect(console.locator("tr.sz-current")).to_contain_text("中共石匣乡委员会")
    expect(screen.locator(".sc-org-name")).to_have_text("中共石匣乡委员会", timeout=FOLLOW_MS)
    expect(screen.locator(".sc-topic")).to_contain_text("如何壮大村级集体经济")
    expect(screen.locator(".sc-stage")).to_have_text("述职中")
    expect(screen.locator("[data-timer-text]")).to_have_text(re.compile(r"^[45]:\d\d$"))
    expect(screen.locator(".sc-qr-code svg")).to_be_visible()

    # Delegates vote; the screen's turnout follows.
    for i in range(3):
        services.ballot_submit(
            code=world.leader_codes[i].token, marks=world.marks("good", r2="poor"), submission_key="k"
        )
    expect(screen.locator(".sc-turnout").first).to_contain_text("3 / 6", timeout=FOLLOW_MS + 1000)

    # Questions with Q, then the next reporter with N.
    console.keyboard.press("q")
    expect(screen.locator(".sc-stage")).to_have_text("质询中", timeout=FOLLOW_MS)
    console.keyboard.press("n")
    expect(screen.locator(".sc-org-name")).to_have_text("中共辽阳镇委员会", timeout=FOLLOW_MS)

    # The host ends scoring (with the confirm tick): still no score on the screen.
    console.locator("#sz-close-confirm").check()
    _console_button(console, "结束测评").click()
    expect(console.locator("#console-body")).to_contain_text("已结束测评")
    console.keyboard.press("e")
    expect(screen.locator(".sc-heading")).to_have_text("述职顺序", timeout=FOLLOW_MS)
    before = screen.locator("body").inner_text()
    assert not SCORE.search(before) and not SCORE.search(screen.content())
    screen.screenshot(path=str(tmp_path / "screen-before-reveal.png"))

    # Reveal everything: the whole ranking, best first.
    _console_button(console, "全部揭晓").click()
    expect(screen.locator("[data-rank-row]")).to_have_count(2, timeout=FOLLOW_MS)
    ranking = selectors.session_tally(world.session).result.ranking
    scores = [tally.fmt(r.composite_exact) for r in ranking]
    after = screen.locator(".sc-ranking").inner_text()
    assert after.index("中共石匣乡委员会") < after.index("中共辽阳镇委员会")
    assert SCORE.findall(after) == scores and "好" in after and "差" in after
    screen.wait_for_timeout(1000)  # the reveal animation
    screen.screenshot(path=str(tmp_path / "screen-after-reveal.png"))
    assert (tmp_path / "screen-before-reveal.png").stat().st_size > 10_000
    assert (tmp_path / "screen-after-reveal.png").stat().st_size > 10_000


def test_the_screen_keeps_polling_through_a_dropped_connection(world, screen):
    expect(screen.locator(".sc-heading")).to_have_text("述职顺序")
    badge = screen.locator("[data-offline]")
    expect(badge).to_be_hidden()
    screen.route("**/state/", lambda route: route.abort())
    expect(badge).to_have_text("连接中断，正在重连", timeout=FOLLOW_MS + 1000)
    screen.unroute("**/state/")
    expect(badge).to_be_hidden(timeout=FOLLOW_MS + 1000)
    expect(screen.locator(".sc-heading")).to_have_text("述职顺序")
