"""In Chromium, with a real worker: the admin's Excel import runs as two background jobs with progress."""

import os
import re
from pathlib import Path

from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from reviews.jobs.models import Job, JobStatus
from reviews.orgs.jobs import IMPORT_APPLY, IMPORT_CHECK
from reviews.orgs.models import Organisation
from tests.conftest import delete_job_results
from tests.reviews.jobs.test_worker_process import start_worker, stop
from tests.reviews.orgs.test_import import NEW_SECRETARIES, NEW_TOWN, workbook

SCREENSHOTS = os.environ.get("SHUZHI_SCREENSHOTS", "")  # a folder: save what the tests saw there
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def test_an_upload_is_checked_previewed_confirmed_and_imported_by_a_real_worker(
    world, live_server, new_page, tmp_path, request, monkeypatch
):
    # The live server and the worker share the uploads folder and the progress files.
    django_settings = request.getfixturevalue("settings")
    django_settings.JOBS_PROGRESS_DIR = tmp_path / "progress"
    django_settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path / "media"))
    worker = start_worker(tmp_path / "progress")
    try:
        page = _logged_in(
            new_page(viewport={"width": 1280, "height": 900}, is_mobile=False, has_touch=False),
            world.county_staff,
            live_server,
        )
        page.goto(f"{live_server.url}/admin/reviews/organisation/import/")
        page.set_input_files(
            "input[type=file]",
            files=[{"name": "党组织.xlsx", "mimeType": XLSX, "buffer": workbook(NEW_TOWN, NEW_SECRETARIES)}],
        )
        page.get_by_role("button", name="校验文件").click()

        # The check job's page: rows checked, then the button to the preview.
        page.wait_for_url("**/jobs/*/")
        expect(page.get_by_role("heading", name="检查党组织导入文件")).to_be_visible()
        results = page.get_by_role("link", name="查看检查结果")
        expect(results).to_be_visible(timeout=90_000)
        expect(page.locator("#sz-job-progress")).to_contain_text("已检查 7 / 7 行")
        expect(page.get_by_role("link", name=re.compile("^下载"))).to_have_count(0)
        results.click()

        # The preview, rendered by the worker in Chinese; nothing written yet.
        expect(page.locator("table.import-creates")).to_contain_text("中共新华镇委员会")
        expect(page.locator("table.import-counts")).to_contain_text("新增党组织")
        assert not Organisation.objects.filter(code="T03").exists()
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/import-preview.png", full_page=True)
        page.get_by_role("button", name="确认导入").click()

        # The apply job's page: done, the summary workbook to download.
        page.wait_for_url("**/jobs/*/")
        expect(page.get_by_role("heading", name="导入党组织和书记")).to_be_visible()
        download_link = page.get_by_role("link", name=re.compile("^下载"))
        expect(download_link).to_be_visible(timeout=90_000)
        expect(page.locator("#sz-job-progress")).to_contain_text("导入完成")
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/import-done.png", full_page=True)
        with page.expect_download() as download:
            download_link.click()
        assert download.value.suggested_filename.endswith(".xlsx")
        assert Path(download.value.path()).read_bytes().startswith(b"PK")

        assert Organisation.objects.get(code="T03V01").parent.code == "T03"
        assert [(job.kind, job.status) for job in Job.objects.order_by("created_at")] == [
            (IMPORT_CHECK, JobStatus.DONE),
            (IMPORT_APPLY, JobStatus.DONE),
        ]
        assert not any((tmp_path / "media" / "imports").glob("*.xlsx"))  # the upload is gone
        page.get_by_role("link", name="返回党组织列表").click()
        expect(page).to_have_url(re.compile(r"/admin/reviews/organisation/$"))
    finally:
        stop(worker)
        delete_job_results()
