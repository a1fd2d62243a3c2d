"""All the rectification notices in one's scope as one PDF, drawn by the job worker."""

import io

import pypdfium2 as pdfium
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from reviews.jobs.models import Job
from reviews.rectification import jobs as jobs_rectification
from reviews.rectification.models import RectificationNotice


def _start(client, user, cycle):
    client.force_login(user)
    return client.post(reverse("rectification:notices_pdf", args=[cycle.pk]))


def _pdf_text(content: bytes) -> str:
    document = pdfium.PdfDocument(io.BytesIO(content))
    return "".join(page.get_textpage().get_text_range() for page in document)


def test_county_staff_get_every_notice_of_the_county_as_one_pdf(client, rectified, run_jobs):
    w = rectified.world
    client.force_login(w.county_staff)
    page = client.get(reverse("rectification:cycle", args=[w.cycle.pk])).content.decode()
    assert f'action="{reverse("rectification:notices_pdf", args=[w.cycle.pk])}" id="sz-notices-pdf"' in page
    started = _start(client, w.county_staff, w.cycle)
    job = Job.objects.get(kind=jobs_rectification.NOTICES)
    assert started["Location"] == reverse("jobs:detail", args=[job.pk])
    run_jobs()
    job.refresh_from_db()
    assert job.status == "done", job.error
    download = client.get(reverse("jobs:download", args=[job.pk]))
    pdf = download.getvalue()  # streamed: read once
    assert download.status_code == 200 and pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    for notice in RectificationNotice.objects.filter(session__cycle=w.cycle).select_related("organisation"):
        assert notice.organisation.name[:4] in text


def test_township_staff_get_only_their_townships_notices(client, rectified, run_jobs):
    w = rectified.world
    _start(client, w.liaoyang_staff, w.cycle)
    run_jobs()
    job = Job.objects.get(kind=jobs_rectification.NOTICES)
    assert job.status == "done", job.error
    text = _pdf_text(client.get(reverse("jobs:download", args=[job.pk])).getvalue())
    assert "辽阳" in text and "石匣" not in text


def test_too_many_notices_are_refused_before_a_job_starts(client, rectified, monkeypatch):
    monkeypatch.setattr(jobs_rectification, "NOTICES_PER_JOB", 1)
    response = _start(client, rectified.world.county_staff, rectified.world.cycle)
    assert response.status_code == 302
    assert response["Location"] == reverse("rectification:cycle", args=[rectified.world.cycle.pk])
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "超过单个 PDF 的上限" in message and "下级组织部门分别导出" in message
    assert not Job.objects.exists()


def test_a_cycle_without_notices_says_so_and_starts_nothing(client, world):
    response = _start(client, world.county_staff, world.cycle)
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == "本年度尚未下发整改通知单。"
    assert not Job.objects.exists()


@pytest.mark.parametrize("method", ["get", "head"])
def test_the_pdf_is_started_by_a_post_only(client, rectified, method):
    client.force_login(rectified.world.county_staff)
    url = reverse("rectification:notices_pdf", args=[rectified.world.cycle.pk])
    assert getattr(client, method)(url).status_code == 405


def test_a_secretary_cannot_start_it(client, rectified):
    assert _start(client, rectified.wang, rectified.world.cycle).status_code == 403
    assert not Job.objects.exists()


def test_notices_rendered_one_a_piece_are_joined_into_one_pdf_under_the_cycles_title(
    client, rectified, run_jobs, monkeypatch
):
    import reviews.documents
    from reviews.handover import documents as documents_handover

    monkeypatch.setattr(documents_handover, "NOTICES_PER_RENDER", 1)
    real = reviews.documents.render_pdf
    renders = []

    def counted(html):
        renders.append(html)
        return real(html)

    monkeypatch.setattr(reviews.documents, "render_pdf", counted)
    w = rectified.world
    _start(client, w.county_staff, w.cycle)
    (job,) = run_jobs()
    assert job.status == "done", job.error
    assert len(renders) == 3 and (job.done, job.total) == (3, 3)
    document = pdfium.PdfDocument(client.get(reverse("jobs:download", args=[job.pk])).getvalue())
    try:
        assert len(document) == 6
        assert document.get_metadata_dict()["Title"] == f"{w.cycle.name} · 整改通知单"
        text = "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    for notice in RectificationNotice.objects.filter(session__cycle=w.cycle).select_related("organisation"):
        assert notice.organisation.name[:4] in text


def test_a_notices_piece_that_fails_fails_the_job_without_a_file(client, rectified, run_jobs, monkeypatch):
    import reviews.documents
    from reviews.handover import documents as documents_handover

    monkeypatch.setattr(documents_handover, "NOTICES_PER_RENDER", 1)
    real = reviews.documents.render_pdf
    renders = []

    def second_fails(html):
        renders.append(html)
        if len(renders) == 2:
            raise OSError("no font")
        return real(html)

    monkeypatch.setattr(reviews.documents, "render_pdf", second_fails)
    _start(client, rectified.world.county_staff, rectified.world.cycle)
    (job,) = run_jobs()
    assert len(renders) == 2
    assert job.status == "failed" and not job.result and "任务未能完成" in job.error
