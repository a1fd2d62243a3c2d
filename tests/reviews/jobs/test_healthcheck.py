import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from reviews.jobs.models import Job, JobStatus, WorkerHeartbeat
from reviews.management.commands import healthcheck


def run() -> tuple[int, dict[str, str]]:
    out = io.StringIO()
    try:
        call_command("healthcheck", stdout=out)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    lines = {line.split(":")[0].split()[-1]: line for line in out.getvalue().splitlines()}
    return code, lines


def beat(seconds_ago: int) -> None:
    WorkerHeartbeat.objects.create(
        worker_id=f"w{seconds_ago}", seen_at=timezone.now() - datetime.timedelta(seconds=seconds_ago)
    )


def test_all_checks_pass_with_a_living_worker_and_no_backlog(db):
    beat(5)
    code, lines = run()
    assert code == 0
    assert set(lines) == {"database", "cache", "storage", "worker", "queue"}
    assert all(line.startswith("ok") for line in lines.values())


def test_it_fails_when_no_worker_ever_ran(db):
    code, lines = run()
    assert code == 1
    assert lines["worker"].startswith("FAIL worker: no worker has ever run")
    assert lines["database"].startswith("ok")


def test_it_fails_when_the_newest_heartbeat_is_too_old(db, settings):
    settings.HEALTH_WORKER_SECONDS = 60
    beat(300)
    beat(120)
    code, lines = run()
    assert code == 1
    assert "FAIL worker: newest heartbeat 120 s ago" in lines["worker"]


def test_it_fails_when_the_oldest_queued_job_waits_too_long(db, settings):
    settings.HEALTH_QUEUE_SECONDS = 300
    beat(1)
    job = Job.objects.create(kind="test.count", status=JobStatus.QUEUED)
    code, lines = run()
    assert code == 0 and "1 waiting" in lines["queue"]
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(seconds=900))
    code, lines = run()
    assert code == 1
    assert "FAIL queue: oldest queued job waits 900 s" in lines["queue"]


def test_it_fails_when_the_cache_loses_what_it_was_given(db, monkeypatch):
    beat(1)
    monkeypatch.setattr(healthcheck.cache, "get", lambda key: None)
    code, lines = run()
    assert code == 1
    assert lines["cache"] == "FAIL cache: a value set was not read back"


def test_it_fails_when_the_private_storage_cannot_be_written(db, settings, tmp_path):
    beat(1)
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    settings.PRIVATE_MEDIA_ROOT = blocked
    code, lines = run()
    assert code == 1
    assert lines["storage"].startswith("FAIL storage:")


def test_it_fails_when_the_database_does_not_answer(db, monkeypatch):
    beat(1)

    def broken():
        raise RuntimeError("connection refused")

    monkeypatch.setattr(healthcheck, "CHECKS", [("database", broken), *healthcheck.CHECKS[1:]])
    code, lines = run()
    assert code == 1
    assert lines["database"] == "FAIL database: connection refused"
    assert lines["cache"].startswith("ok")


@pytest.mark.parametrize("name", ["database", "cache", "storage"])
def test_each_real_check_answers_without_error(db, name):
    assert dict(healthcheck.CHECKS)[name]()
