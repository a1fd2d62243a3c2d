import datetime

import pytest
from django.utils import timezone

from reviews.audit.models import AuditEvent
from reviews.jobs import services
from reviews.jobs.models import Job, JobStatus, WorkerHeartbeat
from reviews.jobs.progress import progress_read, progress_write
from reviews.jobs.registry import register

pytestmark = pytest.mark.usefixtures("immediate", "cleanup_results")


def _start(world, django_capture_on_commit_callbacks, kind="test.count", **params):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_start(
            kind=kind, actor=world.county_staff, organisation=world.county, params=params
        )
    job.refresh_from_db()
    return job


def test_a_started_job_runs_after_commit_and_keeps_its_file(world, django_capture_on_commit_callbacks):
    job = _start(world, django_capture_on_commit_callbacks, steps=3)
    assert job.status == JobStatus.DONE
    assert (job.done, job.total, job.attempts) == (3, 3, 1)
    assert job.result_name == "计数.txt"
    with job.result.open("rb") as handle:
        assert handle.read() == b"counted 3"
    assert job.task_id
    assert AuditEvent.objects.filter(action="job.start", object_id=str(job.pk)).exists()
    assert progress_read(job.pk) is None  # the progress file goes with the run


def test_a_job_is_not_queued_when_the_transaction_that_started_it_rolls_back(world):
    with pytest.raises(RuntimeError), services.transaction.atomic():
        services.job_start(kind="test.count", actor=world.county_staff, organisation=world.county)
        raise RuntimeError
    assert not Job.objects.exists()


def test_an_unknown_kind_is_refused_before_anything_is_written(world):
    with pytest.raises(ValueError):
        services.job_start(kind="no.such", actor=world.county_staff, organisation=world.county)
    assert not Job.objects.exists()


def test_a_refusing_runner_fails_the_job_with_its_chinese_reason(world, django_capture_on_commit_callbacks):
    job = _start(world, django_capture_on_commit_callbacks, kind="test.refuse")
    assert job.status == JobStatus.FAILED
    assert job.error == "这份名单里没有可以生成的内容。"
    assert not job.result
    assert AuditEvent.objects.filter(action="job.fail", object_id=str(job.pk)).exists()


def test_a_crashing_runner_fails_the_job_with_a_general_chinese_reason(
    world, django_capture_on_commit_callbacks, caplog
):
    job = _start(world, django_capture_on_commit_callbacks, kind="test.boom")
    assert job.status == JobStatus.FAILED
    assert "请重新发起" in job.error
    assert "a bug" in caplog.text  # the traceback goes to the log, not to the user


def test_the_kind_undoes_its_work_when_a_job_fails_for_good(world, django_capture_on_commit_callbacks):
    undone = []
    register(
        "test.undo",
        "撤销任务",
        lambda job, progress, out: (_ for _ in ()).throw(RuntimeError("x")),
        on_failed=lambda job: undone.append(job.pk),
    )
    job = _start(world, django_capture_on_commit_callbacks, kind="test.undo")
    assert undone == [job.pk]


def _running(world, *, attempts: int, heard_seconds_ago: int) -> Job:
    heard = timezone.now() - datetime.timedelta(seconds=heard_seconds_ago)
    return Job.objects.create(
        kind="test.count",
        status=JobStatus.RUNNING,
        attempts=attempts,
        created_by=world.county_staff,
        organisation=world.county,
        params={"steps": 2},
        started_at=heard,
        heartbeat_at=heard,
    )


def test_a_job_whose_worker_died_is_queued_again_once(world, settings, django_capture_on_commit_callbacks):
    settings.JOB_STALE_SECONDS = 60
    job = _running(world, attempts=1, heard_seconds_ago=120)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.job_recover_stale() == (1, 0)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE  # queued again and, with the immediate backend, run
    assert job.attempts == 2
    assert AuditEvent.objects.filter(action="job.requeue", object_id=str(job.pk)).exists()


def test_a_job_interrupted_twice_is_failed_with_the_restart_message(world, settings):
    settings.JOB_STALE_SECONDS = 60
    job = _running(world, attempts=2, heard_seconds_ago=120)
    assert services.job_recover_stale() == (0, 1)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "任务因服务重启中断，请重新发起。"


def test_a_running_job_whose_progress_file_beats_is_left_alone(world, settings):
    settings.JOB_STALE_SECONDS = 60
    job = _running(world, attempts=1, heard_seconds_ago=600)  # the database heard of it long ago
    progress_write(job.pk, done=5, total=10)  # but the runner's thread beat just now
    assert services.job_recover_stale() == (0, 0)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING


def test_results_older_than_the_limit_are_deleted_and_the_job_row_stays(
    world, settings, django_capture_on_commit_callbacks
):
    settings.JOB_RESULT_HOURS = 24
    job = _start(world, django_capture_on_commit_callbacks, steps=1)
    name = job.result.name
    assert job.result.storage.exists(name)
    assert services.jobs_cleanup(now=timezone.now() + datetime.timedelta(hours=23)) == 0
    assert services.jobs_cleanup(now=timezone.now() + datetime.timedelta(hours=25)) == 1
    job.refresh_from_db()
    assert not job.result
    assert not job.result.storage.exists(name)
    assert job.status == JobStatus.DONE


def test_a_retry_starts_a_new_job_with_the_same_parameters(world, django_capture_on_commit_callbacks):
    failed = _start(world, django_capture_on_commit_callbacks, kind="test.refuse", reason="x")
    with django_capture_on_commit_callbacks(execute=True):
        again = services.job_retry(job=failed, actor=world.county_staff)
    assert again.pk != failed.pk
    assert again.params == {"reason": "x"}
    assert again.kind == "test.refuse"


def test_a_worker_heartbeat_is_one_row_per_worker(db):
    services.worker_beat(worker_id="w1", hostname="app1", pid=10)
    services.worker_beat(worker_id="w1", hostname="app1", pid=10)
    assert WorkerHeartbeat.objects.filter(worker_id="w1").count() == 1
