"""The layout: every item once, one box per grade, inside the markers; what the printed page really shows."""

import numpy as np

from scoring import tally
from scoring.paper.scan import synthetic
from scoring.paper.scan.layout import MARKER_CENTRE, MARKER_SIZE, Rect, layout_build
from tests.scoring.paper.conftest import spec


def test_it_gives_every_item_one_box_per_grade(small_form):
    keys = [(r.report_id, i.criterion_id) for r in small_form.spec.reporters for i in small_form.spec.items]
    assert list(small_form.keys) == keys
    boxes = [(b.key, b.grade) for page in small_form.pages for b in page.boxes]
    assert len(boxes) == len(set(boxes)) == len(keys) * 4
    assert {grade for _key, grade in boxes} == set(tally.GRADES)


def test_grade_mode_is_portrait_with_one_item(grade_form):
    assert not grade_form.landscape
    assert len(grade_form.keys) == 5
    assert grade_form.span == (210 - 2 * MARKER_CENTRE, 297 - 2 * MARKER_CENTRE)


def test_many_reporters_go_over_pages_and_every_box_stays_inside_the_markers(two_page_form):
    assert len(two_page_form.pages) == 2
    assert [p.number for p in two_page_form.pages] == [1, 2]
    assert sorted(two_page_form.keys) == sorted(set(two_page_form.keys))
    assert len(two_page_form.keys) == 20 * 6
    span_x, span_y = two_page_form.span
    for page in two_page_form.pages:
        for box in page.boxes:
            assert box.rect.x > 0 and box.rect.x + box.rect.w < span_x
            assert box.rect.y > 0 and box.rect.y + box.rect.h < span_y
            assert not _overlaps(box.rect, page.qr)


def test_a_row_too_wide_for_the_page_splits_the_items():
    layout = layout_build(spec(reporters=3, items=10))
    assert len(layout.pages) == 2
    first, second = ({key[1] for key in page.keys} for page in layout.pages)
    assert first and second and not first & second
    assert len(layout.keys) == 30


def test_the_fingerprint_changes_with_the_reporters_and_not_with_their_names():
    base = layout_build(spec(reporters=3))
    renamed = spec(reporters=3)
    renamed = renamed.__class__(**{**renamed.__dict__, "title": "另一个标题"})
    assert layout_build(renamed).fingerprint == base.fingerprint
    assert layout_build(spec(reporters=4)).fingerprint != base.fingerprint


def test_the_printed_boxes_are_where_the_layout_says(small_form):
    """Round trip through the renderer: a dark border on every box's edge, white inside it."""
    dpi = 150
    ppm = dpi / 25.4
    page = synthetic.clean_pages(small_form, dpi=dpi)[0]
    for box in small_form.pages[0].boxes:
        x0, y0 = ((box.rect.x + MARKER_CENTRE) * ppm, (box.rect.y + MARKER_CENTRE) * ppm)
        size = box.rect.w * ppm
        inside = page[
            round(y0 + 0.3 * size) : round(y0 + 0.7 * size), round(x0 + 0.3 * size) : round(x0 + 0.7 * size)
        ]
        left_edge = page[
            round(y0 + 0.3 * size) : round(y0 + 0.7 * size), round(x0) : round(x0 + 0.3 * ppm) + 1
        ]
        assert inside.min() > 200
        assert np.median(left_edge.min(axis=1)) < 120
    for cx, cy in ((0, 0), small_form.span):  # marker centres are solid black
        assert page[round((cy + MARKER_CENTRE) * ppm), round((cx + MARKER_CENTRE) * ppm)] < 60


def _overlaps(a: Rect, b: Rect) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def test_nothing_is_printed_near_a_marker(small_form, two_page_form, grade_form):
    """The reader tells a marker from a filled box by the white around it."""
    for layout in (small_form, two_page_form, grade_form):
        span_x, span_y = layout.span
        for page in layout.pages:
            rects = [t.rect for t in page.texts if t.text] + list(page.lines) + [b.rect for b in page.boxes]
            for rect in [*rects, page.qr]:
                for cx, cy in ((0, 0), (span_x, 0), (0, span_y), (span_x, span_y)):
                    dx = max(rect.x - cx, 0, cx - (rect.x + rect.w))
                    dy = max(rect.y - cy, 0, cy - (rect.y + rect.h))
                    assert (dx * dx + dy * dy) ** 0.5 > 1.3 * MARKER_SIZE, (rect, cx, cy)
