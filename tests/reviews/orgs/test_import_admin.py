"""The Excel import in the organisation admin: upload → check job → preview → confirm → apply job."""

import datetime
import io
import json
import os
import time
import uuid
from urllib.parse import quote

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reviews.audit.models import AuditEvent
from reviews.jobs import services as jobs_services
from reviews.jobs.models import Job, JobStatus
from reviews.jobs.progress import Reporter
from reviews.orgs import imports
from reviews.orgs import jobs as import_jobs
from reviews.orgs.imports import ORG_HEADERS, TEMPLATE_FILENAME
from reviews.orgs.jobs import IMPORT_APPLY, IMPORT_CHECK
from reviews.orgs.models import Appointment, Organisation, Person
from tests.reviews.orgs.test_import import NEW_SECRETARIES, NEW_TOWN, workbook

UPLOAD = "admin:reviews_organisation_import"
CONFIRM = "admin:reviews_organisation_import_confirm"
TEMPLATE = "admin:reviews_organisation_import_template"
CHECK = "admin:reviews_organisation_import_check"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.LANGUAGE_CODE = "en"
    return tmp_path / "imports"


def written() -> tuple[int, int, int, int]:
    """What an import writes (the jobs' own audit entries aside)."""
    return (
        Organisation.objects.count(),
        Person.objects.count(),
        Appointment.objects.count(),
        AuditEvent.objects.exclude(action__startswith="job.").count(),
    )


def upload(client, data: bytes, name: str = "orgs.xlsx"):
    return client.post(reverse(UPLOAD), {"file": SimpleUploadedFile(name, data)}, HTTP_ACCEPT_LANGUAGE="en")


def checked(client, run_jobs, data: bytes):
    """Upload, run the check job as a worker would, and open the page its button leads to."""
    started = upload(client, data)
    assert started.status_code == 302
    job = Job.objects.get(kind=IMPORT_CHECK, pk=started.url.rstrip("/").split("/")[-1])
    run_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    return job, client.get(reverse(CHECK, args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")


def confirm(client, token: str):
    return client.post(reverse(CONFIRM), {"token": token}, HTTP_ACCEPT_LANGUAGE="en")


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_upload_page_offers_the_form_and_the_template(world, client):
    client.force_login(world.county_staff)
    page = client.get(reverse(UPLOAD), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="file"' in html and reverse(TEMPLATE) in html
    assert reverse("admin:reviews_organisation_changelist") in html  # breadcrumbs


def test_upload_check_preview_confirm_apply_imports_the_file(world, client, media, run_jobs):
    client.force_login(world.county_staff)
    before = written()

    started = upload(client, workbook(NEW_TOWN, NEW_SECRETARIES))

    job = Job.objects.get()
    assert started.status_code == 302 and started.url == reverse("jobs:detail", args=[job.pk])
    assert (job.kind, job.status, job.created_by) == (IMPORT_CHECK, JobStatus.QUEUED, world.county_staff)
    token = job.params["token"]
    assert (media / f"{token}.xlsx").is_file()
    assert written() == before  # queued, nothing checked yet

    run_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and (job.done, job.total) == (7, 7)  # both sheets, headers too
    page = client.get(reverse("jobs:detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse(CHECK, args=[job.pk]) in page and "View the check results" in page
    assert reverse("jobs:download", args=[job.pk]) not in page  # the button, not the JSON

    preview = client.get(reverse(CHECK, args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")

    assert preview.status_code == 200
    assert preview.templates[0].name == "admin/reviews/organisation/import_preview.html"
    assert preview.context["counts"]["organisations_created"] == 3
    html = preview.content.decode()
    assert "中共新华镇委员会" in html and "张新" in html and f'value="{token}"' in html
    assert '<table class="import-counts">' in html  # rendered by the worker, not escaped
    assert written() == before  # a check writes nothing

    applying = confirm(client, token)

    apply_job = Job.objects.get(kind=IMPORT_APPLY)
    assert applying.status_code == 302 and applying.url == reverse("jobs:detail", args=[apply_job.pk])
    assert apply_job.params["token"] == token
    assert written() == before  # queued, nothing written yet
    run_jobs()
    apply_job.refresh_from_db()
    assert apply_job.status == JobStatus.DONE, apply_job.error
    assert Organisation.objects.get(code="T03V01").parent.code == "T03"
    assert not (media / f"{token}.xlsx").exists()
    assert "Party organisations created: 3" in apply_job.phase
    done = client.get(reverse("jobs:detail", args=[apply_job.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("jobs:download", args=[apply_job.pk]) in done
    assert "Party organisations created: 3" in done
    summary = client.get(reverse("jobs:download", args=[apply_job.pk]))
    assert summary.status_code == 200 and summary["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(summary.getvalue()), read_only=True)
    assert len(list(book.worksheets[0].iter_rows())) == 1 + 3  # a header and the three created


def test_the_preview_shows_an_update_as_old_and_new(world, client, run_jobs):
    client.force_login(world.county_staff)
    rows = [("T01V01", "石匣村党总支", "", "T01", "党支部", "农村")]
    _, page = checked(client, run_jobs, workbook(rows, [("T01", "赵六", "男", "", "2025-06-01")]))
    html = page.content.decode()
    assert "name: 石匣村党支部 → 石匣村党总支" in html
    assert "Hand-over: 王建国's term from 2021-01-01 ends on 2025-05-31." in html


def test_the_tables_are_rendered_in_the_uploaders_language(world, client, run_jobs, settings):
    client.force_login(world.county_staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.post(reverse(UPLOAD), {"file": SimpleUploadedFile("orgs.xlsx", workbook(NEW_TOWN))})
    job = Job.objects.get()
    assert job.params["language"] == "zh-hans"
    run_jobs()
    html = client.get(reverse(CHECK, args=[job.pk])).content.decode()
    assert "新增党组织" in html and "Party organisations to create" not in html


def test_a_file_with_problems_shows_them_and_writes_nothing(world, client, media, run_jobs):
    client.force_login(world.county_staff)
    before = written()
    rows = [("T01V09", "九号党支部", "", "X99", "党支部", "")]
    job, page = checked(client, run_jobs, workbook(rows, [("T01V01", "钱七", "女", "", "昨天")]))
    assert page.status_code == 200
    assert page.templates[0].name == "admin/reviews/organisation/import.html"
    assert [(p["sheet"], p["row"], p["column"], p["code"]) for p in page.context["problems"]] == [
        ("党组织", 2, "上级编码", "unknown_parent"),
        ("书记", 2, "任职日期", "bad_date"),
    ]
    html = page.content.decode()
    assert "<td>上级编码</td>" in html and "The parent code “X99”" in html
    assert 'type="file"' in html  # upload again from here
    assert written() == before
    assert not any(media.iterdir())  # a file that cannot be confirmed is not kept
    assert confirm(client, job.params["token"]).url == reverse(UPLOAD)
    assert not Job.objects.filter(kind=IMPORT_APPLY).exists()


def test_township_staff_are_told_when_the_file_reaches_outside_their_subtree(world, client, run_jobs):
    client.force_login(world.shijia_staff)
    _, page = checked(client, run_jobs, workbook([("T02V03", "辽阳新村党支部", "", "T02", "党支部", "农村")]))
    assert [p["code"] for p in page.context["problems"]] == ["out_of_scope"]
    assert not Organisation.objects.filter(code="T02V03").exists()


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("orgs.xls", b"x", "Choose an Excel workbook saved as .xlsx."),
        ("orgs.xlsx", b"x" * 2048, "The file is larger than"),
    ],
)
def test_the_form_refuses_other_files_and_big_ones_without_a_job(world, client, settings, name, data, error):
    settings.IMPORT_MAX_BYTES = 1024
    client.force_login(world.county_staff)
    page = upload(client, data, name)
    assert page.status_code == 200 and error in page.content.decode()
    assert page.context["problems"] == []
    assert not Job.objects.exists()


def test_a_file_that_is_not_a_workbook_gets_a_message_not_an_error_page(world, client, run_jobs):
    client.force_login(world.county_staff)
    _, page = checked(client, run_jobs, b"PK\x03\x04 not really")
    assert page.status_code == 200
    assert [p["code"] for p in page.context["problems"]] == ["not_xlsx"]


def test_the_job_page_shows_the_rows_checked_and_written_while_the_jobs_run(
    world, client, run_jobs, monkeypatch
):
    client.force_login(world.county_staff)
    monkeypatch.setattr(Reporter, "MIN_INTERVAL", 0)  # every call reaches the file in this quick test
    seen = {}

    def watching(real, name):
        def wrapper(*args, progress=None, **kwargs):
            def spy(done, total, *phase):
                progress(done, total, *phase)
                if done and name not in seen:
                    job = Job.objects.filter(status=JobStatus.RUNNING).get()
                    page = client.get(reverse("jobs:detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
                    seen[name] = page.content.decode()

            return real(*args, progress=spy, **kwargs)

        return wrapper

    monkeypatch.setattr(import_jobs, "import_check", watching(imports.import_check, "check"))
    monkeypatch.setattr(import_jobs, "import_apply", watching(imports.import_apply, "apply"))
    job, _ = checked(client, run_jobs, workbook(NEW_TOWN, NEW_SECRETARIES))
    confirm(client, job.params["token"])
    run_jobs()

    assert 'data-status="running"' in seen["check"] and "Checked 1 / 7 rows" in seen["check"]
    assert 'data-status="running"' in seen["apply"] and "Written 1 / 5 rows" in seen["apply"]
    assert 'hx-trigger="every 1s"' in seen["apply"]  # the page keeps polling


def test_a_browser_closed_mid_way_does_not_stop_the_import(world, client, run_jobs):
    client.force_login(world.county_staff)
    upload(client, workbook(NEW_TOWN, NEW_SECRETARIES))
    check = Job.objects.get()
    client.logout()  # the browser is gone before the check ran
    run_jobs()
    client.force_login(world.county_staff)
    assert Job.objects.get(pk=check.pk).status == JobStatus.DONE
    mine = client.get(reverse("jobs:mine"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse(CHECK, args=[check.pk]) in mine  # 我的任务 finds the preview again

    confirm(client, check.params["token"])
    client.logout()  # and gone again before the apply ran: its page is never fetched
    run_jobs()

    applied = Job.objects.get(kind=IMPORT_APPLY)
    assert applied.status == JobStatus.DONE and applied.result
    assert Organisation.objects.filter(code__in=["T03", "T03V01", "T01V03"]).count() == 3


def test_a_second_confirmation_of_the_same_file_starts_no_second_import(world, client, run_jobs):
    client.force_login(world.county_staff)
    job, _ = checked(client, run_jobs, workbook(NEW_TOWN, NEW_SECRETARIES))
    token = job.params["token"]
    first = confirm(client, token)
    again = confirm(client, token)  # a double click, or the back button

    apply_job = Job.objects.get(kind=IMPORT_APPLY)
    assert first.url == again.url == reverse("jobs:detail", args=[apply_job.pk])
    assert any("already been confirmed" in text for text in texts(again))
    run_jobs()
    after = confirm(client, token)  # and after it has finished
    assert after.url == reverse("jobs:detail", args=[apply_job.pk])
    assert Job.objects.filter(kind=IMPORT_APPLY).count() == 1
    assert AuditEvent.objects.filter(action="import.apply").count() == 1


@pytest.mark.parametrize("token", ["", "../../settings", str(uuid.uuid4())])
def test_confirm_with_an_unknown_token_sends_back_to_the_upload(world, client, run_jobs, token):
    client.force_login(world.county_staff)
    checked(client, run_jobs, workbook(NEW_TOWN))
    before = written()
    response = confirm(client, token)
    assert response.status_code == 302 and response.url == reverse(UPLOAD)
    assert any("unknown or has expired" in text for text in texts(response))
    assert written() == before
    assert not Job.objects.filter(kind=IMPORT_APPLY).exists()


def test_another_users_token_and_check_page_are_refused(world, client, run_jobs):
    client.force_login(world.county_staff)
    job, _ = checked(client, run_jobs, workbook(NEW_TOWN))
    client.force_login(world.shijia_staff)
    assert client.get(reverse(CHECK, args=[job.pk])).status_code == 404
    assert client.get(reverse(CHECK, args=[uuid.uuid4()])).status_code == 404
    assert confirm(client, job.params["token"]).url == reverse(UPLOAD)
    assert not Job.objects.filter(kind=IMPORT_APPLY).exists()


def test_an_expired_upload_can_no_longer_be_confirmed(world, client, media, run_jobs):
    client.force_login(world.county_staff)
    job, _ = checked(client, run_jobs, workbook(NEW_TOWN))
    token = job.params["token"]
    old = time.time() - import_jobs.TOKEN_MAX_AGE - 60
    os.utime(media / f"{token}.xlsx", (old, old))

    page = client.get(reverse(CHECK, args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "unknown or has expired" in page and 'name="token"' not in page
    response = confirm(client, token)
    assert response.url == reverse(UPLOAD)
    assert any("unknown or has expired" in text for text in texts(response))
    assert not (media / f"{token}.xlsx").exists()
    assert not Job.objects.filter(kind=IMPORT_APPLY).exists()


def test_the_apply_refuses_a_file_the_database_no_longer_accepts_naming_the_problem(
    world, client, media, run_jobs
):
    client.force_login(world.county_staff)
    job, _ = checked(client, run_jobs, workbook(NEW_TOWN))
    token = job.params["token"]
    confirm(client, token)
    Organisation.objects.filter(code="T01").update(code="T01-renamed")  # the parent the file names is gone
    before = written()

    run_jobs()

    apply_job = Job.objects.get(kind=IMPORT_APPLY)
    assert apply_job.status == JobStatus.FAILED
    assert apply_job.error.startswith("The data changed since the preview")
    assert "党组织 row 4, column 上级编码" in apply_job.error
    assert written() == before
    assert not (media / f"{token}.xlsx").exists()
    page = client.get(reverse("jobs:detail", args=[apply_job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert apply_job.error in page.content.decode()
    again = client.post(reverse("jobs:retry", args=[apply_job.pk]))  # 重新发起 leads back to the upload
    assert again.status_code == 302 and again.url == reverse(UPLOAD)
    assert Job.objects.filter(kind=IMPORT_APPLY).count() == 1


def test_an_apply_that_fails_while_writing_writes_nothing(world, client, media, run_jobs, monkeypatch):
    client.force_login(world.county_staff)
    job, _ = checked(client, run_jobs, workbook(NEW_TOWN, NEW_SECRETARIES))
    confirm(client, job.params["token"])
    before = written()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "_write_secretaries", broken)  # after the organisations were written
    run_jobs()

    apply_job = Job.objects.get(kind=IMPORT_APPLY)
    assert apply_job.status == JobStatus.FAILED and "could not be finished" in apply_job.error
    assert written() == before
    assert not Organisation.objects.filter(code="T03").exists()
    assert not (media / f"{job.params['token']}.xlsx").exists()


def test_an_apply_whose_worker_died_runs_again_and_imports_once(world, client, media, run_jobs, settings):
    client.force_login(world.county_staff)
    job, _ = checked(client, run_jobs, workbook(NEW_TOWN, NEW_SECRETARIES))
    confirm(client, job.params["token"])
    apply_job = Job.objects.get(kind=IMPORT_APPLY)
    # A worker claimed it and died: its transaction (the whole import) died with it.
    long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    Job.objects.filter(pk=apply_job.pk).update(status=JobStatus.RUNNING, attempts=1, heartbeat_at=long_ago)
    assert (media / f"{job.params['token']}.xlsx").is_file()  # the upload waits for the second attempt

    assert jobs_services.job_recover_stale() == (1, 0)
    run_jobs()

    apply_job.refresh_from_db()
    assert apply_job.status == JobStatus.DONE and apply_job.attempts == 2
    assert Organisation.objects.filter(code="T03").count() == 1
    assert AuditEvent.objects.filter(action="import.apply").count() == 1


def test_the_check_result_is_json_not_pickle(world, client, run_jobs):
    client.force_login(world.county_staff)
    job, _ = checked(client, run_jobs, workbook(NEW_TOWN))
    with job.result.open("rb") as handle:
        result = json.loads(handle.read())
    assert set(result) == {"valid", "has_changes", "counts", "token", "problems", "html"}
    assert result["valid"] and result["has_changes"] and result["token"] == job.params["token"]
    assert result["counts"]["organisations_created"] == 3


def test_confirm_only_accepts_post(world, client):
    client.force_login(world.county_staff)
    assert client.get(reverse(CONFIRM)).status_code == 405


def test_the_template_downloads_with_its_chinese_name(world, client):
    client.force_login(world.county_staff)
    response = client.get(reverse(TEMPLATE))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"filename*=UTF-8''{quote(TEMPLATE_FILENAME)}" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book["党组织"][1]] == list(ORG_HEADERS)


def test_staff_without_the_add_permission_are_refused(world, client, django_user_model):
    reader = django_user_model.objects.create_user("reader", is_staff=True)
    client.force_login(reader)
    assert client.get(reverse(UPLOAD)).status_code == 403
    assert client.get(reverse(TEMPLATE)).status_code == 403
    assert client.post(reverse(CONFIRM), {"token": ""}).status_code == 403
    assert client.get(reverse(CHECK, args=[uuid.uuid4()])).status_code == 403


def test_a_check_whose_upload_is_gone_fails_with_a_message_and_leads_back_to_the_upload(
    world, client, media, run_jobs
):
    client.force_login(world.county_staff)
    upload(client, workbook(NEW_TOWN))
    job = Job.objects.get()
    (media / f"{job.params['token']}.xlsx").unlink()  # e.g. removed by hand from the shared volume

    run_jobs()

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "unknown or has expired" in job.error
    assert client.get(reverse(CHECK, args=[job.pk])).url == reverse("jobs:detail", args=[job.pk])
    again = client.post(reverse("jobs:retry", args=[job.pk]))
    assert again.url == reverse(UPLOAD) and Job.objects.count() == 1


def test_once_the_check_result_is_deleted_its_preview_is_gone_too(world, client, run_jobs):
    client.force_login(world.county_staff)
    job, _ = checked(client, run_jobs, workbook(NEW_TOWN))
    jobs_services.job_result_delete(job=job)  # results are kept for JOB_RESULT_HOURS

    page = client.get(reverse("jobs:detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse(CHECK, args=[job.pk]) not in page and "The file has been deleted" in page
    response = client.get(reverse(CHECK, args=[job.pk]))
    assert response.url == reverse(UPLOAD)
    assert any("unknown or has expired" in text for text in texts(response))
    assert confirm(client, job.params["token"]).url == reverse(UPLOAD)
    assert not Job.objects.filter(kind=IMPORT_APPLY).exists()
