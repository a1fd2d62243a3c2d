import pytest

import tests.reviews.jobs.kinds  # noqa: F401  (registers the test kinds)


@pytest.fixture
def immediate(settings, tmp_path):
    """Jobs run inside the request that queues them (django-tasks' ImmediateBackend), progress in tmp."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.JOBS_PROGRESS_DIR = tmp_path / "progress"
    return settings


@pytest.fixture
def cleanup_results(db):
    """Delete the files of the jobs a test made (they live in the private storage)."""
    yield
    from reviews.jobs.models import Job

    for job in Job.objects.exclude(result=""):
        job.result.storage.delete(job.result.name)
