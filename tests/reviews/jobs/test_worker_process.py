"""A real `manage.py db_worker` process runs jobs end to end, and a killed one's job is recovered."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

from reviews.jobs import services
from reviews.jobs.models import Job, JobStatus, WorkerHeartbeat
from reviews.jobs.progress import progress_read

ROOT = Path(__file__).resolve().parents[3]


def database_url() -> str:
    """The test database, for a process of its own."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(progress_dir: Path) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=database_url(),
        JOBS_EXTRA_MODULES="tests.reviews.jobs.kinds",
        JOBS_PROGRESS_DIR=str(progress_dir),
        JOB_HEARTBEAT_SECONDS="1",
        JOB_STALE_SECONDS="3",
        PRIVATE_MEDIA_ROOT=str(django_settings.PRIVATE_MEDIA_ROOT),
    )
    command = [
        sys.executable,
        "manage.py",
        "db_worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.2",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(condition, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGKILL)
    worker.wait(10)


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_runs_a_job_and_a_killed_workers_job_is_queued_again_then_failed(
    world, settings, tmp_path
):
    settings.JOBS_PROGRESS_DIR = tmp_path
    settings.JOB_STALE_SECONDS = 3
    job = services.job_start(
        kind="test.count",
        actor=world.county_staff,
        organisation=world.county,
        params={"steps": 40, "sleep": 0.25},
    )
    first = start_worker(tmp_path)
    try:
        # Running, progress visible from here while its transaction is open in the worker.
        wait_for(lambda: (progress_read(job.pk) or {}).get("done", 0) >= 2)
        assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING
        assert WorkerHeartbeat.objects.exclude(worker_id__startswith="count-").exists()
        first.send_signal(signal.SIGKILL)  # a restart in the middle of the job
        first.wait(10)
    finally:
        stop(first)
    time.sleep(3.5)  # no beat for longer than JOB_STALE_SECONDS
    # Nothing of the interrupted run was committed (its transaction died with it).
    assert not WorkerHeartbeat.objects.filter(worker_id__startswith="count-").exists()

    second = start_worker(tmp_path)  # recovers on start: queued again (attempt 2), then run
    try:
        done = wait_for(lambda: Job.objects.filter(pk=job.pk, status=JobStatus.DONE).first(), 90)
    finally:
        stop(second)
    assert done.attempts == 2
    assert (done.done, done.total) == (40, 40)
    with done.result.open("rb") as handle:
        assert handle.read() == b"counted 40"
    done.result.storage.delete(done.result.name)

    # Interrupted on its second attempt: failed with the restart message, never left running.
    again = services.job_start(
        kind="test.count",
        actor=world.county_staff,
        organisation=world.county,
        params={"steps": 40, "sleep": 0.25},
    )
    Job.objects.filter(pk=again.pk).update(attempts=1)
    third = start_worker(tmp_path)
    try:
        wait_for(lambda: (progress_read(again.pk) or {}).get("done", 0) >= 2)
    finally:
        stop(third)
    time.sleep(3.5)
    assert services.job_recover_stale() == (0, 1)
    again.refresh_from_db()
    assert again.status == JobStatus.FAILED
    assert again.error == "任务因服务重启中断，请重新发起。"
    assert progress_read(again.pk) is None
