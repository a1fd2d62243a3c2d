"""Paper-ballot entry in Chromium: a clerk types a printed 测评表 with the keyboard alone."""

import time

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from reviews.cycles.models import Report, Session, SessionStatus
from reviews.orgs.models import Organisation, OrganisationKind
from scoring.ballots import services as ballots_services
from scoring.paper import services as paper_services
from scoring.paper.models import PaperBallot, PaperEntry, PaperStatus
from scoring.schemes import services as schemes_services
from scoring.schemes.models import Criterion, EvaluatorGroup, Scheme
from tests.conftest import SESSION_DATE, World, make_org, make_secretary, make_staff
from tests.scoring.conftest import ScoredWorld

DESKTOP = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}
DIGITS = {"good": "1", "fairly_good": "2", "average": "3", "poor": "4"}


def _zh(msgid: str, **values) -> str:
    with translation.override("zh-hans"):
        return gettext(msgid) % values


def _logged_in(new_page, live_server, user):
    client = Client()
    client.force_login(user)
    page = new_page(**DESKTOP)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


def _focused(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.name")


@pytest.fixture
def world(live_server, transactional_db):
    world = ScoredWorld()
    EvaluatorGroup.objects.filter(pk=world.delegates.pk).update(paper_issued=20)
    return world


def test_a_form_is_typed_with_the_keyboard_alone(world, live_server, new_page, tmp_path):
    url = f"{live_server.url}/manage/paper/{world.session.pk}/enter/"
    marks = world.marks("good", r1="fairly_good")
    marks[(world.reports[0].pk, world.criteria[2].pk)] = "poor"
    digits = "".join(DIGITS[marks[(r.pk, c.pk)]] for r in world.reports for c in world.criteria)

    page = _logged_in(new_page, live_server, world.county_staff)
    page.goto(url)
    assert _focused(page) == "serial"
    page.keyboard.type("12")
    page.keyboard.press("Enter")
    assert _focused(page) == f"m-{world.reports[0].pk}-{world.criteria[0].pk}"
    page.keyboard.type(digits[:4] + "3")  # a slip on the fifth cell …
    page.keyboard.press("Backspace")  # … goes back and clears it
    page.keyboard.type(digits[4:])
    expect(page.locator("[data-done]")).to_have_text(str(len(digits)))
    page.screenshot(path=str(tmp_path / "paper-entry-typed.png"), full_page=True)
    page.keyboard.press("Enter")

    outcome = page.locator(".pe-outcome-waiting")
    expect(outcome).to_contain_text(
        _zh("No. %(serial)s: first entry saved; waiting for the second entry.", serial=12)
    )
    assert _focused(page) == "serial"  # a fresh form, ready for the next one
    entry = PaperEntry.objects.get()
    assert entry.marks == {f"{r}-{c}": v for (r, c), v in sorted(marks.items())}

    second = _logged_in(new_page, live_server, world.superuser)
    second.goto(url)
    expect(second.locator("select[data-cell] option[selected]")).to_have_count(0)  # blind
    second.keyboard.type("12")
    second.keyboard.press("Enter")
    second.keyboard.type(digits)
    second.keyboard.press("Enter")
    expect(second.locator(".pe-outcome-counted")).to_contain_text(
        _zh("No. %(serial)s: both entries agree; the ballot is counted.", serial=12)
    )
    second.screenshot(path=str(tmp_path / "paper-entry-counted.png"), full_page=True)
    assert PaperBallot.objects.get().status == PaperStatus.COUNTED


def test_an_incomplete_form_is_not_sent_and_the_cursor_goes_to_the_gap(world, live_server, new_page):
    page = _logged_in(new_page, live_server, world.county_staff)
    page.goto(f"{live_server.url}/manage/paper/{world.session.pk}/enter/")
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    page.keyboard.type("111111")  # the first reporter only; the cursor is now on the last row
    page.keyboard.press("Enter")  # at the last row Enter saves, but a row is empty: nothing is sent
    expect(page.locator("[data-missing]")).to_be_visible()
    assert _focused(page) == f"m-{world.reports[1].pk}-{world.criteria[0].pk}"
    assert not PaperBallot.objects.exists()


def test_a_spoilt_form_is_recorded_by_keyboard(world, live_server, new_page, tmp_path):
    page = _logged_in(new_page, live_server, world.county_staff)
    page.goto(f"{live_server.url}/manage/paper/{world.session.pk}/enter/")
    page.keyboard.type("7")
    page.keyboard.press("Tab")  # the 废票 switch comes right after the form number
    page.keyboard.press("Space")
    assert _focused(page) == "reason"
    page.keyboard.press("ArrowDown")  # 空白票
    page.screenshot(path=str(tmp_path / "paper-entry-spoilt.png"), full_page=True)
    page.keyboard.press("Enter")
    expect(page.locator(".pe-outcome-waiting")).to_contain_text(
        _zh("No. %(serial)s: first entry saved as invalid; waiting for the second entry.", serial=7)
    )
    entry = PaperEntry.objects.get()
    assert (entry.marks, entry.invalid_reason) == ({}, _zh("Blank form"))


def test_a_third_person_settles_a_mismatch_by_keyboard(world, live_server, new_page, tmp_path):
    third = make_staff("clerk3", world.county)
    for clerk, grade in ((world.county_staff, "poor"), (world.superuser, "average")):
        paper_services.paper_entry_submit(
            actor=clerk,
            session=world.session,
            group=world.delegates,
            serial=21,
            marks=world.marks("good", r1=grade),
        )
    paper = PaperBallot.objects.get()
    page = _logged_in(new_page, live_server, third)
    page.goto(f"{live_server.url}/manage/paper/form/{paper.pk}/resolve/")
    expect(page.locator("td[data-diff]")).to_have_count(len(world.criteria))
    assert _focused(page) == f"m-{world.reports[0].pk}-{world.criteria[0].pk}"
    page.screenshot(path=str(tmp_path / "paper-resolve.png"), full_page=True)
    page.keyboard.type("4" * len(world.criteria))  # read again: 差 throughout
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text(
        _zh("No. %(serial)s: resolved; the ballot is counted.", serial=21)
    )
    page.screenshot(path=str(tmp_path / "paper-overview.png"), full_page=True)
    paper.refresh_from_db()
    assert (paper.status, paper.resolved_by) == (PaperStatus.COUNTED, third)


def _session_of(world: World, reporters: int, *, one_item: bool) -> Session:
    """A county session with `reporters` township secretaries, scoring open, paper forms issued."""
    session = Session.objects.create(
        cycle=world.cycle,
        host=world.county,
        title=f"{reporters}位书记述职评议会（{'总体评价' if one_item else '六项'}）",
        date=SESSION_DATE,
        status=SessionStatus.PREPARING,
    )
    for order in range(1, reporters + 1):
        org = Organisation.objects.filter(code=f"X{order:02d}").first()
        if org is None:
            org = make_org(
                f"X{order:02d}", f"中共第{order}乡镇委员会", world.county, kind=OrganisationKind.COMMITTEE
            )
            make_secretary(org, f"书记{order}")
        Report.objects.create(session=session, organisation=org, order=order)
    scheme = schemes_services.scheme_create_default(actor=world.county_staff, session=session)
    if one_item:
        Scheme.objects.filter(pk=scheme.pk).update(mode="grade")
        Criterion.objects.filter(scheme=scheme).exclude(order=1).delete()
    EvaluatorGroup.objects.filter(scheme=scheme).update(paper_issued=50)
    ballots_services.scoring_open(actor=world.county_staff, session=session)
    return session


def _type_one_form(page, url: str, serial: int, digits: str) -> float:
    page.goto(url)
    page.wait_for_selector("[data-paper-form]")
    started = time.perf_counter()
    page.keyboard.type(str(serial))
    page.keyboard.press("Enter")
    page.keyboard.type(digits)
    page.keyboard.press("Enter")
    page.wait_for_selector(".pe-outcome-waiting")
    return time.perf_counter() - started


def test_the_keyboard_entry_of_a_19_reporter_form_is_timed(live_server, transactional_db, new_page, tmp_path):
    """Not a timed assertion: prints how long Playwright's keyboard takes, save and reload included."""
    world = World()
    page = _logged_in(new_page, live_server, world.county_staff)
    timings = {}
    for one_item in (True, False):
        session = _session_of(world, 19, one_item=one_item)
        cells = 19 * (1 if one_item else 6)
        digits = "".join("1234"[i % 4] for i in range(cells))
        url = f"{live_server.url}/manage/paper/{session.pk}/enter/"
        page.goto(url)
        page.screenshot(path=str(tmp_path / f"paper-entry-19-{cells}.png"), full_page=True)
        timings[cells] = _type_one_form(page, url, 100 + cells, digits)
        entry = PaperEntry.objects.get(paper_ballot__session=session)
        assert len(entry.marks) == cells
    for cells, seconds in timings.items():
        print(
            f"\npaper entry, 19 reporters × {cells // 19} item(s): "
            f"{cells} digits + 2 Enter in {seconds:.2f} s"
        )
