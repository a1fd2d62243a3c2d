"""In Chromium: a tie explained on the big screen, and a double click on 发放 starting one slips job."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from reviews.cycles.models import Report, Session
from reviews.jobs.models import Job
from reviews.orgs.models import OrganisationKind
from scoring import selectors
from scoring.ballots import services as ballots_services
from scoring.codes.models import Credential, IssueBatch
from scoring.meeting import services as meeting_services
from scoring.results import documents
from tests.conftest import delete_job_results, make_org, make_secretary
from tests.reviews.jobs.test_worker_process import start_worker, stop
from tests.scoring.conftest import ScoredWorld

SCREENSHOTS = os.environ.get("SHUZHI_SCREENSHOTS", "")  # a folder: save what the tests saw there
EXTRA = [
    ("T03", "中共麻田镇委员会", "赵立新"),
    ("T04", "中共桐峪镇委员会", "孙海燕"),
    ("T05", "中共拐儿镇委员会", "周志刚"),
    ("T06", "中共芹泉镇委员会", "吴秀兰"),
]


def _desktop(new_page, width=1440, height=900):
    return new_page(
        viewport={"width": width, "height": height}, device_scale_factor=1, is_mobile=False, has_touch=False
    )


def _logged_in(page, user, live_server):
    client = Client()
    client.force_login(user)
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


@pytest.fixture
def world(live_server, transactional_db):
    """Six reporters: one at 100, three tied exactly at 80 (half 好), one at 80 with no 好, one at 60."""
    world = ScoredWorld(open_scoring=False)
    for i, (code, name, secretary) in enumerate(EXTRA, start=3):
        org = make_org(code, name, world.county, kind=OrganisationKind.COMMITTEE)
        make_secretary(org, secretary)
        Report.objects.create(session=world.session, organisation=org, order=i)
    world.reports = list(Report.objects.filter(session=world.session).order_by("order"))
    return world


def _marks(world) -> dict:
    plan = {
        1: ("good",),
        2: ("good", "average"),
        3: ("good", "average"),
        4: ("good", "average"),
        5: ("fairly_good",),
        6: ("average",),
    }
    return {
        (report.pk, criterion.pk): plan[report.order][i % len(plan[report.order])]
        for report in world.reports
        for i, criterion in enumerate(world.criteria)
    }


def test_the_big_screen_explains_its_ties(world, live_server, new_page):
    ballots_services.scoring_open(actor=world.county_staff, session=world.session)
    for i, code in enumerate(world.leader_codes + world.delegate_codes):
        ballots_services.ballot_submit(code=code.token, marks=_marks(world), submission_key=f"k{i}")
    ballots_services.scoring_close(actor=world.county_staff, session=world.session)
    session = Session.objects.get(pk=world.session.pk)
    meeting_services.results_reveal(
        actor=world.county_staff, session=world.session, everything=True, version=session.meeting_version
    )
    screen = _desktop(new_page, 1920, 1080)
    screen.goto(f"{live_server.url}/screen/{session.screen_token}/")
    rows = screen.locator("[data-rank-row]")
    expect(rows).to_have_count(6)
    expect(screen.locator(".sc-rank")).to_have_text(["1", "2", "2", "2", "5", "6"])
    expect(screen.locator("[data-tie]")).to_have_text(
        ["并列", "并列", "并列；好票占比 50.0% vs 0.0%", "好票占比 0.0% vs 50.0%"]
    )
    expect(rows.nth(4)).to_contain_text("80.00")
    # The note sits under the name, inside its row, and does not push the score out of the row.
    tie_box = rows.nth(4).locator("[data-tie]").bounding_box()
    row_box = rows.nth(4).bounding_box()
    assert (
        row_box["y"] <= tie_box["y"] and tie_box["y"] + tie_box["height"] <= row_box["y"] + row_box["height"]
    )
    if SCREENSHOTS:
        screen.screenshot(path=f"{SCREENSHOTS}/screen-ties.png")
        bulletin = documents.results_bulletin_pdf(selectors.session_tally(world.session))
        Path(SCREENSHOTS, "bulletin-ties.pdf").write_bytes(bulletin)


def test_a_double_click_on_issue_starts_one_job_whose_page_reaches_the_download_with_a_real_worker(
    world, live_server, new_page, tmp_path, request
):
    # The live server reads the progress the worker writes.
    request.getfixturevalue("settings").JOBS_PROGRESS_DIR = tmp_path
    worker = start_worker(tmp_path)
    try:
        page = _logged_in(_desktop(new_page), world.county_staff, live_server)
        page.goto(f"{live_server.url}/manage/scoring/{world.session.pk}/codes/")
        posts = []
        page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        page.select_option("#id_group", str(world.delegates.pk))
        page.fill("#id_count", "10")
        page.get_by_role("button", name="发放并下载测评码纸条（PDF）").dblclick()
        page.wait_for_url("**/jobs/*/")
        expect(page.get_by_role("heading", name="测评码纸条")).to_be_visible()
        download_link = page.get_by_role("link", name=re.compile("^下载"))
        expect(download_link).to_be_visible(timeout=90_000)
        expect(page.locator("#sz-job-progress")).to_contain_text("已生成 10 / 10 张")
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/codes-slips-job.png", full_page=True)
        with page.expect_download() as download:
            download_link.click()
        assert download.value.suggested_filename.endswith(".pdf")
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
        assert len([url for url in posts if url.endswith("/codes/issue/")]) == 1
        assert Credential.objects.filter(group=world.delegates).count() == 6 + 10
        assert IssueBatch.objects.count() == 1 and Job.objects.count() == 1
        # Back to the codes page: the new counts and the issue, ready.
        page.get_by_role("link", name="返回测评码").click()
        expect(page.locator("#sz-code-counts")).to_contain_text("16")
        expect(page.locator("#sz-batches")).to_contain_text("0013–0022")
        expect(page.locator("#sz-batches")).to_contain_text("已发放")
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/codes-issued.png", full_page=True)
    finally:
        stop(worker)
        delete_job_results()
