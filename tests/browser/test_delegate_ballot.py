"""The delegate's ballot in Chromium: score on a phone, reload, review, submit once, keep the receipt."""

import pytest
from playwright.sync_api import expect

from reviews.cycles.models import Report
from scoring.ballots import services
from scoring.ballots.models import Ballot, Score
from scoring.schemes.models import Scheme
from tests.scoring.conftest import ScoredWorld, count_held_ballots

GRADES = ["good", "fairly_good", "average", "poor"]


@pytest.fixture
def world(live_server, transactional_db):
    """Built after the live server is up, in the transactional database it serves."""
    world = ScoredWorld()
    Report.objects.filter(pk=world.reports[0].pk).update(topic="如何壮大村级集体经济")
    return world


def _ballot_url(live_server, code) -> str:
    return f"{live_server.url}/vote/{code}/"


def _marks(world) -> dict[tuple[int, int], str]:
    """A varied ballot: reporter 1 gets the four grades in turn, reporter 2 gets 好 and one 较好."""
    first, second = world.reports
    marks = {(first.pk, c.pk): GRADES[i % 4] for i, c in enumerate(world.criteria)}
    marks |= {(second.pk, c.pk): "good" for c in world.criteria}
    marks[(second.pk, world.criteria[-1].pk)] = "fairly_good"
    return marks


def _score(page, marks, report_id=None):
    for (r, c), grade in marks.items():
        if report_id is None or r == report_id:
            page.locator(f'label:has(input[name="m-{r}-{c}"][value="{grade}"])').click()


def _radio(page, report_id, criterion_id, grade):
    return page.locator(f'input[name="m-{report_id}-{criterion_id}"][value="{grade}"]')


def _stored(world) -> dict[tuple[int, int], str]:
    count_held_ballots()
    return {(s.report_id, s.criterion_id): s.grade for s in Score.objects.all()}


def test_a_delegate_scores_reloads_reviews_and_gets_a_receipt(world, live_server, page, tmp_path):
    code = world.leader_codes[0]
    marks = _marks(world)
    first = world.reports[0]
    page.goto(_ballot_url(live_server, code.token))
    progress = page.locator("[data-progress]")
    expect(progress).to_contain_text("已评 0/2")
    expect(page.get_by_text("如何壮大村级集体经济")).to_be_visible()

    _score(page, marks, report_id=first.pk)
    expect(progress).to_contain_text("已评 1/2")
    page.reload()
    for (r, c), grade in marks.items():
        if r == first.pk:
            expect(_radio(page, r, c, grade)).to_be_checked()
    expect(progress).to_contain_text("已评 1/2")

    page.get_by_role("button", name="跳到未评").click()
    _score(page, marks, report_id=world.reports[1].pk)
    expect(progress).to_contain_text("已评 2/2")
    expect(page.get_by_role("button", name="跳到未评")).to_be_hidden()
    page.screenshot(path=str(tmp_path / "ballot.png"), full_page=True)

    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_role("heading", name="请核对测评票")).to_be_visible()
    page.get_by_role("button", name="确认提交").click()
    expect(page.get_by_role("heading", name="测评票已提交")).to_be_visible()

    count_held_ballots()
    ballot = Ballot.objects.get()
    expect(page.locator(".bl-receipt-code")).to_have_text(f"{ballot.receipt[:5]}-{ballot.receipt[5:]}")
    assert ballot.group == world.leaders and _stored(world) == marks
    assert page.evaluate(f"localStorage.getItem('shuzhi-draft-{code.short_code}')") is None
    assert (tmp_path / "ballot.png").stat().st_size > 10_000


def test_one_code_in_two_browsers_stores_one_ballot(world, live_server, new_page):
    code = world.leader_codes[0]
    phone, tablet = new_page(), new_page(viewport={"width": 1280, "height": 800})
    for page, grade in ((phone, "good"), (tablet, "average")):
        page.goto(_ballot_url(live_server, code.short_code))
        _score(page, dict.fromkeys(_marks(world), grade))
        page.get_by_role("button", name="提交", exact=True).click()
        expect(page.get_by_role("button", name="确认提交")).to_be_visible()

    phone.get_by_role("button", name="确认提交").click()
    expect(phone.get_by_role("heading", name="测评票已提交")).to_be_visible()
    tablet.get_by_role("button", name="确认提交").click()
    expect(tablet.get_by_role("heading", name="此测评码已提交")).to_be_visible()

    count_held_ballots()
    assert Ballot.objects.count() == 1
    assert set(_stored(world).values()) == {"good"}


def test_a_lost_answer_to_the_submit_can_still_show_its_receipt(world, live_server, page):
    """The ballot is stored but the receipt page never arrives; the draft asks again and gets the receipt."""
    code = world.leader_codes[0]
    page.goto(_ballot_url(live_server, code.token))
    _score(page, _marks(world))
    page.get_by_role("button", name="提交", exact=True).click()

    def lose_the_answer(route):
        route.fetch(max_redirects=0)  # the server stores the ballot…
        route.abort()  # …and the answer never reaches the phone

    page.route("**/submit/", lose_the_answer)
    with page.expect_event("requestfailed"):
        page.get_by_role("button", name="确认提交").click()
    page.unroute("**/submit/")
    count_held_ballots()
    assert Ballot.objects.count() == 1

    page.goto(_ballot_url(live_server, code.token))
    expect(page.get_by_role("heading", name="此测评码已提交")).to_be_visible()
    page.get_by_role("button", name="重新获取回执码").click()
    expect(page.get_by_role("heading", name="测评票已提交")).to_be_visible()
    count_held_ballots()
    receipt = Ballot.objects.get().receipt
    expect(page.locator(".bl-receipt-code")).to_have_text(f"{receipt[:5]}-{receipt[5:]}")


def test_points_are_clamped_and_totalled(live_server, transactional_db, page):
    world = ScoredWorld(open_scoring=False)
    Scheme.objects.filter(pk=world.scheme.pk).update(mode="points")
    keep = world.criteria[:2]
    world.scheme.criteria.exclude(pk__in=[c.pk for c in keep]).delete()
    world.scheme.criteria.filter(pk=keep[0].pk).update(max_points=60)
    world.scheme.criteria.filter(pk=keep[1].pk).update(max_points=40)
    services.scoring_open(actor=world.county_staff, session=world.session)
    first = world.reports[0]

    page.goto(_ballot_url(live_server, world.leader_codes[0].token))
    field = page.locator(f'input[name="m-{first.pk}-{keep[0].pk}"]')
    field.fill("75")
    field.press("Tab")
    expect(field).to_have_value("60")
    page.locator(f'input[name="m-{first.pk}-{keep[1].pk}"]').fill("35.5")
    expect(page.locator(f"#r{first.pk} [data-total]")).to_have_text("95.5")
    expect(page.locator("[data-progress]")).to_contain_text("已评 1/2")


def test_the_ballot_works_without_javascript(world, live_server, browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(_ballot_url(live_server, world.delegate_codes[0].token))
        expect(page.locator("[data-progress]")).to_be_hidden()
        marks = _marks(world)
        first_mark = next(iter(marks))
        _score(page, {k: v for k, v in marks.items() if k != first_mark})
        page.get_by_role("button", name="提交", exact=True).click()
        expect(page.get_by_text("未评完")).to_be_visible()
        page.get_by_role("button", name="返回修改", exact=True).click()
        expect(_radio(page, *first_mark, marks[first_mark])).not_to_be_checked()
        _score(page, {first_mark: marks[first_mark]})
        page.get_by_role("button", name="提交", exact=True).click()
        page.get_by_role("button", name="确认提交").click()
        expect(page.get_by_role("heading", name="测评票已提交")).to_be_visible()
        count_held_ballots()
        assert "/receipt" not in page.url and Ballot.objects.get().receipt not in page.url
        assert _stored(world) == marks and Ballot.objects.get().group == world.delegates
    finally:
        context.close()
