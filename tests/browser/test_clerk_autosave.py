"""The clerk's page in Chromium: typing is saved by itself, survives a reload and a dropped network."""

import os
import time

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from reviews.cycles.models import Session
from reviews.findings.models import Finding
from reviews.meeting.models import Comment, Question
from tests.conftest import World

QUESTION = "七项重点工作排名靠后，乡镇干部有压头情绪，作为党委书记，采取什么措施缓解干部压力？"
ANSWER = "一是优化考核办法，二是关心关爱干部，年内扭转落后局面。"
SHOTS = os.environ.get("SHUZHI_SHOTS", "")  # a folder to keep screenshots in, for a look by eye


@pytest.fixture
def world(live_server, transactional_db):
    world = World()
    Session.objects.filter(pk=world.county_session.pk).update(current_report=world.county_reports[1])
    return world


@pytest.fixture
def url(world, live_server):
    return f"{live_server.url}/manage/clerk/{world.county_session.pk}/"


@pytest.fixture
def clerk(world, live_server, new_page, url):
    """The page on a desktop-sized window, logged in as county staff (a test client's session cookie)."""
    client = Client()
    client.force_login(world.county_staff)
    page = new_page(
        viewport={"width": 1280, "height": 900}, device_scale_factor=1, is_mobile=False, has_touch=False
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
    page.on("dialog", lambda dialog: dialog.accept())
    _open(page, url)
    return page


def _open(page, url):
    page.goto(url)
    page.wait_for_selector("#sz-clerk[data-ready]")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _card(page, n: int):
    return page.locator("#questions [data-card]").nth(n)


def _eventually(check, seconds: float = 8.0):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not saved in time"
        time.sleep(0.1)


def test_typing_is_saved_and_stays_after_a_reload(clerk, world, url):
    report = world.county_reports[1]  # the reporter on the floor
    expect(clerk.locator(".sz-reporter-banner")).to_contain_text("中共辽阳镇委员会")
    card = _card(clerk, 0)
    card.locator("textarea[name=question]").press_sequentially(QUESTION[:20], delay=15)
    card.locator("textarea[name=question]").press_sequentially(QUESTION[20:], delay=5)
    expect(card.locator("[data-state]")).to_contain_text("已保存", timeout=5000)
    _eventually(lambda: Question.objects.filter(report=report, question=QUESTION).exists())

    # The answer and the satisfaction, then a reload before the pause is over: nothing is lost.
    card.locator("textarea[name=answer]").fill(ANSWER)
    card.get_by_text("基本满意", exact=True).click()
    _open(clerk, url)
    card = _card(clerk, 0)
    expect(card.locator("textarea[name=question]")).to_have_value(QUESTION)
    expect(card.locator("textarea[name=answer]")).to_have_value(ANSWER)
    expect(card.locator("input[value=fairly]")).to_be_checked()
    _eventually(lambda: Question.objects.filter(answer=ANSWER, satisfaction="fairly").count() == 1)
    assert Question.objects.count() == 1
    _shot(clerk, "clerk-saved")


def test_a_dropped_network_is_retried_and_the_text_kept(clerk, world):
    card = _card(clerk, 0)
    card.locator("textarea[name=question]").fill("如何保证低限运转经费逐额发放到位？")
    _eventually(lambda: Question.objects.filter(question__startswith="如何保证").exists())
    clerk.context.set_offline(True)
    card.locator("textarea[name=answer]").fill("专户管理，按季度发放。")
    expect(card.locator("[data-state]")).to_contain_text("保存失败，正在重试", timeout=5000)
    _shot(clerk, "clerk-offline")
    clerk.context.set_offline(False)
    expect(card.locator("[data-state]")).to_contain_text("已保存", timeout=10000)
    assert Question.objects.get().answer == "专户管理，按季度发放。"


def test_adding_a_question_handing_it_over_and_a_comment(clerk, world, url):
    _card(clerk, 0).locator("textarea[name=question]").fill("党员冬春训流于形式，今后如何改进？")
    clerk.get_by_role("button", name="添加质询").click()
    second = _card(clerk, 1)
    expect(second.locator("[data-number]")).to_have_text("2")
    expect(second.locator("textarea[name=question]")).to_be_focused()
    second.locator("textarea[name=question]").fill("不合格党员处置工作不到位，下段怎么打算？")
    expect(second.locator("[data-state]")).to_contain_text("已保存", timeout=5000)
    assert Question.objects.count() == 2

    second.locator("[data-action=hand-over]").click()
    expect(second.locator("[data-handed-badge]")).to_be_visible()
    expect(second.get_by_role("button", name="已交办")).to_be_disabled()
    _eventually(lambda: Finding.objects.filter(description__startswith="不合格党员").count() == 1)

    comment = clerk.locator("#comments [data-card]").first
    comment.locator("input[name=commenter]").fill("县委书记")
    comment.locator("textarea[name=text]").fill("突出问题导向，述的是问题，谈的是整改。")
    expect(comment.locator("[data-state]")).to_contain_text("已保存", timeout=5000)
    assert Comment.objects.get().commenter == "县委书记"
    _shot(clerk, "clerk-cards")

    _open(clerk, url)  # after a reload the page shows what the server has, once each
    expect(clerk.locator("#questions [data-card]")).to_have_count(2)
    expect(clerk.locator("#comments [data-card]")).to_have_count(1)
