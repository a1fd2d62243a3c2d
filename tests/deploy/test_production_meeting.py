"""A whole meeting in Chromium through gunicorn on the production settings (issue 14, requirement 5).

DEBUG off, a real SECRET_KEY, ALLOWED_HOSTS, static files collected into a temporary STATIC_ROOT with
whitenoise's compressed manifest, the database cache, gunicorn with the redacting logger — on the
throwaway PostgreSQL of `make test` (collected on PostgreSQL only: tests/deploy/conftest.py). Staff log in
through the login form, issue codes, a phone votes with one, staff close, publish and download the
workbook. The slips PDF is drawn by the job worker started beside gunicorn (tests/servers.py:processes).
"""

import csv
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from scoring.ballots.models import Ballot
from scoring.results.models import ResultSnapshot
from scoring.results.services import snapshot_matches
from tests.scoring.conftest import ScoredWorld

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 1000}, "device_scale_factor": 1, "is_mobile": False}
PASSWORD = "Shuzhi-production-2026"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}


def _score_everything(phone, world, grade: str) -> None:
    for report in world.reports:  # one reporter per screen: it moves on when the last item is marked
        for criterion in world.criteria:
            phone.locator(f'label:has(input[name="m-{report.pk}-{criterion.pk}"][value="{grade}"])').click()
    phone.get_by_role("button", name="提交", exact=True).click()
    phone.get_by_role("button", name="确认提交").click()
    expect(phone.get_by_role("heading", name="测评票已提交")).to_be_visible()


def test_a_meeting_runs_end_to_end_on_the_production_settings_under_gunicorn(app_servers, new_page, settings):
    world = ScoredWorld(codes_per_group=1, open_scoring=False)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # the server's, not MD5
    world.county_staff.set_password(PASSWORD)
    world.county_staff.save()
    port = app_servers.start_web()
    site = f"http://127.0.0.1:{port}"
    session = world.session

    staff = new_page(**DESKTOP)
    staff.set_default_timeout(15_000)  # a 2-core machine running other suites: PDF-free pages, but slow
    staff.goto(f"{site}/manage/scoring/{session.pk}/")
    expect(staff).to_have_url(f"{site}/accounts/login/?next=/manage/scoring/{session.pk}/")
    staff.fill("#id_username", world.county_staff.username)
    staff.fill("#id_password", PASSWORD)
    staff.get_by_role("button", name="登录").click()
    expect(staff.get_by_role("button", name="开始测评")).to_be_visible()
    # Static files come from whitenoise's manifest: hashed names, served with a long cache lifetime.
    stylesheet = staff.locator('link[rel="stylesheet"]').first.get_attribute("href")
    assert stylesheet.startswith("/static/") and len(stylesheet.split(".")) >= 3, stylesheet
    assert "max-age=315360000" in staff.request.get(f"{site}{stylesheet}").headers["cache-control"]

    staff.goto(f"{site}/manage/scoring/{session.pk}/codes/")
    staff.select_option("#id_group", str(world.delegates.pk))
    staff.fill("#id_count", "2")
    with staff.expect_download() as download:
        staff.get_by_role("button", name="发放并下载清单（CSV）").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    addresses = [row[2] for row in rows[1:]]
    assert len(addresses) == 2 and all(address.startswith(f"{site}/vote/") for address in addresses)

    # Slips are drawn by the worker (deploy/shuzhi-worker.service): the page follows the job to its file.
    staff.goto(f"{site}/manage/scoring/{session.pk}/codes/")
    staff.select_option("#id_group", str(world.leaders.pk))
    staff.fill("#id_count", "1")
    staff.get_by_role("button", name="发放并下载测评码纸条（PDF）").click()
    download_link = staff.get_by_role("link", name="下载", exact=False)
    expect(download_link).to_be_visible(timeout=60_000)
    with staff.expect_download() as slips:
        download_link.click()
    assert slips.value.path().read_bytes().startswith(b"%PDF")

    staff.goto(f"{site}/manage/scoring/{session.pk}/")
    staff.get_by_role("button", name="开始测评").click()
    expect(staff.get_by_role("button", name="结束测评")).to_be_visible()

    for address, grade in zip(addresses, ("good", "fairly_good"), strict=True):
        phone = new_page(**PHONE)
        phone.set_default_timeout(15_000)
        phone.goto(address)
        _score_everything(phone, world, grade)

    staff.reload()
    staff.get_by_label("我确认：结束测评后不再接收测评票。").check()
    staff.get_by_role("button", name="结束测评").click()
    staff.goto(f"{site}/manage/scoring/{session.pk}/results/")
    staff.get_by_role("link", name="发布结果").click()
    staff.get_by_role("button", name="确认发布并固定结果").click()
    expect(staff.get_by_text("已发布").first).to_be_visible()
    with staff.expect_download() as workbook_download:
        staff.get_by_role("link", name="下载Excel").click()
    assert workbook_download.value.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(workbook_download.value.path().read_bytes()), read_only=True)
    rows = [row for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)]
    text = " ".join(str(cell) for row in rows for cell in row)
    snapshot = ResultSnapshot.objects.get(session=session)
    assert Ballot.objects.filter(session=session).count() == 2
    assert session.credentials.filter(rehearsal=False).count() == 2 + 2 * 1 + 1
    assert snapshot.digest[:16] in text and "中共石匣乡委员会" in text
    assert snapshot_matches(snapshot)
