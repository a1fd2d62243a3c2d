import pytest
from django.urls import reverse

from reviews.jobs import services
from reviews.jobs.models import Job, JobStatus
from reviews.jobs.progress import progress_write

pytestmark = pytest.mark.usefixtures("immediate", "cleanup_results")


def _job(
    world, django_capture_on_commit_callbacks, kind="test.count", actor=None, organisation=None, **params
):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_start(
            kind=kind,
            actor=actor or world.shijia_staff,
            organisation=organisation or world.shijia,
            params=params,
        )
    job.refresh_from_db()
    return job


def test_a_running_job_shows_its_bar_and_phase_and_polls(client, world):
    job = Job.objects.create(kind="test.count", status=JobStatus.RUNNING, created_by=world.shijia_staff)
    progress_write(job.pk, done=12000, total=150000)
    client.force_login(world.shijia_staff)
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "计数任务" in page
    assert "已数 12,000 / 150,000 步" in page
    assert 'aria-valuenow="8"' in page
    assert 'hx-trigger="every 1s"' in page
    assert 'http-equiv="refresh"' in page  # without JavaScript the page reloads itself
    partial = client.get(
        reverse("jobs:detail", args=[job.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in partial
    assert "已数 12,000 / 150,000 步" in partial


def test_a_finished_job_offers_its_file_and_stops_polling(client, world, django_capture_on_commit_callbacks):
    job = _job(world, django_capture_on_commit_callbacks, steps=2)
    client.force_login(world.shijia_staff)
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "every 1s" not in page
    assert reverse("jobs:download", args=[job.pk]) in page
    response = client.get(reverse("jobs:download", args=[job.pk]))
    # Sent from the file in chunks, not read into the worker's memory first (a ledger is 40 MB).
    assert response.streaming and response["Content-Length"] == str(len(b"counted 2"))
    assert response.getvalue() == b"counted 2"
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]


def test_a_failed_job_shows_its_reason_and_a_button_to_start_again(
    client, world, django_capture_on_commit_callbacks
):
    job = _job(world, django_capture_on_commit_callbacks, kind="test.refuse")
    client.force_login(world.shijia_staff)
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "这份名单里没有可以生成的内容。" in page
    assert "重新发起" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("jobs:retry", args=[job.pk]))
    again = Job.objects.exclude(pk=job.pk).get()
    assert response.url == reverse("jobs:detail", args=[again.pk])
    assert again.created_by == world.shijia_staff


def test_only_the_creator_a_superuser_and_county_staff_over_it_see_a_job(
    client, world, django_capture_on_commit_callbacks
):
    job = _job(world, django_capture_on_commit_callbacks, steps=1)
    for user, status in [
        (world.shijia_staff, 200),
        (world.superuser, 200),
        (world.county_staff, 200),
        (world.liaoyang_staff, 404),
    ]:
        client.force_login(user)
        assert client.get(reverse("jobs:detail", args=[job.pk])).status_code == status, user
        assert client.get(reverse("jobs:download", args=[job.pk])).status_code == status, user
    client.force_login(world.liaoyang_staff)
    assert client.post(reverse("jobs:retry", args=[job.pk])).status_code == 404
    assert Job.objects.count() == 1


def test_township_staff_do_not_see_a_county_job_they_did_not_start(
    client, world, django_capture_on_commit_callbacks
):
    job = _job(world, django_capture_on_commit_callbacks, actor=world.county_staff, organisation=world.county)
    client.force_login(world.shijia_staff)
    assert client.get(reverse("jobs:detail", args=[job.pk])).status_code == 404


def test_my_jobs_lists_the_users_recent_jobs_in_bounded_queries(
    client, world, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for _ in range(5):
        _job(world, django_capture_on_commit_callbacks, steps=1)
    _job(world, django_capture_on_commit_callbacks, actor=world.liaoyang_staff, organisation=world.liaoyang)
    client.force_login(world.shijia_staff)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("jobs:mine")).content.decode()
    assert page.count(reverse("jobs:mine")) >= 1  # in the staff menu
    assert page.count("计数任务") == 5
    assert "我的任务" in page
