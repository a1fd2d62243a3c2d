"""The scanned-form pages (/manage/paper/<session>/scan/, /manage/paper/scan/<form>/): upload, review."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from scoring.ballots.models import Score
from scoring.paper.models import PaperBallot, PaperStatus, ScanBatch, ScannedForm, ScannedPage, ScannedState
from scoring.schemes.models import EvaluatorGroup
from tests.scoring.paper.scanned import grade_of, png, sheets


def _zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return gettext(msgid)


@pytest.fixture
def clerk(scored) -> Client:
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(paper_issued=10)
    client = Client()
    client.force_login(scored.county_staff)
    return client


def _picks(layout, base):
    return {key: (base + i) % 4 for i, key in enumerate(layout.keys)}


def _images(scored, count=2, double=()):
    layout, _ = sheets(scored.session, scored.delegates, [])
    picks = [_picks(layout, n) for n in range(count)]
    return layout, picks, sheets(scored.session, scored.delegates, picks, double=double)[1]


def _post_upload(client, scored, images, names=None):
    files = [
        png(image, name)
        for image, name in zip(images, names or [f"p{i}.png" for i in range(len(images))], strict=True)
    ]
    return client.post(reverse("paper:scan", args=[scored.session.pk]), {"files": files})


def test_the_scan_page_offers_each_groups_form_and_the_upload(
    scored, clerk, scan_storage, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20):
        response = clerk.get(reverse("paper:scan", args=[scored.session.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for group in (scored.leaders, scored.delegates):
        assert reverse("paper:scan_form_pdf", args=[scored.session.pk, group.pk]) in page
    assert 'name="files"' in page and "multiple" in page and "data-scan-progress" in page

    pdf = clerk.get(reverse("paper:scan_form_pdf", args=[scored.session.pk, scored.delegates.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_an_upload_lists_its_batch_and_a_duplicate_page_with_its_reason(
    scored, clerk, scan_storage, django_assert_max_num_queries
):
    _layout, _unused, images = _images(scored, count=2)
    response = _post_upload(clerk, scored, images)
    assert response.status_code == 302
    assert ScannedForm.objects.filter(state=ScannedState.REVIEW).count() == 2

    _post_upload(clerk, scored, images[:1], names=["again.png"])
    with django_assert_max_num_queries(20):
        page = clerk.get(reverse("paper:scan", args=[scored.session.pk])).content.decode()
    assert 'data-problem="duplicate"' in page and "again.png" in page
    assert page.count("data-batch=") == 2 and page.count("data-scanned=") == 2


def test_a_refused_upload_shows_the_reason_and_writes_nothing(scored, clerk, scan_storage):
    response = clerk.post(reverse("paper:scan", args=[scored.session.pk]), {})
    assert response.status_code == 200
    assert _zh("Choose the scanned PDF or the photos of the forms.") in response.content.decode()
    assert not ScanBatch.objects.exists()


def test_the_review_page_shows_the_image_with_the_flagged_item_first_and_confirming_counts_it(
    scored, clerk, scan_storage, django_assert_max_num_queries
):
    layout, _ = sheets(scored.session, scored.delegates, [])
    doubled = layout.keys[2]
    _layout, picks, images = _images(scored, count=1, double={(0, doubled)})
    _post_upload(clerk, scored, images)
    form = ScannedForm.objects.get()
    url = reverse("paper:scanned_form", args=[form.pk])

    with django_assert_max_num_queries(20):
        page = clerk.get(url).content.decode()
    field = f"cell-{doubled[0]}-{doubled[1]}"
    assert page.index(f'data-cell="{field}"') == page.index('data-cell="cell-')  # the first item listed
    assert 'data-flag="double"' in page and 'id="box-1"' in page and "scan-box--flag" in page
    image = ScannedPage.objects.get()
    assert reverse("paper:scanned_page_image", args=[image.pk]) in page

    png_response = clerk.get(reverse("paper:scanned_page_image", args=[image.pk]))
    assert (
        png_response["Content-Type"] == "image/png"
        and b"".join(png_response.streaming_content)[:4] == b"\x89PNG"
    )

    refused = clerk.post(url, {})
    assert refused.status_code == 200 and "data-refusal" in refused.content.decode()
    assert not PaperBallot.objects.exists()

    data = {f"cell-{r}-{c}": grade_of(picks[0][(r, c)]) for (r, c) in layout.keys if (r, c) != doubled}
    data[field] = "fairly_good"
    done = clerk.post(url, data)
    assert done.status_code == 302 and done["Location"] == reverse("paper:scan", args=[scored.session.pk])
    paper = PaperBallot.objects.get()
    assert paper.status == PaperStatus.COUNTED
    assert (
        Score.objects.get(ballot=paper.ballot, report_id=doubled[0], criterion_id=doubled[1]).grade
        == "fairly_good"
    )
    assert ScannedForm.objects.get().state == ScannedState.COUNTED


def test_township_staff_see_neither_the_county_scans_nor_their_images(scored, clerk, scan_storage):
    _layout, _unused, images = _images(scored, count=1)
    _post_upload(clerk, scored, images)
    form, image = ScannedForm.objects.get(), ScannedPage.objects.get()
    township = Client()
    township.force_login(scored.shijia_staff)
    for url in (
        reverse("paper:scan", args=[scored.session.pk]),
        reverse("paper:scanned_form", args=[form.pk]),
        reverse("paper:scanned_page_image", args=[image.pk]),
        reverse("paper:scan_progress", args=[scored.session.pk]),
    ):
        assert township.get(url).status_code in (403, 404), url
    assert township.post(reverse("paper:scanned_form", args=[form.pk]), {}).status_code in (403, 404)
    assert not PaperBallot.objects.exists()


def test_the_progress_of_an_upload_being_read_is_reported(scored, clerk):
    ScanBatch.objects.create(session=scored.session, uploaded_by=scored.county_staff, total=50, done=17)
    response = clerk.get(reverse("paper:scan_progress", args=[scored.session.pk]))
    assert response.json() == {"done": 17, "total": 50}


def test_the_paper_overview_warns_of_unconfirmed_scans_and_marks_scanned_ballots(
    scored, clerk, scan_storage, django_assert_max_num_queries
):
    _layout, _unused, images = _images(scored, count=1)
    _post_upload(clerk, scored, images)
    overview = reverse("paper:session", args=[scored.session.pk])
    assert "data-scanned-waiting" in clerk.get(overview).content.decode()

    form = ScannedForm.objects.get()
    clerk.post(reverse("paper:scanned_form", args=[form.pk]), {})
    assert PaperBallot.objects.get().status == PaperStatus.COUNTED  # nothing flagged: confirmed as read
    with django_assert_max_num_queries(20):
        page = clerk.get(overview).content.decode()
    assert "data-scanned-waiting" not in page and "data-scanned-ballot" in page
    assert f'data-paper="{PaperBallot.objects.get().serial}"' in page
