"""The one django-tasks task: run a Job (the worker is `manage.py db_worker`)."""

from django_tasks import task


@task()
def job_execute(job_id: str) -> None:
    from reviews.jobs import services

    services.job_run(job_id=job_id)
