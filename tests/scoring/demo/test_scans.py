"""The demo's scanned batch: forms read on the township session, one item left for the clerk to settle."""

from django.core.management import call_command

from reviews.cycles.models import Session
from reviews.demo.before_meeting import demo_before_meeting_seed
from reviews.demo.county import SHIJIA_SESSION, demo_seed
from scoring.demo.scans import DEMO_SCANNED_FORMS
from scoring.paper.models import ScanBatch, ScannedForm, ScannedPage, ScannedState


def test_the_demo_has_one_scanned_batch_with_a_flagged_item_to_review(db, demo_scan_storage):
    demo_seed()
    demo_before_meeting_seed()
    call_command("seed_demo_scoring")
    call_command("seed_demo_scoring")

    session = Session.objects.get(title=SHIJIA_SESSION.title)
    batch = ScanBatch.objects.get()
    assert batch.session == session and batch.uploaded_by.username == "shijia"
    forms = ScannedForm.objects.filter(batch=batch)
    assert forms.count() == DEMO_SCANNED_FORMS and batch.problems == []
    assert set(forms.values_list("state", flat=True)) == {ScannedState.REVIEW}
    assert sum(forms.values_list("flagged", flat=True)) >= 1
    page = ScannedPage.objects.first()
    assert demo_scan_storage.exists(page.image.name)
