"""会前检查 in Chromium: the page's colours, the screen connecting, the clock compared by the browser."""

import os

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.scoring.conftest import ScoredWorld

DESKTOP = {"viewport": {"width": 1280, "height": 1000}, "device_scale_factor": 1}
SHOTS = "/tmp/phone-shots"


@pytest.fixture
def world(live_server, transactional_db):
    return ScoredWorld()


def _logged_in(new_page, live_server, user):
    client = Client()
    client.force_login(user)
    page = new_page(**DESKTOP)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": cookie, "url": live_server.url}])
    return page


def _check(page, key):
    return page.locator(f'[data-check="{key}"]')


def test_the_preflight_page_turns_the_screen_green_and_compares_the_clocks(
    world, live_server, new_page, settings
):
    os.makedirs(SHOTS, exist_ok=True)
    settings.SITE_URL = "http://127.0.0.1:8000"  # what make run printed before it followed its own port
    page = _logged_in(new_page, live_server, world.county_staff)
    page.goto(f"{live_server.url}/manage/scoring/{world.session.pk}/")
    page.get_by_role("link", name="会前检查").click()
    expect(page.get_by_role("heading", name="会前检查", exact=True)).to_be_visible()
    expect(_check(page, "scheme")).to_have_attribute("data-status", "green")
    expect(_check(page, "site_url")).to_have_attribute("data-status", "red")
    expect(_check(page, "site_url")).to_contain_text(live_server.url)
    expect(_check(page, "screen")).to_have_attribute("data-status", "amber")
    expect(_check(page, "rehearsal")).to_contain_text("未进行")
    # The browser compares its clock with the server's: the same machine, so green, with the difference.
    expect(_check(page, "clock")).to_have_attribute("data-status", "green")
    expect(_check(page, "clock")).to_contain_text("本机时间比服务器")
    expect(page.locator("[data-overall]")).to_have_class("pf-overall pf-red mb-3")
    page.screenshot(path=f"{SHOTS}/preflight-red.png", full_page=True)

    settings.SITE_URL = live_server.url
    screen = new_page(**DESKTOP)
    screen.goto(f"{live_server.url}/screen/{world.session.screen_token}/")
    screen.wait_for_timeout(1500)  # the screen polls its state every second
    page.reload()
    expect(_check(page, "screen")).to_have_attribute("data-status", "green")
    expect(_check(page, "screen")).to_contain_text("正在连接")
    expect(_check(page, "site_url")).to_have_attribute("data-status", "green")
    expect(page.locator("[data-overall]")).to_have_class("pf-overall pf-amber mb-3")
    page.screenshot(path=f"{SHOTS}/preflight-amber.png", full_page=True)
