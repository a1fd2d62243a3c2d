"""Scanned forms (扫描计票): scan_batch_upload and scanned_form_confirm — what is read, refused, counted."""

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from reviews.audit.models import AuditEvent
from scoring import selectors
from scoring.ballots import services as ballots_services
from scoring.ballots.models import Ballot, Score
from scoring.errors import ScoringError
from scoring.paper import scanning
from scoring.paper import services as paper_services
from scoring.paper.models import PaperBallot, PaperStatus, ScanBatch, ScannedForm, ScannedPage, ScannedState
from scoring.schemes.models import EvaluatorGroup
from tests.scoring.paper.scanned import grade_of, png, sheets


@pytest.fixture
def issued(scored):
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(paper_issued=10)
    scored.delegates.refresh_from_db()
    return scored


def _picks(layout, base: int, **by_item):
    return {key: by_item.get(f"{key[0]}-{key[1]}", (base + i) % 4) for i, key in enumerate(layout.keys)}


def _upload(world, images, actor=None):
    return scanning.scan_batch_upload(
        actor=actor or world.county_staff,
        session=world.session,
        files=[png(image, f"p{i}.png") for i, image in enumerate(images)],
    )


def _refused(call) -> ScoringError:
    with pytest.raises(ScoringError) as info:
        call()
    return info.value


def _tally(world):
    return selectors.session_tally(world.session).result.reporters


def test_an_upload_of_two_photographed_forms_becomes_two_forms_to_review(issued, scan_storage):
    layout, _ = sheets(issued.session, issued.delegates, [])
    picks = [_picks(layout, 0), _picks(layout, 1)]
    _, images = sheets(issued.session, issued.delegates, picks)

    batch = _upload(issued, images)

    assert (batch.status, batch.done, batch.total, batch.problems) == ("read", 2, 2, [])
    forms = list(ScannedForm.objects.filter(batch=batch).order_by("pk"))
    assert [f.state for f in forms] == [ScannedState.REVIEW] * 2
    for form, truth in zip(forms, picks, strict=True):
        read = {(c["r"], c["c"]): c["grade"] for c in form.cells}
        assert read == {key: grade_of(i) for key, i in truth.items()}
        assert form.group_id == issued.delegates.pk
    page = ScannedPage.objects.get(form=forms[0])
    assert scan_storage.exists(page.image.name) and page.width > 1000 and len(page.digest) == 64
    assert not PaperBallot.objects.exists()  # a scan never silently becomes a ballot
    assert AuditEvent.objects.filter(action="paper.scan_upload").count() == 1


def test_the_same_sheet_uploaded_again_is_refused_per_page_also_across_batches(issued, scan_storage):
    layout, _ = sheets(issued.session, issued.delegates, [])
    _, images = sheets(issued.session, issued.delegates, [_picks(layout, 0), _picks(layout, 2)])
    _upload(issued, images[:1])

    later = _upload(issued, [images[1], images[0]])

    assert ScannedForm.objects.filter(batch=later).count() == 1
    assert [(p["page"], p["file"], p["code"]) for p in later.problems] == [(1, "p1.png", "duplicate")]
    assert "已" in later.problems[0]["message"] or "twice" in later.problems[0]["message"]
    assert ScannedPage.objects.count() == 2


def test_confirming_counts_the_form_as_the_double_entry_path_counts_the_same_marks(issued, scan_storage):
    layout, _ = sheets(issued.session, issued.delegates, [])
    picks = [_picks(layout, 0), _picks(layout, 3)]
    _, images = sheets(issued.session, issued.delegates, picks)
    _upload(issued, images)
    for form in ScannedForm.objects.order_by("pk"):
        done = scanning.scanned_form_confirm(actor=issued.county_staff, form=form, corrections={})
        assert done.state == ScannedState.COUNTED and done.confirmed_by == issued.county_staff
    scanned = list(PaperBallot.objects.order_by("pk"))
    assert [p.status for p in scanned] == [PaperStatus.COUNTED] * 2
    assert all(100_000 <= p.serial <= 999_999 for p in scanned)
    assert {
        (s.report_id, s.criterion_id): s.grade for s in Score.objects.filter(ballot=scanned[0].ballot)
    } == {key: grade_of(i) for key, i in picks[0].items()}
    by_scan = _tally(issued)

    Ballot.objects.filter(pk__in=[p.ballot_id for p in scanned]).delete()
    PaperBallot.objects.filter(pk__in=[p.pk for p in scanned]).delete()
    for serial, form_picks in enumerate(picks, start=1):
        marks = {key: grade_of(i) for key, i in form_picks.items()}
        for clerk in (issued.county_staff, issued.superuser):
            paper_services.paper_entry_submit(
                actor=clerk, session=issued.session, group=issued.delegates, serial=serial, marks=marks
            )
    assert PaperBallot.objects.filter(status=PaperStatus.COUNTED).count() == 2
    assert _tally(issued) == by_scan


def test_a_flagged_item_blocks_confirming_until_the_clerk_decides_it(issued, scan_storage):
    layout, _ = sheets(issued.session, issued.delegates, [])
    doubled = layout.keys[3]
    _, images = sheets(issued.session, issued.delegates, [_picks(layout, 1)], double={(0, doubled)})
    _upload(issued, images)
    form = ScannedForm.objects.get()
    assert form.flagged == 1
    assert [(c["r"], c["c"]) for c in form.cells if c["flag"]] == [doubled]

    error = _refused(
        lambda: scanning.scanned_form_confirm(actor=issued.county_staff, form=form, corrections={})
    )

    assert error.code == "undecided" and "1" in error.message
    assert not PaperBallot.objects.exists() and not Ballot.objects.exists()
    form.refresh_from_db()
    assert form.state == ScannedState.REVIEW

    scanning.scanned_form_confirm(actor=issued.county_staff, form=form, corrections={doubled: "poor"})
    score = Score.objects.get(report_id=doubled[0], criterion_id=doubled[1])
    assert score.grade == "poor"
    form.refresh_from_db()
    assert form.corrections == {f"{doubled[0]}-{doubled[1]}": "poor"}


def test_a_flagged_item_left_without_a_grade_is_refused_like_a_typed_gap_and_a_form_may_be_invalid(
    issued, scan_storage
):
    layout, _ = sheets(issued.session, issued.delegates, [])
    doubled = layout.keys[0]
    _, images = sheets(issued.session, issued.delegates, [_picks(layout, 0)], double={(0, doubled)})
    _upload(issued, images)
    form = ScannedForm.objects.get()

    gap = _refused(
        lambda: scanning.scanned_form_confirm(actor=issued.county_staff, form=form, corrections={doubled: ""})
    )
    assert gap.code == "incomplete" and not PaperBallot.objects.exists() and not Ballot.objects.exists()

    scanning.scanned_form_confirm(
        actor=issued.county_staff, form=form, corrections={}, invalid_reason="一栏多选"
    )

    invalid = PaperBallot.objects.get()
    assert invalid.status == PaperStatus.INVALID and invalid.ballot.invalid_reason == "一栏多选"
    assert not Score.objects.filter(ballot=invalid.ballot).exists()
    assert ScannedForm.objects.get(pk=form.pk).state == ScannedState.INVALID


def test_a_form_is_confirmed_once_and_corrections_must_match_its_items(issued, scan_storage):
    layout, _ = sheets(issued.session, issued.delegates, [])
    _, images = sheets(issued.session, issued.delegates, [_picks(layout, 0)])
    _upload(issued, images)
    form = ScannedForm.objects.get()

    tampered = _refused(
        lambda: scanning.scanned_form_confirm(
            actor=issued.county_staff, form=form, corrections={(99999, 99999): "good"}
        )
    )
    assert tampered.code == "tampered" and not PaperBallot.objects.exists()
    scanning.scanned_form_confirm(actor=issued.county_staff, form=form, corrections={})
    again = _refused(
        lambda: scanning.scanned_form_confirm(actor=issued.county_staff, form=form, corrections={})
    )
    assert again.code == "confirmed" and "已" in again.message
    assert PaperBallot.objects.count() == 1


def test_over_issue_voids_the_groups_paper_ballots_as_for_typed_forms(issued, scan_storage):
    EvaluatorGroup.objects.filter(pk=issued.delegates.pk).update(paper_issued=1)
    layout, _ = sheets(issued.session, issued.delegates, [])
    _, images = sheets(issued.session, issued.delegates, [_picks(layout, 0), _picks(layout, 1)])
    _upload(issued, images)
    for form in ScannedForm.objects.all():
        scanning.scanned_form_confirm(actor=issued.county_staff, form=form, corrections={})

    result = selectors.session_tally(issued.session).result
    group = next(g for g in result.groups if g.group == selectors.group_key(issued.delegates.pk))
    assert group.voided == 2


def test_township_staff_cannot_upload_to_the_county_session_nor_confirm_its_forms(issued, scan_storage):
    layout, _ = sheets(issued.session, issued.delegates, [])
    _, images = sheets(issued.session, issued.delegates, [_picks(layout, 0)])
    with pytest.raises(PermissionDenied):
        _upload(issued, images, actor=issued.shijia_staff)
    assert not ScanBatch.objects.exists()
    _upload(issued, images)
    with pytest.raises(PermissionDenied):
        scanning.scanned_form_confirm(
            actor=issued.shijia_staff, form=ScannedForm.objects.get(), corrections={}
        )
    assert not PaperBallot.objects.exists()


def test_uploads_and_confirmations_are_refused_once_scoring_is_closed(issued, scan_storage):
    layout, _ = sheets(issued.session, issued.delegates, [])
    _, images = sheets(issued.session, issued.delegates, [_picks(layout, 0), _picks(layout, 1)])
    _upload(issued, images[:1])
    ballots_services.scoring_close(actor=issued.county_staff, session=issued.session)

    upload = _refused(lambda: _upload(issued, images[1:]))
    confirm = _refused(
        lambda: scanning.scanned_form_confirm(
            actor=issued.county_staff, form=ScannedForm.objects.get(), corrections={}
        )
    )

    assert upload.code == "not_open" and "开放" in upload.message
    assert confirm.code == "not_open"
    assert ScanBatch.objects.count() == 1 and ScannedPage.objects.count() == 1
    assert not PaperBallot.objects.exists()


def test_a_file_that_is_not_a_form_is_refused_whole(issued, scan_storage):
    blank = np.full((800, 600), 255, dtype=np.uint8)
    error = _refused(lambda: _upload(issued, [blank]))
    junk = _refused(
        lambda: scanning.scan_batch_upload(
            actor=issued.county_staff,
            session=issued.session,
            files=[SimpleUploadedFile("a.txt", b"hello")],
        )
    )
    assert error.code == "unreadable" and "p0.png" not in error.message
    assert junk.code == "image" and junk.message.startswith("a.txt")
    assert not ScanBatch.objects.exists() and not ScannedPage.objects.exists()


def test_a_sheet_stored_by_another_upload_while_this_one_was_read_is_refused(
    issued, scan_storage, monkeypatch
):
    from scoring.paper.scan import batch as batch_module

    layout, _ = sheets(issued.session, issued.delegates, [])
    _, images = sheets(issued.session, issued.delegates, [_picks(layout, 0), _picks(layout, 1)])
    real = batch_module.read_batch
    meanwhile = []

    def read_while_another_uploads(*args, **kwargs):
        result = real(*args, **kwargs)
        if not meanwhile:
            meanwhile.append("colleague")
            _upload(issued, images[:1])  # a colleague uploads the first sheet meanwhile
        return result

    monkeypatch.setattr(batch_module, "read_batch", read_while_another_uploads)
    later = _upload(issued, images)

    assert [(p["file"], p["code"]) for p in later.problems] == [("p0.png", "duplicate")]
    assert ScannedForm.objects.filter(batch=later).count() == 1
    assert ScannedPage.objects.count() == 2


def test_a_points_scheme_cannot_be_scanned(issued, scan_storage):
    from scoring.schemes.models import ModeChoice, Scheme

    Scheme.objects.filter(pk=issued.scheme.pk).update(mode=ModeChoice.POINTS)
    error = _refused(lambda: _upload(issued, [np.full((800, 600), 255, dtype=np.uint8)]))
    assert error.code == "points" and not ScanBatch.objects.exists()


def test_an_upload_larger_than_the_upload_limit_is_refused(issued, scan_storage, settings):
    layout, _ = sheets(issued.session, issued.delegates, [])
    _, images = sheets(issued.session, issued.delegates, [_picks(layout, 0)])
    settings.UPLOAD_MAX_BYTES = 1000
    error = _refused(lambda: _upload(issued, images))
    assert error.code == "too_large" and "每次最多上传" in error.message
    assert not ScanBatch.objects.exists()
