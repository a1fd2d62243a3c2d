"""The ballot's two views in Chromium: one reporter per screen on a phone, the grid on a laptop."""

import pytest
from playwright.sync_api import expect

from reviews.cycles.models import Report
from scoring.ballots.models import Ballot, Score
from tests.scoring.conftest import ScoredWorld, count_held_ballots

DESKTOP = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}
SHOTS = "/tmp/phone-shots"


@pytest.fixture
def world(live_server, transactional_db):
    """Six reporters × six items, built after the live server is up."""
    world = ScoredWorld()
    villages = [world.shijia_v1, world.shijia_v2, world.liaoyang_v1, world.liaoyang_v2]
    extra = [
        Report.objects.create(session=world.session, organisation=org, order=i)
        for i, org in enumerate(villages, start=3)
    ]
    world.reports = [*world.reports, *extra]
    return world


def _url(live_server, world) -> str:
    return f"{live_server.url}/vote/{world.leader_codes[0].token}/"


def _grade(page, report, criterion, grade="good"):
    page.locator(f'label:has(input[name="m-{report.pk}-{criterion.pk}"][value="{grade}"])').click()


def _section(page, report):
    return page.locator(f"#r{report.pk}")


def test_a_phone_shows_one_reporter_at_a_time_keeps_its_place_and_goes_to_the_first_gap(
    world, live_server, page
):
    import os

    os.makedirs(SHOTS, exist_ok=True)
    first, second, third = world.reports[:3]
    page.goto(_url(live_server, world))
    expect(_section(page, first)).to_be_visible()
    expect(_section(page, second)).to_be_hidden()
    expect(page.locator("[data-step-pos]")).to_have_text("1")
    expect(page.get_by_role("button", name="上一位")).to_be_disabled()

    for criterion in world.criteria:
        _grade(page, first, criterion)
    # The last item marked: the next reporter comes up by itself.
    expect(_section(page, second)).to_be_visible()
    expect(_section(page, first)).to_be_hidden()
    expect(page.locator("[data-step-pos]")).to_have_text("2")
    expect(page.locator("[data-progress]")).to_contain_text("已评 1/6")
    for criterion in world.criteria[:3]:
        _grade(page, second, criterion, "average")
    page.screenshot(path=f"{SHOTS}/phone-ballot.png")

    page.reload()
    expect(_section(page, second)).to_be_visible()
    expect(page.locator("[data-step-pos]")).to_have_text("2")
    for criterion in world.criteria[:3]:
        expect(page.locator(f'input[name="m-{second.pk}-{criterion.pk}"][value="average"]')).to_be_checked()
    expect(page.locator("[data-meter]")).to_have_attribute("value", "1")

    page.get_by_role("button", name="下一位").click()
    expect(_section(page, third)).to_be_visible()
    page.get_by_role("button", name="提交", exact=True).click()
    # Not sent: straight to the first reporter left to score, with a word why.
    expect(_section(page, second)).to_be_visible()
    expect(_section(page, third)).to_be_hidden()
    expect(page.locator("[data-missing-note]")).to_be_visible()
    assert page.evaluate("window.scrollY") < 200
    page.screenshot(path=f"{SHOTS}/phone-first-gap.png")
    count_held_ballots()
    assert not Ballot.objects.exists()

    for report in world.reports[1:]:
        page.get_by_role("button", name="跳到未评").click() if report is not second else None
        expect(_section(page, report)).to_be_visible()
        for criterion in world.criteria:
            _grade(page, report, criterion, "fairly_good")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_role("heading", name="请核对测评票")).to_be_visible()
    expect(page.locator("[data-summary-row]")).to_have_count(6)
    page.screenshot(path=f"{SHOTS}/phone-review.png", full_page=True)
    page.locator("[data-summary-row]").nth(2).get_by_role("button", name="修改").click()
    expect(_section(page, third)).to_be_visible()
    expect(_section(page, second)).to_be_hidden()
    page.get_by_role("button", name="提交", exact=True).click()
    page.get_by_role("button", name="确认提交").click()
    expect(page.get_by_role("heading", name="测评票已提交")).to_be_visible()
    count_held_ballots()
    assert Score.objects.count() == 36 and Score.objects.filter(grade="good").count() == 6


def test_a_laptop_gets_the_grid_and_can_switch_to_one_at_a_time(world, live_server, new_page):
    page = new_page(**DESKTOP)
    page.goto(_url(live_server, world))
    expect(page.locator("[data-grid-head]")).to_be_visible()
    for report in world.reports:
        expect(_section(page, report)).to_be_visible()
    rows = [_section(page, report).bounding_box() for report in world.reports]
    assert all(row["height"] < 90 for row in rows), rows
    last = world.reports[-1]
    for criterion in world.criteria:
        _grade(page, last, criterion, "poor")
    expect(page.locator("[data-progress]")).to_contain_text("已评 1/6")
    expect(_section(page, world.reports[0])).to_be_visible()  # no stepping in the grid
    page.screenshot(path=f"{SHOTS}/desktop-grid.png")

    page.get_by_role("button", name="逐位评分").click()
    expect(_section(page, last)).to_be_visible()
    expect(_section(page, world.reports[0])).to_be_hidden()
    page.reload()  # the choice is remembered on the device
    expect(page.get_by_role("button", name="表格视图")).to_be_visible()
    expect(_section(page, world.reports[0])).to_be_hidden()


def test_without_javascript_an_incomplete_ballot_leads_back_to_the_first_gap(world, live_server, browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(_url(live_server, world))
        for report in world.reports:  # the whole list, as before the script
            expect(_section(page, report)).to_be_visible()
        gap = world.reports[4]
        for report in world.reports:
            for criterion in world.criteria:
                if (report, criterion) != (gap, world.criteria[2]):
                    _grade(page, report, criterion)
        page.get_by_role("button", name="提交", exact=True).click()
        back = page.get_by_role("button", name=f"返回修改：5. {gap.organisation.name}")
        expect(back).to_be_in_viewport()  # right under the message, not ~9,800 px below it
        back.click()
        assert page.url.endswith(f"#r{gap.pk}")
        expect(_section(page, gap)).to_be_in_viewport()
        expect(page.locator(f'input[name="m-{gap.pk}-{world.criteria[1].pk}"][value="good"]')).to_be_checked()
    finally:
        context.close()
