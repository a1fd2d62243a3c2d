"""A scanned batch: multi-page forms put back together by page order, duplicates refused."""

import numpy as np

from scoring.paper.scan import synthetic
from scoring.paper.scan.batch import read_batch
from tests.scoring.paper.conftest import GROUP_ID, SESSION_ID


def batch(layout, images, **extra):
    return read_batch(images, session_id=SESSION_ID, layouts={GROUP_ID: layout}, **extra)


def test_two_page_forms_are_put_back_together_in_order(two_page_form):
    forms = [synthetic.synthetic_form(two_page_form, seed=s, distortion="scanner") for s in (21, 22)]
    done = []
    result = batch(two_page_form, [page.image for form in forms for page in form], progress=done.append)
    assert done == [1, 2, 3, 4]
    assert result.problems == ()
    assert len(result.forms) == 2
    for form, pages in zip(result.forms, forms, strict=True):
        assert [p.page for p in form.pages] == [1, 2]
        assert form.indexes in ((0, 1), (2, 3))
        truth = synthetic.truth_of(pages)
        assert [cell.key for cell in form.cells] == list(two_page_form.keys)
        for cell in form.cells:
            assert cell.value == truth[cell.key] or cell.needs_review
        agree = sum(cell.value == truth[cell.key] for cell in form.cells)
        assert agree >= 0.85 * len(truth)
        assert set(form.marks) <= set(truth)
        assert all(
            truth[key] == grade for key, grade in form.marks.items() if truth[key] in synthetic.grade_values()
        )
        flagged_first = form.to_review
        assert flagged_first == sorted(flagged_first, key=lambda c: (c.flag is None, c.confidence))


def test_a_form_missing_a_page_or_out_of_order_is_refused_whole(two_page_form):
    first = synthetic.synthetic_form(two_page_form, seed=23, distortion="clean")
    second = synthetic.synthetic_form(two_page_form, seed=24, distortion="clean")
    # Page 1 of form one, then form two complete, then page 2 of form one on its own.
    result = batch(two_page_form, [first[0].image, second[0].image, second[1].image, first[1].image])
    assert len(result.forms) == 1
    assert result.forms[0].indexes == (1, 2)
    assert [(p.index, p.code) for p in result.problems] == [(0, "incomplete"), (3, "incomplete")]


def test_the_same_image_twice_and_the_same_sheet_rescanned_are_refused(small_form):
    sheet = synthetic.synthetic_form(small_form, seed=25, distortion="scanner")[0]
    rescan = synthetic.distort(sheet.paper, np.random.default_rng(99), "phone")
    result = batch(small_form, [sheet.image, sheet.image, rescan])
    assert len(result.forms) == 1
    assert [(p.index, p.code) for p in result.problems] == [(1, "duplicate"), (2, "duplicate")]
    # And against an earlier batch of the session.
    earlier = result.forms[0].pages[0]
    later = batch(small_form, [rescan], known_signatures=[(GROUP_ID, 1, earlier.signature)])
    assert later.forms == () and later.problems[0].code == "duplicate"


def test_two_sheets_with_the_same_marks_are_both_counted(small_form):
    kinds = {key: "tick" for key in small_form.keys}
    picks = {key: 0 for key in small_form.keys}
    sheets = [
        synthetic.synthetic_form(small_form, seed=s, distortion="scanner", kinds=kinds, picks=picks)[0]
        for s in (26, 27)
    ]
    result = batch(small_form, [sheet.image for sheet in sheets])
    assert result.problems == ()
    assert [form.marks for form in result.forms] == [dict.fromkeys(small_form.keys, "good")] * 2


def test_an_unreadable_page_is_reported_and_the_rest_read(small_form):
    good = synthetic.synthetic_form(small_form, seed=28, distortion="clean")[0]
    blank_paper = np.full((1240, 1754), 250, np.uint8)
    result = batch(small_form, [blank_paper, good.image])
    assert len(result.forms) == 1
    assert [(p.index, p.code) for p in result.problems] == [(0, "no_qr")]
