"""The slips PDF as a background job keeps its promise: codes are live only with their printed slips."""

import time
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from django.utils import translation

from reviews.audit.models import AuditEvent
from reviews.jobs import services as jobs_services
from reviews.jobs.models import Job, JobStatus
from reviews.jobs.progress import progress_read
from scoring import selectors
from scoring.ballots import services as ballots_services
from scoring.codes import documents, tokens
from scoring.codes import services as codes_services
from scoring.codes.models import BatchStatus, Credential, IssueBatch
from tests.conftest import delete_job_results
from tests.reviews.jobs.test_worker_process import start_worker, stop, wait_for
from tests.scoring.conftest import ScoredWorld


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def _post(client, world, key="k", count=3):
    client.force_login(world.county_staff)
    return client.post(
        reverse("scoring:codes_issue", args=[world.session.pk]),
        {"group": world.delegates.pk, "count": count, "issue_key": key},
    )


def _denominator(world) -> int:
    return sum(selectors.codes_issued(world.session).values())


def test_a_render_that_raises_leaves_no_code_and_the_denominator_unchanged(
    client, scored, run_jobs, monkeypatch
):
    def broken(*args, **kwargs):
        raise OSError("no font")

    monkeypatch.setattr(documents, "code_slips_pdf", broken)
    before = _denominator(scored)
    response = _post(client, scored)
    (job,) = run_jobs()
    assert job.status == JobStatus.FAILED and not job.result
    assert "任务未能完成" in job.error and "issue_key" not in job.params
    batch = IssueBatch.objects.get()
    assert batch.status == BatchStatus.FAILED
    assert not Credential.objects.filter(serial__gte=batch.first_serial).exists()
    assert _denominator(scored) == before == 12
    event = AuditEvent.objects.get(action="credentials.slips_failed")
    assert event.changes["codes_deleted"] == 0
    page = client.get(response["Location"]).content.decode()
    assert "任务未能完成" in page and "重新发起" in page
    # 重新发起 goes back to the codes page, for a fresh form (the old key is spent).
    retry = client.post(reverse("jobs:retry", args=[job.pk]))
    assert retry["Location"] == reverse("scoring:codes", args=[scored.session.pk])
    assert "未发放：纸条未能生成" in client.get(retry["Location"]).content.decode()
    # The same form again: refused with a message, nothing issued.
    again = client.post(
        reverse("scoring:codes_issue", args=[scored.session.pk]),
        {"group": scored.delegates.pk, "count": 3, "issue_key": "k", "format": "csv"},
        follow=True,
    )
    assert "该表单的纸条未能生成，未发放任何测评码" in again.content.decode()
    assert Credential.objects.count() == 12


def test_slips_that_cannot_be_kept_after_their_codes_were_made_take_the_codes_with_them(
    client, scored, run_jobs, monkeypatch
):
    def full_disk(self, name, content, max_length=None):
        raise OSError("No space left on device")

    monkeypatch.setattr(FileSystemStorage, "save", full_disk)
    _post(client, scored, count=4)
    (job,) = run_jobs()
    assert job.status == JobStatus.FAILED
    assert IssueBatch.objects.get().status == BatchStatus.FAILED
    assert Credential.objects.count() == 12 and _denominator(scored) == 12
    assert AuditEvent.objects.get(action="credentials.slips_failed").changes["codes_deleted"] == 4


def test_codes_of_a_ready_batch_vote_normally_and_count_in_the_denominator(client, scored, run_jobs):
    _post(client, scored, key="vote-key", count=2)
    assert _denominator(scored) == 12
    (job,) = run_jobs()
    assert job.status == JobStatus.DONE and job.total == 2
    batch = IssueBatch.objects.get()
    assert batch.status == BatchStatus.READY and _denominator(scored) == 14
    token = tokens.batch_token("vote-key", batch.first_serial)
    receipt = ballots_services.ballot_submit(code=token, marks=scored.marks(), submission_key="s")
    assert receipt.receipt and Credential.objects.get(serial=batch.first_serial).used


def test_only_the_issuer_and_county_staff_over_the_session_see_the_slips(client, scored, run_jobs):
    _post(client, scored)
    (job,) = run_jobs()
    client.force_login(scored.shijia_staff)
    assert client.get(reverse("jobs:detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 302


def test_closing_scoring_deletes_the_slips_files_and_refuses_slips_still_printing(
    client, scored, run_jobs, django_capture_on_commit_callbacks
):
    _post(client, scored, key="printed")
    (printed,) = run_jobs()
    path = Path(printed.result.path)
    assert path.exists()
    _post(client, scored, key="late")
    with django_capture_on_commit_callbacks(execute=True):
        ballots_services.scoring_close(actor=scored.county_staff, session=scored.session)
    printed.refresh_from_db()
    assert not printed.result and not path.exists()
    (late,) = run_jobs()
    assert late.status == JobStatus.FAILED and late.error == "测评已结束，不能再发放测评码。"
    assert IssueBatch.objects.get(job=late).status == BatchStatus.FAILED
    assert Credential.objects.count() == 12 + 3


def test_a_rehearsal_cleared_while_slips_print_leaves_no_codes(client, scored, run_jobs):
    from reviews.cycles.models import Session

    Session.objects.filter(pk=scored.session.pk).update(rehearsal=True)
    _post(client, scored)
    Session.objects.filter(pk=scored.session.pk).update(rehearsal=False)
    (job,) = run_jobs()
    assert job.status == JobStatus.FAILED and "模拟演练已开始或结束" in job.error
    assert Credential.objects.count() == 12


def test_a_killed_worker_leaves_no_codes_and_a_restarted_one_prints_them(settings, tmp_path):
    """A real db_worker dies in the middle of the render: no code exists, the job is queued again
    (reviews/jobs' recovery) and the next worker prints the slips; interrupted twice, it fails for good."""
    settings.JOBS_PROGRESS_DIR = tmp_path / "progress"
    settings.JOB_STALE_SECONDS = 3
    world = ScoredWorld()
    batch = codes_services.slips_issue_start(
        actor=world.county_staff, session=world.session, group=world.delegates, count=150, issue_key="kill"
    )
    job = batch.job
    first = start_worker(settings.JOBS_PROGRESS_DIR)
    try:
        wait_for(lambda: (progress_read(job.pk) or {}).get("done", 0) >= 5, 120)
    finally:
        stop(first)
    assert Credential.objects.count() == 12  # killed mid-render: nothing live
    time.sleep(3.5)
    assert jobs_services.job_recover_stale() == (1, 0)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RENDERING and Job.objects.get(pk=job.pk).status == JobStatus.QUEUED

    second = start_worker(settings.JOBS_PROGRESS_DIR)
    try:
        done = wait_for(lambda: Job.objects.filter(pk=job.pk, status=JobStatus.DONE).first(), 180)
    finally:
        stop(second)
    assert done.attempts == 2 and "issue_key" not in done.params
    batch.refresh_from_db()
    assert batch.status == BatchStatus.READY
    assert Credential.objects.filter(serial__gte=batch.first_serial).count() == 150
    with done.result.open("rb") as handle:
        assert handle.read(4) == b"%PDF"
    delete_job_results()

    # Interrupted on its last attempt: failed for good, and its batch leaves no code.
    other = codes_services.slips_issue_start(
        actor=world.county_staff, session=world.session, group=world.delegates, count=2, issue_key="twice"
    )
    Job.objects.filter(pk=other.job_id).update(status=JobStatus.RUNNING, attempts=2, heartbeat_at=None)
    assert jobs_services.job_recover_stale() == (0, 1)
    other.refresh_from_db()
    assert other.status == BatchStatus.FAILED and other.job.status == JobStatus.FAILED
    assert Credential.objects.count() == 12 + 150


test_a_killed_worker_leaves_no_codes_and_a_restarted_one_prints_them = pytest.mark.django_db(
    transaction=True
)(test_a_killed_worker_leaves_no_codes_and_a_restarted_one_prints_them)


def test_the_list_of_a_form_whose_slips_print_or_failed_is_refused_and_issues_nothing(scored):
    from scoring.errors import ScoringError

    batch = codes_services.slips_issue_start(
        actor=scored.county_staff, session=scored.session, group=scored.delegates, count=2, issue_key="p"
    )

    def as_list():
        return codes_services.credentials_issue(
            actor=scored.county_staff, session=scored.session, group=scored.delegates, count=2, issue_key="p"
        )

    with pytest.raises(ScoringError) as printing:
        as_list()
    assert printing.value.code == "printing" and printing.value.message == "该表单的纸条正在生成。"
    IssueBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED)
    with pytest.raises(ScoringError) as failed:
        as_list()
    assert failed.value.code == "failed" and "未发放任何测评码" in failed.value.message
    assert Credential.objects.count() == 12 and IssueBatch.objects.count() == 1


# ---------------------------------------------------------------------------------------------------
# A batch of several pieces (documents.SLIPS_PER_RENDER)


def _pdf_text(content: bytes) -> str:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(content)
    try:
        return "".join("".join(page.get_textpage().get_text_range().split()) for page in document)
    finally:
        document.close()


def test_a_batch_of_several_pieces_prints_every_slip_before_any_code_exists(
    client, scored, run_jobs, monkeypatch
):
    import reviews.documents

    monkeypatch.setattr(documents, "SLIPS_PER_RENDER", 10)
    real = reviews.documents.render_pdf
    live = []

    def watched(html):
        live.append(Credential.objects.count())
        return real(html)

    monkeypatch.setattr(reviews.documents, "render_pdf", watched)
    response = _post(client, scored, key="big", count=25)
    (job,) = run_jobs()
    assert job.status == JobStatus.DONE and (job.done, job.total) == (25, 25)
    assert live == [12, 12, 12]  # three renders, each before the codes were made
    batch = IssueBatch.objects.get()
    assert batch.status == BatchStatus.READY and _denominator(scored) == 12 + 25
    download = client.get(reverse("jobs:download", args=[job.pk]))
    text = _pdf_text(download.getvalue())
    issued = codes_services.batch_codes(batch, "big")
    at = [text.index(f"No.{code.serial:04d}") for code in issued]
    assert at == sorted(at) and all(code.short_display in text for code in issued)
    assert "第3页/共3页" in text and "第4页" not in text
    assert response.status_code == 302


def test_a_render_failing_in_its_second_piece_leaves_no_code_and_no_file(
    client, scored, run_jobs, monkeypatch
):
    import reviews.documents

    monkeypatch.setattr(documents, "SLIPS_PER_RENDER", 10)
    real = reviews.documents.render_pdf
    renders = []

    def second_fails(html):
        renders.append(html)
        if len(renders) == 2:
            raise OSError("no font")
        return real(html)

    monkeypatch.setattr(reviews.documents, "render_pdf", second_fails)
    before = _denominator(scored)
    _post(client, scored, key="broken", count=25)
    (job,) = run_jobs()
    assert len(renders) == 2
    assert job.status == JobStatus.FAILED and not job.result and "任务未能完成" in job.error
    batch = IssueBatch.objects.get()
    assert batch.status == BatchStatus.FAILED
    assert not Credential.objects.filter(serial__gte=batch.first_serial).exists()
    assert _denominator(scored) == before == 12
    assert AuditEvent.objects.get(action="credentials.slips_failed").changes["codes_deleted"] == 0
