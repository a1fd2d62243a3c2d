"""扫描计票 in Chromium: upload a scanned batch, settle a flagged item, see the forms counted as typed."""

import io

import pytest
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image
from playwright.sync_api import expect

from scoring import selectors
from scoring.ballots.models import Ballot
from scoring.paper import services as paper_services
from scoring.paper.models import PaperBallot, PaperStatus, ScannedForm
from scoring.schemes.models import Criterion, EvaluatorGroup
from tests.browser.test_paper_entry import _logged_in
from tests.scoring.conftest import ScoredWorld
from tests.scoring.paper.scanned import grade_of, scan_storage, sheets  # noqa: F401


def _zh(msgid: str, **values) -> str:
    with translation.override("zh-hans"):
        return gettext(msgid) % values


@pytest.fixture
def world(live_server, transactional_db):
    world = ScoredWorld()
    EvaluatorGroup.objects.filter(pk=world.delegates.pk).update(paper_issued=20)
    return world


def _scanned_pdf(images, path):
    pages = [Image.fromarray(image) for image in images]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:], resolution=150)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.usefixtures("scan_storage")
def test_a_scanned_batch_is_reviewed_and_counted_like_typed_forms(world, live_server, new_page, tmp_path):
    layout, _ = sheets(world.session, world.delegates, [])
    picks = [{key: (n + i) % 4 for i, key in enumerate(layout.keys)} for n in range(3)]
    doubled = layout.keys[5]
    _, images = sheets(world.session, world.delegates, picks, double={(1, doubled)})
    pdf = _scanned_pdf(images, tmp_path / "扫描件.pdf")
    truth = [{key: grade_of(i) for key, i in form.items()} for form in picks]
    decided = "average"
    criterion = Criterion.objects.get(pk=doubled[1]).name
    truth[1][doubled] = decided  # what the clerk decides after looking at the sheet

    page = _logged_in(new_page, live_server, world.county_staff)
    page.goto(f"{live_server.url}/manage/paper/{world.session.pk}/scan/")
    page.set_input_files("input[name=files]", str(pdf))
    page.get_by_role("button", name=_zh("Upload scans")).click()
    expect(page.locator(".scan-outcome")).to_contain_text(
        _zh(
            "%(pages)s pages read: %(forms)s forms to review, %(refused)s pages refused.",
            pages=3,
            forms=3,
            refused=0,
        )
    )
    expect(page.locator("[data-scanned]")).to_have_count(3)
    page.screenshot(path=str(tmp_path / "scan-batch.png"), full_page=True)

    page.locator("[data-scanned] a").first.click()
    for _form in range(3):
        flagged = page.locator("tr[data-flag]")
        if flagged.count():
            expect(flagged).to_have_count(1)
            expect(page.locator(".scan-box--flag")).to_have_count(1)
            page.get_by_role("button", name=_zh("Confirm and count")).click()
            expect(page.locator("[data-refusal]")).to_contain_text(criterion)
            page.screenshot(path=str(tmp_path / "scan-review-flagged.png"), full_page=True)
            page.locator(f"tr[data-flag] input[value={decided}]").check()
        page.get_by_role("button", name=_zh("Confirm and count")).click()
        expect(page.locator(".scan-confirmed")).to_be_visible()
    expect(page.locator("[data-scanned]")).to_have_count(0)

    page.goto(f"{live_server.url}/manage/paper/{world.session.pk}/")
    expect(page.locator(f'[data-group-row="{world.delegates.pk}"] td').nth(3)).to_have_text("3")
    assert ScannedForm.objects.filter(state="counted").count() == 3
    by_scan = selectors.session_tally(world.session).result.reporters

    # The same three forms typed twice by two clerks give the same tally.
    scanned = list(PaperBallot.objects.all())
    Ballot.objects.filter(pk__in=[p.ballot_id for p in scanned]).delete()
    PaperBallot.objects.all().delete()
    for serial, marks in enumerate(truth, start=1):
        for clerk in (world.county_staff, world.superuser):
            paper_services.paper_entry_submit(
                actor=clerk, session=world.session, group=world.delegates, serial=serial, marks=marks
            )
    assert PaperBallot.objects.filter(status=PaperStatus.COUNTED).count() == 3
    assert selectors.session_tally(world.session).result.reporters == by_scan
