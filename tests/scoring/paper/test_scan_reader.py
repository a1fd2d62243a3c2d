"""Reading synthetic pages with known marks: clean, scanned and photographed; flags; refusals."""

import cv2
import numpy as np
import pytest
import segno

from scoring import tally
from scoring.paper.scan import reader, synthetic
from scoring.paper.scan.errors import ScanError
from scoring.paper.scan.layout import MARKER_CENTRE, MARKER_MARGIN, MARKER_SIZE
from scoring.paper.scan.payload import payload_make
from tests.scoring.paper.conftest import GROUP_ID, SESSION_ID

GRADES = synthetic.grade_values()


def read(layout, image, session_id=SESSION_ID):
    return reader.read_page(image, session_id=session_id, layouts={GROUP_ID: layout})


def cells_by_key(page_read):
    return {cell.key: cell for cell in page_read.cells}


def every(layout, kind):
    return {key: kind for key in layout.keys}


def test_a_clean_page_reads_every_grade_with_high_confidence(small_form):
    picks = {key: i % 4 for i, key in enumerate(small_form.keys)}
    kinds = {key: ("tick", "fill")[i % 2] for i, key in enumerate(small_form.keys)}
    page = synthetic.synthetic_form(small_form, seed=1, distortion="clean", kinds=kinds, picks=picks)[0]
    result = read(small_form, page.image)
    assert (result.session_id, result.group_id, result.page, result.pages) == (SESSION_ID, GROUP_ID, 1, 1)
    assert [cell.key for cell in result.cells] == list(small_form.keys)
    for cell in result.cells:
        assert cell.grade == GRADES[picks[cell.key]]
        assert cell.flag is None
        assert cell.confidence >= reader.HIGH_CONFIDENCE
        assert not cell.needs_review


@pytest.mark.parametrize(("distortion", "seed"), [("scanner", 3), ("phone", 4), ("phone", 5), ("phone", 6)])
def test_distorted_pages_read_correctly_or_flag_and_never_wrong_with_confidence(small_form, distortion, seed):
    page = synthetic.synthetic_form(small_form, seed=seed, distortion=distortion)[0]
    result = read(small_form, page.image)
    correct = 0
    for cell in result.cells:
        truth = page.truth[cell.key]
        if cell.value == truth:
            correct += 1
        else:
            assert cell.flag is not None or cell.confidence < reader.HIGH_CONFIDENCE, (cell, truth)
        if truth in ("double", "crossed"):
            assert cell.flag is not None
    assert correct >= 0.9 * len(result.cells)


def test_double_marks_are_flagged_never_guessed(small_form):
    kinds = every(small_form, "double")
    page = synthetic.synthetic_form(small_form, seed=7, distortion="scanner", kinds=kinds)[0]
    for cell in read(small_form, page.image).cells:
        assert cell.grade is None
        assert cell.flag in (reader.Flag.DOUBLE, reader.Flag.CROSSED)
    two_ticks = synthetic.synthetic_form(
        small_form, seed=8, distortion="clean", kinds=every(small_form, "double"), mix=None
    )[0]
    flags = {cell.flag for cell in read(small_form, two_ticks.image).cells}
    assert reader.Flag.DOUBLE in flags


def test_a_crossed_out_choice_or_a_cross_is_flagged_crossed(small_form):
    for kind, seed in (("crossed", 9), ("cross", 10)):
        page = synthetic.synthetic_form(
            small_form, seed=seed, distortion="phone", kinds=every(small_form, kind)
        )[0]
        cells = read(small_form, page.image).cells
        assert all(cell.grade is None for cell in cells)
        assert sum(cell.flag == reader.Flag.CROSSED for cell in cells) >= 0.9 * len(cells)


def test_blank_items_are_flagged_blank(small_form):
    kinds = {key: "blank" if i % 3 == 0 else "tick" for i, key in enumerate(small_form.keys)}
    page = synthetic.synthetic_form(small_form, seed=11, distortion="phone", kinds=kinds)[0]
    for cell in read(small_form, page.image).cells:
        if kinds[cell.key] == "blank":
            assert cell.flag == reader.Flag.BLANK
        else:
            assert cell.grade == page.truth[cell.key]


def test_a_faint_mark_is_uncertain_not_read():
    """Ink between empty and marked: flagged for a clerk whatever it is."""
    box = reader._BoxInk(ink=(reader.EMPTY_MAX + reader.MARK_MIN) / 2, main=0.1, anti=0.1, sides=0.1)
    empty = reader._BoxInk(ink=0.0, main=0.0, anti=0.0, sides=0.0)
    mark = reader._BoxInk(ink=0.4, main=0.3, anti=0.3, sides=0.5)
    boxes = [type("B", (), {"grade": g})() for g in tally.GRADES]
    cell = reader._decide((1, 2), boxes, [mark, box, empty, empty])
    assert (cell.grade, cell.flag, cell.confidence) == (None, reader.Flag.UNCERTAIN, 0.0)
    assert reader._decide((1, 2), boxes, [mark, empty, empty, empty]).grade == "good"


def test_a_faint_smudge_is_never_read_as_a_grade(small_form):
    page = synthetic.synthetic_form(
        small_form, seed=17, distortion="scanner", kinds=every(small_form, "faint")
    )[0]
    flags = [cell.flag for cell in read(small_form, page.image).cells]
    assert None not in flags
    assert reader.Flag.UNCERTAIN in flags


def test_a_sheet_scanned_sideways_or_upside_down_reads_the_same(small_form):
    page = synthetic.synthetic_form(small_form, seed=12, distortion="scanner")[0]
    upright = [c.value for c in read(small_form, page.image).cells]
    assert sum(value == page.truth[key] for key, value in zip(small_form.keys, upright, strict=True)) >= 20
    for quarter_turns in (1, 2, 3):
        turned = np.ascontiguousarray(np.rot90(page.image, quarter_turns))
        assert [c.value for c in read(small_form, turned).cells] == upright


def test_a_page_of_another_session_is_refused(small_form):
    page = synthetic.synthetic_form(small_form, seed=13, distortion="clean")[0]
    with pytest.raises(ScanError) as refused:
        read(small_form, page.image, session_id=SESSION_ID + 1)
    assert refused.value.code == "wrong_session"
    with pytest.raises(ScanError) as refused:
        reader.read_page(page.image, session_id=SESSION_ID, layouts={GROUP_ID + 1: small_form})
    assert refused.value.code == "unknown_group"


def test_a_page_without_its_qr_code_is_refused(small_form):
    image = synthetic.clean_pages(small_form)[0].copy()
    qr = small_form.pages[0].qr
    ppm = 150 / 25.4
    x, y = round((qr.x + MARKER_CENTRE - 3) * ppm), round((qr.y + MARKER_CENTRE - 3) * ppm)
    image[y : y + round((qr.h + 6) * ppm), x : x + round((qr.w + 6) * ppm)] = 255
    with pytest.raises(ScanError) as refused:
        read(small_form, image)
    assert refused.value.code == "no_qr"
    assert refused.value.message


def test_a_page_with_a_corner_cut_off_is_refused(small_form):
    image = synthetic.clean_pages(small_form)[0].copy()
    ppm = 150 / 25.4
    reach = round((MARKER_MARGIN + MARKER_SIZE + 1) * ppm)
    image[-reach:, -reach:] = 255  # the bottom-right marker is gone
    with pytest.raises(ScanError) as refused:
        read(small_form, image)
    assert refused.value.code == "no_markers"


def test_a_page_whose_qr_code_was_replaced_is_refused(small_form):
    """A forged code (another group's page number, no valid signature) pasted over the real one."""
    image = synthetic.clean_pages(small_form)[0].copy()
    real = payload_make(small_form, 1)
    forged = real[:-1] + ("0" if real[-1] != "0" else "1")
    qr = small_form.pages[0].qr
    ppm = 150 / 25.4
    matrix = np.array(segno.make(forged, error="m").matrix, dtype=np.uint8)
    side = round(qr.w * ppm)
    symbol = cv2.resize((1 - matrix) * 255, (side, side), interpolation=cv2.INTER_NEAREST)
    x, y = round((qr.x + MARKER_CENTRE) * ppm), round((qr.y + MARKER_CENTRE) * ppm)
    image[y : y + side, x : x + side] = symbol
    with pytest.raises(ScanError) as refused:
        read(small_form, image)
    assert refused.value.code == "qr_signature"


def test_the_digest_is_stable_for_one_image_and_differs_between_sheets(small_form):
    first, second = (synthetic.synthetic_form(small_form, seed=s, distortion="scanner")[0] for s in (14, 15))
    a, b, again = read(small_form, first.image), read(small_form, second.image), read(small_form, first.image)
    assert a.digest == again.digest
    assert a.digest != b.digest
    assert len(a.digest) == 64


def test_the_review_page_gets_the_pixels_of_each_item(small_form):
    page = synthetic.synthetic_form(small_form, seed=16, distortion="clean")[0]
    result = read(small_form, page.image)
    rects = result.box_pixels(small_form)
    assert set(rects) == set(small_form.keys)
    x, y, w, h = rects[small_form.keys[0]]
    assert 0 < x < result.image.shape[1] and 0 < y < result.image.shape[0] and w > 4 * h > 0
