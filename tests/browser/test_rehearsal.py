"""模拟演练 in Chromium: staff start a rehearsal, a delegate votes with a rehearsal code on a phone, the big
screen and every page say 演练, and one click (confirmed) clears it all."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from scoring.ballots.models import Ballot, PendingBallot
from scoring.codes import services as codes_services
from tests.scoring.conftest import ScoredWorld

DESKTOP = {"viewport": {"width": 1280, "height": 1000}, "device_scale_factor": 1}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True}
SHOTS = "/tmp/rehearsal-shots"


@pytest.fixture
def world(live_server, transactional_db):
    return ScoredWorld(open_scoring=False)


def _staff_page(new_page, live_server, user):
    client = Client()
    client.force_login(user)
    page = new_page(**DESKTOP)
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": live_server.url}])
    return page


def test_a_rehearsal_is_run_from_phones_and_cleared(world, live_server, new_page, settings):
    import os

    os.makedirs(SHOTS, exist_ok=True)
    settings.SITE_URL = live_server.url
    staff = _staff_page(new_page, live_server, world.county_staff)
    staff.goto(f"{live_server.url}/manage/scoring/{world.session.pk}/")
    staff.get_by_role("button", name="开始模拟演练").click()
    expect(staff.locator(".sz-rehearsal-banner")).to_be_visible()
    staff.get_by_role("button", name="开始测评").first.click()

    code = codes_services.credentials_issue(
        actor=world.county_staff, session=world.session, group=world.delegates, count=1
    )[0]
    screen = new_page(**DESKTOP)
    screen.goto(f"{live_server.url}/screen/{world.session.screen_token}/")
    expect(screen.locator(".sc-rehearsal")).to_have_text("演练")

    phone = new_page(**PHONE)
    phone.goto(f"{live_server.url}/vote/{code.token}/")
    expect(phone.locator(".bl-rehearsal")).to_have_text("演练")
    for report in world.reports:  # one reporter per screen: it moves on when the last item is marked
        for criterion in world.criteria:
            phone.locator(f'label:has(input[name="m-{report.pk}-{criterion.pk}"][value="good"])').click()
    phone.get_by_role("button", name="提交", exact=True).click()
    phone.get_by_role("button", name="确认提交").click()
    expect(phone.get_by_role("heading", name="测评票已提交")).to_be_visible()
    assert PendingBallot.objects.filter(session=world.session).count() == 1
    staff.screenshot(path=f"{SHOTS}/overview-rehearsal.png", full_page=True)

    staff.goto(f"{live_server.url}/manage/scoring/{world.session.pk}/")
    staff.get_by_label("我确认：删除演练产生的全部数据。").check()
    staff.get_by_role("button", name="清除演练").click()
    expect(staff.get_by_text("演练已清除")).to_be_visible()
    expect(staff.locator(".sz-rehearsal-banner")).to_have_count(0)
    expect(screen.locator(".sc-rehearsal")).to_have_count(0)  # the screen polls: the badge goes by itself
    assert not PendingBallot.objects.filter(session=world.session).exists()
    assert not Ballot.objects.filter(session=world.session).exists()
