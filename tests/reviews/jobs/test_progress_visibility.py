"""Progress is seen by other requests while the runner's own transaction is still open."""

import threading
import time

import pytest
from django.db import connection

from reviews.jobs import selectors, services
from reviews.jobs.models import Job, JobStatus, WorkerHeartbeat
from tests.reviews.jobs.kinds import GATES


@pytest.mark.django_db(transaction=True)
def test_another_connection_reads_the_progress_before_the_runner_commits(world, settings, tmp_path):
    settings.JOBS_PROGRESS_DIR = tmp_path
    job = Job.objects.create(kind="test.count", created_by=world.county_staff, params={"steps": 3})
    gate = GATES[str(job.pk)] = threading.Event()

    def work():
        try:
            services.job_run(job_id=job.pk)
        finally:
            connection.close()

    runner = threading.Thread(target=work)
    runner.start()
    try:
        deadline = time.monotonic() + 20
        state = selectors.job_state(Job.objects.get(pk=job.pk))
        while state.done == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
            state = selectors.job_state(Job.objects.get(pk=job.pk))
        # This thread's connection: the runner's first row is not committed, its progress is visible.
        assert (state.status, state.done, state.total) == (JobStatus.RUNNING, 1, 3)
        assert state.phase == "已数 1 / 3 步"
        assert not WorkerHeartbeat.objects.filter(worker_id__startswith="count-").exists()
    finally:
        gate.set()
        runner.join(30)
        GATES.pop(str(job.pk), None)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert (job.done, job.total) == (3, 3)
    job.result.storage.delete(job.result.name)
