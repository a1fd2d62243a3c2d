"""Reading a scanned or photographed 测评表 page: image → the grade of every item, or a flag.

1. The QR code (zxing-cpp) gives the session, group and page, and — from its corners — the page's
   orientation and scale. Its signature is checked against the group's layout (``payload.py``).
2. The four corner markers are found in a background-normalised image (each pixel divided by the local
   paper brightness, so shadows and uneven light do not matter), refined to sub-pixel centres, and the
   page is warped onto the canonical marker frame at ``PX_PER_MM`` (a homography: rotation, skew and
   perspective in one). A marker set that does not put the QR code where the layout has it is refused.
3. Each answer box is aligned locally (±1 mm, on its printed border) and classified by the ink inside it,
   inset from the border: empty, a mark (tick or filled), heavy (filled), a cross (ink along both
   diagonals), or grey (between empty and marked). Per item: one mark → that grade; none → ``blank``;
   two → ``double``; a cross, or a heavy box beside another mark (a crossed-out choice) → ``crossed``;
   any grey box → ``uncertain``. Nothing flagged is ever guessed.

``confidence`` (0..1) is the smallest margin of the item's boxes from the grey zone; the review page shows
flagged and low-confidence items first. ``digest`` is the SHA-256 of the normalised page (the same image
uploaded twice); ``signature`` is a coarse picture of the ink in every box, which stays the same when one
sheet is scanned twice and differs between two sheets with the same marks (``same_sheet``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

import cv2
import numpy as np
import zxingcpp
from django.utils.translation import gettext as _

from .errors import ScanError
from .layout import MARKER_CENTRE, MARKER_SIZE, QR_SIZE, FormLayout, Page, Rect
from .payload import PagePayload, payload_parse, payload_verify

PX_PER_MM = 6.0
HIGH_CONFIDENCE = 0.8  # a grade read at or above this needs no look; below it the review page shows it first

# Soft ink (0..1 per pixel, from the darkness relative to the local paper) averaged over a box's inside.
DARK_FLOOR, DARK_FULL = 0.14, 0.42
EMPTY_MAX = 0.035  # up to this the box is empty
MARK_MIN = 0.09  # from this the box is marked; between the two it is grey (uncertain)
HEAVY_MIN = 0.8  # a filled box (a tick inks 0.25–0.6 of the inside)
CROSS_COVERAGE = 0.79  # a line inked along this share of both diagonals (ticks reach ~0.76, crosses ~0.9) …
CROSS_SIDES_MAX = 0.8  # … with the middle of the sides not filled is a cross
CROSS_LIKE = 0.74  # a mark, not filled, this far along both diagonals is read with low confidence
BOX_INSET = 1.0  # mm inside the box's outer edge: clear of the printed border and a little misalignment
ALIGN_SEARCH = 1.0  # mm each way
MATCH_MIN = 0.25  # a box's printed border matched at least this well (normalised correlation) counts as found
MIN_ALIGNMENT = 0.9  # share of items whose boxes were found in place; below it the page is refused


class Flag(StrEnum):
    BLANK = "blank"
    DOUBLE = "double"
    CROSSED = "crossed"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class CellRead:
    """One item of one reporter: ``grade`` (a tally.Grade value) or ``flag``, never both."""

    report_id: int
    criterion_id: int
    grade: str | None
    flag: Flag | None
    confidence: float
    inks: tuple[float, ...]  # soft ink in each grade's box, 好 … 差

    @property
    def key(self) -> tuple[int, int]:
        return (self.report_id, self.criterion_id)

    @property
    def value(self) -> str:
        return self.grade if self.grade is not None else str(self.flag)

    @property
    def needs_review(self) -> bool:
        return self.flag is not None or self.confidence < HIGH_CONFIDENCE


@dataclass(frozen=True)
class PageRead:
    session_id: int
    group_id: int
    page: int
    pages: int
    cells: tuple[CellRead, ...]
    digest: str
    signature: bytes
    alignment: float  # share of items whose printed boxes were found where the layout puts them
    image: np.ndarray = field(repr=False, compare=False)  # the normalised page, greyscale, PX_PER_MM

    def box_pixels(self, layout: FormLayout) -> dict[tuple[int, int], tuple[int, int, int, int]]:
        """Each item's row of boxes as (x, y, w, h) in ``image``: for highlighting on the review page."""
        boxes: dict[tuple[int, int], list[Rect]] = {}
        for box in layout.pages[self.page - 1].boxes:
            boxes.setdefault(box.key, []).append(box.rect)
        result = {}
        for key, rects in boxes.items():
            x0, y0 = _px(min(r.x for r in rects), min(r.y for r in rects))
            x1, y1 = _px(max(r.x + r.w for r in rects), max(r.y + r.h for r in rects))
            result[key] = (x0, y0, x1 - x0, y1 - y0)
        return result


def _px(x_mm: float, y_mm: float) -> tuple[int, int]:
    return (round((x_mm + MARKER_CENTRE) * PX_PER_MM), round((y_mm + MARKER_CENTRE) * PX_PER_MM))


# ---------------------------------------------------------------------------------------------------
# The page


def read_page(image: np.ndarray, *, session_id: int, layouts: Mapping[int, FormLayout]) -> PageRead:
    """Read one page image (greyscale or BGR uint8) of a session whose layouts are given by group id.

    Raises ``ScanError`` (with a message for the user) for a page without a readable QR code or markers,
    a page of another session or group, a forged or outdated code, or a table that cannot be aligned.
    """
    grey = _grey(image)
    text, qr_corners = decode_qr(grey)
    payload = payload_parse(text)
    layout = _layout_for(payload, session_id=session_id, layouts=layouts)
    payload_verify(payload, layout)
    page = layout.pages[payload.page - 1]
    markers = find_markers(grey, qr_corners=qr_corners, layout=layout, page=page)
    canonical = normalise(grey, markers, layout)
    darkness = _darkness(canonical)
    cells, signature, alignment = _read_boxes(darkness, page)
    if alignment < MIN_ALIGNMENT:
        raise ScanError(
            _("The boxes of this page cannot be aligned (a folded or curled sheet?). Scan it again, flat."),
            code="misaligned",
        )
    return PageRead(
        session_id=payload.session_id,
        group_id=payload.group_id,
        page=payload.page,
        pages=payload.pages,
        cells=tuple(cells),
        digest=page_digest(canonical),
        signature=signature,
        alignment=alignment,
        image=canonical,
    )


def _grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY if image.shape[2] == 3 else cv2.COLOR_BGRA2GRAY)
    if image.dtype != np.uint8:
        raise ValueError("page images are 8-bit")
    return np.ascontiguousarray(image)


def _layout_for(payload: PagePayload, *, session_id: int, layouts: Mapping[int, FormLayout]) -> FormLayout:
    if payload.session_id != session_id:
        raise ScanError(
            _("This page belongs to another review session: upload it to its own session."),
            code="wrong_session",
        )
    layout = layouts.get(payload.group_id)
    if layout is None:
        raise ScanError(
            _("This page's evaluator group is not part of this session's scheme any more."),
            code="unknown_group",
        )
    return layout


def page_digest(canonical: np.ndarray) -> str:
    return hashlib.sha256(b"%dx%d:" % canonical.shape[:2] + canonical.tobytes()).hexdigest()


# ---------------------------------------------------------------------------------------------------
# QR code


def decode_qr(grey: np.ndarray) -> tuple[str, np.ndarray]:
    """The text of the page's QR code and its corners (top-left, top-right, bottom-right, bottom-left)."""
    long_side = max(grey.shape)
    attempts = [grey]
    if long_side > 2600:  # a phone photo: try a reduced copy first, it is faster and as good
        factor = 2000 / long_side
        attempts.insert(0, cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA))
    if long_side <= 3000:  # a small or blurred code: zxing finds it more often in an enlarged copy
        attempts.append(cv2.resize(grey, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC))
    for attempt in attempts:
        found = zxingcpp.read_barcodes(attempt, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False)
        ours = [b for b in found if b.text.startswith("SZ.")] or found
        if ours:
            barcode = ours[0]
            p = barcode.position
            corners = np.array(
                [[pt.x, pt.y] for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)],
                dtype=np.float64,
            )
            return barcode.text, corners * (grey.shape[1] / attempt.shape[1])
    raise ScanError(
        _("No QR code was found on this page: scan the whole sheet, flat and in focus."), code="no_qr"
    )


# ---------------------------------------------------------------------------------------------------
# Markers and the canonical page


def _marker_frame(layout: FormLayout) -> np.ndarray:
    span_x, span_y = layout.span
    return np.array([[0, 0], [span_x, 0], [0, span_y], [span_x, span_y]], dtype=np.float64)


def _qr_frame(page: Page) -> np.ndarray:
    q = page.qr
    return np.array(
        [[q.x, q.y], [q.x + q.w, q.y], [q.x + q.w, q.y + q.h], [q.x, q.y + q.h]], dtype=np.float64
    )


def _no_markers() -> ScanError:
    return ScanError(
        _(
            "The four black corner squares were not all found on this page: scan the whole sheet, "
            "without cutting off or covering a corner."
        ),
        code="no_markers",
    )


def find_markers(grey: np.ndarray, *, qr_corners: np.ndarray, layout: FormLayout, page: Page) -> np.ndarray:
    """The four marker centres in ``grey`` (top-left, top-right, bottom-left, bottom-right of the page)."""
    qr_side = float(np.mean(np.linalg.norm(np.roll(qr_corners, -1, axis=0) - qr_corners, axis=1)))
    scale = qr_side / QR_SIZE  # px per mm in grey
    if scale < 2.0:
        raise ScanError(
            _("The page is too small in the image: take the photo closer or scan at 150 dpi or more."),
            code="resolution",
        )
    factor = min(1.0, 3.0 / scale)  # work at about 3 px/mm
    small = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else grey
    s = scale * factor
    norm = _normalised(small, kernel=_odd(14 * s))
    dark = (norm < 0.55).astype(np.uint8)
    # Every contour, holes included: a photo's dark surroundings enclose the sheet, and the sheet the markers.
    contours, _hierarchy = cv2.findContours(dark, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    expected = (MARKER_SIZE * s) ** 2
    candidates = []
    for contour in contours:
        area = cv2.contourArea(contour)
        if not 0.45 * expected <= area <= 2.2 * expected:
            continue
        (cx, cy), (w, h), _angle = cv2.minAreaRect(contour)
        if min(w, h) <= 0 or not 0.7 <= w / h <= 1.43 or area / (w * h) < 0.8:
            continue
        x, y, bw, bh = cv2.boundingRect(contour)
        core = dark[y + bh // 4 : y + bh - bh // 4, x + bw // 4 : x + bw - bw // 4]
        if core.size == 0 or core.mean() < 0.9:  # solid, not the outline of a box
            continue
        if not _quiet_around(dark, cx, cy, MARKER_SIZE * s):  # a filled box in the table is no marker
            continue
        candidates.append((cx, cy))
    if len(candidates) < 4:
        raise _no_markers()
    points = np.array(candidates, dtype=np.float64)
    qr_small = qr_corners * factor
    frame = _marker_frame(layout)
    chosen = None
    for pick in (_predicted(points, qr_small, page, frame), _extremes(points, qr_small)):
        if pick is not None and _consistent(pick, qr_small, page, frame, s):
            chosen = pick
            break
    if chosen is None:
        raise _no_markers()
    refined = np.array([_refine_centre(grey, p / factor, scale) for p in chosen])
    if not _consistent(refined, qr_corners, page, frame, scale):
        raise _no_markers()
    return refined


@lru_cache(maxsize=8)
def _annulus(size: int) -> tuple[np.ndarray, int]:
    """A ring between 0.85 and 1.3 marker sides from the centre: white around a real marker."""
    reach = round(1.3 * size)
    ys, xs = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    distance = np.hypot(xs, ys)
    return (distance >= 0.85 * size) & (distance <= reach), reach


def _quiet_around(dark: np.ndarray, cx: float, cy: float, side: float) -> bool:
    ring, reach = _annulus(max(4, round(side)))
    x, y = round(cx), round(cy)
    if x - reach < 0 or y - reach < 0 or x + reach >= dark.shape[1] or y + reach >= dark.shape[0]:
        return False
    window = dark[y - reach : y + reach + 1, x - reach : x + reach + 1]
    return float(window[ring].mean()) < 0.04


def _predicted(points: np.ndarray, qr: np.ndarray, page: Page, frame: np.ndarray) -> np.ndarray | None:
    """Each marker where the QR code's own perspective puts it, when a candidate lies close to it."""
    homography = cv2.getPerspectiveTransform(_qr_frame(page).astype(np.float32), qr.astype(np.float32))
    expected = cv2.perspectiveTransform(frame.reshape(-1, 1, 2), homography).reshape(-1, 2)
    radius = 0.12 * float(np.linalg.norm(expected[3] - expected[0]))
    chosen = []
    for target in expected:
        distances = np.linalg.norm(points - target, axis=1)
        best = int(np.argmin(distances))
        if distances[best] > radius:
            return None
        chosen.append(points[best])
    return np.array(chosen)


def _extremes(points: np.ndarray, qr: np.ndarray) -> np.ndarray:
    """The outermost candidates towards each page corner, in the page's own orientation (from the QR code)."""
    right = qr[1] - qr[0]
    angle = np.arctan2(right[1], right[0])
    c, s = np.cos(-angle), np.sin(-angle)
    upright = points @ np.array([[c, s], [-s, c]])
    x, y = upright[:, 0], upright[:, 1]
    order = [np.argmin(x + y), np.argmax(x - y), np.argmin(x - y), np.argmax(x + y)]
    return points[order]


def _consistent(markers: np.ndarray, qr: np.ndarray, page: Page, frame: np.ndarray, scale: float) -> bool:
    """The homography of these markers puts the QR code where zxing saw it (within 2.5 mm)."""
    if len({(round(p[0]), round(p[1])) for p in markers}) < 4:
        return False
    homography = cv2.getPerspectiveTransform(frame.astype(np.float32), markers.astype(np.float32))
    mapped = cv2.perspectiveTransform(_qr_frame(page).reshape(-1, 1, 2), homography).reshape(-1, 2)
    return float(np.max(np.linalg.norm(mapped - qr, axis=1))) < 2.5 * scale


def _refine_centre(grey: np.ndarray, centre: np.ndarray, scale: float) -> np.ndarray:
    """The centroid of the dark blob around ``centre`` at full resolution (Otsu in a small window)."""
    half = round(MARKER_SIZE * 0.95 * scale)
    x, y = round(float(centre[0])), round(float(centre[1]))
    x0, y0 = max(0, x - half), max(0, y - half)
    window = grey[y0 : y + half + 1, x0 : x + half + 1]
    if window.size == 0:
        return centre
    _t, binary = cv2.threshold(window, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, _labels, stats, centroids = cv2.connectedComponentsWithStats(binary)
    if count < 2:
        return centre
    local = centre - (x0, y0)
    best, best_d = None, None
    for label in range(1, count):
        if stats[label, cv2.CC_STAT_AREA] < 0.3 * (MARKER_SIZE * scale) ** 2:
            continue
        d = float(np.linalg.norm(centroids[label] - local))
        if best_d is None or d < best_d:
            best, best_d = label, d
    if best is None or best_d > MARKER_SIZE * scale:
        return centre
    return centroids[best] + (x0, y0)


def normalise(grey: np.ndarray, markers: np.ndarray, layout: FormLayout) -> np.ndarray:
    """The page warped onto the canonical frame: the paper at PX_PER_MM, markers where the layout has them."""
    width, height = layout.paper_size
    frame = _marker_frame(layout)
    homography = cv2.getPerspectiveTransform(frame.astype(np.float32), markers.astype(np.float32))
    side = np.linalg.norm(markers[1] - markers[0]) / layout.span[0]  # px per mm in grey
    if side > 1.4 * PX_PER_MM:  # reduce first, so the warp does not alias a high-resolution photo
        factor = 1.2 * PX_PER_MM / side
        grey = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        homography = np.diag([factor, factor, 1.0]) @ homography
    to_mm = np.array(
        [[1 / PX_PER_MM, 0, -MARKER_CENTRE], [0, 1 / PX_PER_MM, -MARKER_CENTRE], [0, 0, 1]], dtype=np.float64
    )
    size = (round(width * PX_PER_MM), round(height * PX_PER_MM))
    return cv2.warpPerspective(
        grey,
        homography @ to_mm,
        size,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


def _odd(value: float) -> int:
    return int(value) // 2 * 2 + 1


def _normalised(grey: np.ndarray, *, kernel: int) -> np.ndarray:
    """Each pixel over the local paper brightness (the brightest nearby, smoothed): 1 is paper, 0 black."""
    background = cv2.dilate(grey, np.ones((kernel, kernel), np.uint8))
    background = cv2.blur(background, (kernel, kernel)).astype(np.float32)
    return grey.astype(np.float32) / np.maximum(background, 1.0)


def _darkness(canonical: np.ndarray) -> np.ndarray:
    return np.clip(1.0 - _normalised(canonical, kernel=_odd(9 * PX_PER_MM)), 0.0, 1.0)


# ---------------------------------------------------------------------------------------------------
# Boxes


@dataclass(frozen=True)
class _BoxInk:
    ink: float
    main: float  # share of the main diagonal inked
    anti: float  # share of the other diagonal inked
    sides: float  # ink between the diagonals (near the middle of each side): a cross leaves it white

    @property
    def state(self) -> str:
        if self.ink < MARK_MIN:
            return "grey" if self.ink > EMPTY_MAX else "empty"
        if min(self.main, self.anti) >= CROSS_COVERAGE and self.sides < CROSS_SIDES_MAX:
            return "cross"
        return "heavy" if self.ink >= HEAVY_MIN else "mark"
        if self.ink > EMPTY_MAX:
            return "grey"
        return "empty"

    @property
    def certainty(self) -> float:
        state = self.state
        if state == "empty":
            return 1.0 - 0.5 * self.ink / EMPTY_MAX
        if state == "grey":
            return 0.0
        certainty = 0.5 + 0.5 * min(1.0, (self.ink - MARK_MIN) / MARK_MIN)
        if state == "mark" and min(self.main, self.anti) >= CROSS_LIKE:
            certainty = min(certainty, 0.6)  # nearly a cross
        return certainty


def _ring_template(size: int, border: int) -> np.ndarray:
    template = np.zeros((size, size), np.float32)
    template[:border, :] = template[-border:, :] = template[:, :border] = template[:, -border:] = 1.0
    return template


@lru_cache(maxsize=8)
def _sides_mask(n: int) -> np.ndarray:
    i, j = np.mgrid[0:n, 0:n]
    return (np.abs(i - j) > 0.3 * n) & (np.abs(i + j - (n - 1)) > 0.3 * n)


@lru_cache(maxsize=8)
def _diagonal_lines(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel indices along candidate lines near each diagonal of an n × n square: shifted up to 0.6 mm
    and tilted a little either way (a hand-drawn cross is never exact). Each is (lines, n, 3)."""
    reach = round(0.6 * PX_PER_MM)
    rows = np.arange(n, dtype=np.float64)
    centre = (n - 1) / 2
    main, anti = [], []
    for tilt in (-0.12, 0.0, 0.12):
        for shift in range(-reach, reach + 1):
            main.append(centre + (rows - centre) * (1 + tilt) + shift)
            anti.append(centre - (rows - centre) * (1 + tilt) + shift)
    widen = np.array([-1, 0, 1])
    to_index = lambda cols: np.clip(np.round(np.array(cols))[:, :, None] + widen, 0, n - 1).astype(np.intp)  # noqa: E731
    row_index = np.broadcast_to(np.arange(n)[None, :, None], (len(main), n, len(widen)))
    return row_index, to_index(main), to_index(anti)


def _shape(ink: np.ndarray) -> tuple[float, float, float]:
    """How fully the best line near each diagonal is inked, and the mean ink between the diagonals."""
    n = ink.shape[0]
    rows, main, anti = _diagonal_lines(n)
    inked = ink > 0.5
    on_main = float(inked[rows, main].any(axis=2).mean(axis=1).max())
    on_anti = float(inked[rows, anti].any(axis=2).mean(axis=1).max())
    return on_main, on_anti, float(ink[_sides_mask(n)].mean())


def _read_boxes(darkness: np.ndarray, page: Page) -> tuple[list[CellRead], bytes, float]:
    soft = np.clip((darkness - DARK_FLOOR) / (DARK_FULL - DARK_FLOOR), 0.0, 1.0)
    search = round(ALIGN_SEARCH * PX_PER_MM)
    by_item: dict[tuple[int, int], list] = {}
    for box in page.boxes:
        by_item.setdefault(box.key, []).append(box)
    cells: list[CellRead] = []
    signature = bytearray()
    scores: list[float] = []
    for key in page.keys:
        boxes = by_item[key]
        size = round(boxes[0].rect.w * PX_PER_MM)
        template = _ring_template(size, max(2, round(0.45 * PX_PER_MM)))
        offsets, weights = [], []
        for box in boxes:
            x, y = _px(box.rect.x, box.rect.y)
            patch = darkness[y - search : y + size + search, x - search : x + size + search]
            if patch.shape != (size + 2 * search, size + 2 * search):
                offsets.append((0, 0))
                weights.append(0.0)
                continue
            match = cv2.matchTemplate(patch, template, cv2.TM_CCOEFF_NORMED)
            _mn, best, _mnl, (dx, dy) = cv2.minMaxLoc(match)
            offsets.append((dx - search, dy - search))
            weights.append(best)
        good = [o for o, w in zip(offsets, weights, strict=True) if w >= MATCH_MIN]
        dx = int(np.median([o[0] for o in good])) if good else 0
        dy = int(np.median([o[1] for o in good])) if good else 0
        # Found, and not pushed to the edge of the search: the boxes are where the layout says.
        aligned = len(good) >= 2 and max(abs(dx), abs(dy)) < search
        scores.append(aligned)
        inset = round(BOX_INSET * PX_PER_MM)
        reads = []
        for box in boxes:
            x, y = _px(box.rect.x, box.rect.y)
            inside = soft[y + dy + inset : y + dy + size - inset, x + dx + inset : x + dx + size - inset]
            reads.append(_BoxInk(float(inside.mean()), *_shape(inside)))
            small = cv2.resize(inside, (4, 4), interpolation=cv2.INTER_AREA)
            signature += bytes(np.round(small * 255).astype(np.uint8).ravel())
        cell = _decide(key, boxes, reads)
        if not aligned:  # whatever the ink says, it may be the wrong box's: a clerk looks
            cell = CellRead(cell.report_id, cell.criterion_id, None, Flag.UNCERTAIN, 0.0, cell.inks)
        cells.append(cell)
    alignment = float(np.mean(scores)) if scores else 0.0
    return cells, bytes(signature), alignment


def _decide(key: tuple[int, int], boxes: list, reads: list[_BoxInk]) -> CellRead:
    states = [r.state for r in reads]
    inks = tuple(round(r.ink, 3) for r in reads)
    certainty = min(r.certainty for r in reads)
    marked = [i for i, s in enumerate(states) if s in ("mark", "heavy")]

    def cell(grade=None, flag=None, confidence=certainty) -> CellRead:
        return CellRead(key[0], key[1], grade, flag, round(float(confidence), 3), inks)

    if "cross" in states:
        return cell(flag=Flag.CROSSED)
    if "grey" in states:
        return cell(flag=Flag.UNCERTAIN, confidence=0.0)
    if not marked:
        return cell(flag=Flag.BLANK)
    if len(marked) == 1:
        return cell(grade=boxes[marked[0]].grade.value)
    heavy = [i for i in marked if states[i] == "heavy"]
    return cell(flag=Flag.CROSSED if len(heavy) == 1 else Flag.DOUBLE)


# ---------------------------------------------------------------------------------------------------
# Duplicates


def same_sheet(first: bytes, second: bytes) -> bool:
    """Whether two page signatures come from one sheet scanned twice (not merely the same marks)."""
    if len(first) != len(second) or not first:
        return False
    a = np.frombuffer(first, np.uint8).reshape(-1, 16).astype(np.float32) / 255
    b = np.frombuffer(second, np.uint8).reshape(-1, 16).astype(np.float32) / 255
    inked = (a.mean(axis=1) > EMPTY_MAX) | (b.mean(axis=1) > EMPTY_MAX)
    if not inked.any():
        return False  # two blank sheets look alike whoever handed them in: only the digest can tell
    difference = np.abs(a[inked] - b[inked]).mean()
    return bool(difference < SAME_SHEET_DIFFERENCE)


SAME_SHEET_DIFFERENCE = 0.11  # same sheet rescanned: < 0.08; two sheets with the same ticks: > 0.15
