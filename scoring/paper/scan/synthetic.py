"""Synthetic filled-in forms with their ground truth, for the tests and ``bench/scan.py``.

The real form PDF (``form.scan_form_pdf``) is rasterised, marks are drawn into its boxes the way people
make them — ticks, filled boxes, light pencil ticks, crosses, two marks, a filled-out mistake beside a
new tick, nothing — and the sheet is then put through a scanner or a phone camera: rotation up to ±5°,
perspective, blur, noise, a shadow, JPEG compression. Everything is deterministic by seed.

The truth of an item is what a careful clerk would decide: the grade, or ``blank``, ``double`` or
``crossed`` (a cross, or a heavy fill beside another mark: which one the delegate meant is not for the
machine to guess).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from scoring import tally

from .form import scan_form_pdf
from .layout import GRADES, MARKER_CENTRE, FormLayout, Rect
from .pages import pdf_pages

# How an item is marked, with its weight in a mixed batch.
MARK_KINDS = {
    "tick": 50,
    "fill": 20,
    "light": 8,
    "blank": 5,
    "double": 6,
    "crossed": 6,
    "cross": 3,
    "messy": 2,  # a tick that strays over the box's border
}
TRUTH = {"blank": "blank", "double": "double", "crossed": "crossed", "cross": "crossed", "faint": "uncertain"}
DISTORTIONS = ("clean", "scanner", "phone")


@dataclass(frozen=True)
class SyntheticPage:
    image: np.ndarray  # greyscale uint8, as a scanner or a camera delivers it
    paper: np.ndarray  # the filled-in sheet before the scanner or camera (``distort`` it again to rescan)
    page: int  # 1-based page of the form
    truth: dict[tuple[int, int], str]  # item → grade value, or "blank" / "double" / "crossed"
    kinds: dict[tuple[int, int], str]  # item → how it was marked (a MARK_KINDS key)
    distortion: str


@lru_cache(maxsize=16)
def _clean_pages(layout: FormLayout, dpi: int) -> tuple[np.ndarray, ...]:
    return tuple(pdf_pages(scan_form_pdf(layout), dpi=dpi))


def clean_pages(layout: FormLayout, *, dpi: int = 150) -> tuple[np.ndarray, ...]:
    """The printed, unmarked pages (cached: the PDF is rendered once per layout and resolution)."""
    return _clean_pages(layout, dpi)


def choose_kinds(layout: FormLayout, rng: np.random.Generator, kinds: dict[str, int] | None = None) -> dict:
    weights = kinds or MARK_KINDS
    names = list(weights)
    p = np.array([weights[n] for n in names], dtype=np.float64)
    p /= p.sum()
    return {key: names[int(rng.choice(len(names), p=p))] for key in layout.keys}


def synthetic_form(
    layout: FormLayout,
    *,
    seed: int,
    distortion: str = "phone",
    kinds: dict[tuple[int, int], str] | None = None,
    mix: dict[str, int] | None = None,
    picks: dict[tuple[int, int], int] | None = None,
    dpi: int = 150,
) -> list[SyntheticPage]:
    """All pages of one filled-in form. ``kinds`` fixes how each item is marked (else drawn from ``mix``),
    ``picks`` which grade (0 = 好 … 3 = 差) is marked (else drawn at random)."""
    rng = np.random.default_rng(seed)
    chosen = dict(kinds) if kinds is not None else choose_kinds(layout, rng, mix)
    result = []
    for page, clean in zip(layout.pages, clean_pages(layout, dpi=dpi), strict=True):
        image = clean.copy()
        ink = np.full_like(image, 255)
        truth, page_kinds = {}, {}
        boxes: dict[tuple[int, int], list] = {}
        for box in page.boxes:
            boxes.setdefault(box.key, []).append(box)
        for key in page.keys:
            kind = chosen.get(key, "tick")
            pick = None if picks is None else picks.get(key)
            truth[key] = _mark(ink, [b.rect for b in boxes[key]], kind, rng, dpi, pick=pick)
            page_kinds[key] = kind
        image = np.minimum(image, ink)
        result.append(
            SyntheticPage(
                image=distort(image, rng, distortion),
                paper=image,
                page=page.number,
                truth=truth,
                kinds=page_kinds,
                distortion=distortion,
            )
        )
    return result


# ---------------------------------------------------------------------------------------------------
# Marks


def _to_px(rect: Rect, dpi: int) -> tuple[float, float, float]:
    ppm = dpi / 25.4
    return ((rect.x + MARKER_CENTRE) * ppm, (rect.y + MARKER_CENTRE) * ppm, rect.w * ppm)


def _line(ink, points, rng, dpi, *, shade=None, width_mm=None) -> None:
    ppm = dpi / 25.4
    shade = int(rng.integers(15, 80)) if shade is None else shade
    width = max(1, round((width_mm or rng.uniform(0.35, 0.75)) * ppm))
    pts = np.round(np.array(points) * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(ink, [pts], False, shade, width, cv2.LINE_AA, shift=4)


def _tick(ink, rect, rng, dpi, *, shade=None, width_mm=None, stray=False) -> None:
    x, y, s = _to_px(rect, dpi)
    j = lambda a, b: rng.uniform(a, b)  # noqa: E731
    end = (j(1.05, 1.45), j(-0.45, -0.1)) if stray else (j(0.78, 1.05), j(-0.05, 0.2))
    points = [(j(0.12, 0.3), j(0.42, 0.6)), (j(0.38, 0.52), j(0.78, 0.92)), end]
    _line(ink, [(x + u * s, y + v * s) for u, v in points], rng, dpi, shade=shade, width_mm=width_mm)


def _cross(ink, rect, rng, dpi) -> None:
    x, y, s = _to_px(rect, dpi)
    j = lambda a, b: rng.uniform(a, b)  # noqa: E731
    for (u0, v0), (u1, v1) in (((0.08, 0.08), (0.92, 0.92)), ((0.92, 0.08), (0.08, 0.92))):
        d = 0.1
        a = (x + (u0 + j(-d, d)) * s, y + (v0 + j(-d, d)) * s)
        b = (x + (u1 + j(-d, d)) * s, y + (v1 + j(-d, d)) * s)
        _line(ink, [a, b], rng, dpi, width_mm=rng.uniform(0.45, 0.8))


def _fill(ink, rect, rng, dpi, *, shade=None) -> None:
    x, y, s = _to_px(rect, dpi)
    shade = int(rng.integers(20, 90)) if shade is None else shade
    j = lambda: rng.uniform(-0.06, 0.1)  # noqa: E731
    corners = [(j(), j()), (1 - j(), j()), (1 - j(), 1 - j()), (j(), 1 - j())]
    pts = np.round(np.array([(x + u * s, y + v * s) for u, v in corners]) * 16).astype(np.int32)
    cv2.fillPoly(ink, [pts.reshape(-1, 1, 2)], shade, cv2.LINE_AA, shift=4)
    # A hand-filled box leaves a few paler streaks.
    for _ in range(int(rng.integers(0, 3))):
        v = rng.uniform(0.2, 0.8)
        a, b = (x + 0.15 * s, y + v * s), (x + 0.85 * s, y + (v + rng.uniform(-0.1, 0.1)) * s)
        _line(ink, [a, b], rng, dpi, shade=min(255, shade + 60), width_mm=0.25)


def _mark(ink, rects: list[Rect], kind: str, rng, dpi, pick: int | None = None) -> str:
    """Draw one item's marks; return its truth."""
    n = len(rects)
    drawn = int(rng.integers(n))
    pick = drawn if pick is None else pick
    other = (pick + int(rng.integers(1, n))) % n if n > 1 else pick
    grade = GRADES[pick].value
    if kind == "tick":
        _tick(ink, rects[pick], rng, dpi)
    elif kind == "messy":
        _tick(ink, rects[pick], rng, dpi, stray=True)
    elif kind == "fill":
        _fill(ink, rects[pick], rng, dpi)
    elif kind == "light":
        if rng.random() < 0.5:
            _tick(
                ink, rects[pick], rng, dpi, shade=int(rng.integers(130, 165)), width_mm=rng.uniform(0.3, 0.45)
            )
        else:
            _fill(ink, rects[pick], rng, dpi, shade=int(rng.integers(120, 160)))
    elif kind == "double":
        for index in (pick, other):
            (_tick if rng.random() < 0.7 else _fill)(ink, rects[index], rng, dpi)
    elif kind == "crossed":
        # A choice blacked out (or struck through with a cross) and another box ticked.
        if rng.random() < 0.6:
            _fill(ink, rects[pick], rng, dpi, shade=int(rng.integers(10, 50)))
        else:
            _tick(ink, rects[pick], rng, dpi)
            _cross(ink, rects[pick], rng, dpi)
        _tick(ink, rects[other], rng, dpi)
    elif kind == "cross":
        _cross(ink, rects[pick], rng, dpi)
    elif kind == "faint":  # a smudge or an erased mark: not for the machine to decide (not in MARK_KINDS)
        _tick(ink, rects[pick], rng, dpi, shade=int(rng.integers(200, 215)), width_mm=0.3)
    elif kind != "blank":
        raise ValueError(f"unknown mark kind {kind!r}")
    return TRUTH.get(kind, grade)


# ---------------------------------------------------------------------------------------------------
# Scanner and camera


def distort(image: np.ndarray, rng: np.random.Generator, kind: str) -> np.ndarray:
    """``clean``: as rendered; ``scanner``: slight skew, noise, JPEG; ``phone``: the page on a table,
    rotated up to ±5°, in perspective, shadowed, blurred, noisy and JPEG-compressed."""
    if kind == "clean":
        return image
    if kind not in DISTORTIONS:
        raise ValueError(f"unknown distortion {kind!r}")
    phone = kind == "phone"
    h, w = image.shape
    angle = np.deg2rad(rng.uniform(-5, 5) if phone else rng.uniform(-1.5, 1.5))
    pad = int(0.08 * max(w, h)) if phone else int(0.02 * max(w, h))
    out_w, out_h = w + 2 * pad, h + 2 * pad
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    centre = np.array([w / 2, h / 2])
    c, s = np.cos(angle), np.sin(angle)
    scale = rng.uniform(0.75, 1.0) if phone else 1.0  # the sheet fills less of a photo
    dst = (src - centre) @ np.array([[c, s], [-s, c]]) * scale + (out_w / 2, out_h / 2)
    if phone:
        dst += rng.uniform(-0.03, 0.03, size=(4, 2)) * (w, h)  # perspective: each corner moves on its own
    homography = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    background = int(rng.integers(50, 140)) if phone else 255
    page = cv2.warpPerspective(
        image, homography, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=background
    ).astype(np.float32)
    if phone:
        # A shadow: a ramp of light across the sheet and a soft darker band (computed small, enlarged).
        ys, xs = np.mgrid[0 : out_h // 8 + 1, 0 : out_w // 8 + 1].astype(np.float32)
        theta = rng.uniform(0, 2 * np.pi)
        ramp = xs * np.cos(theta) + ys * np.sin(theta)
        ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
        light = 1.0 - rng.uniform(0.2, 0.5) * ramp
        band = np.exp(-(((ramp - rng.uniform(0.2, 0.8)) / 0.12) ** 2))
        light *= 1.0 - rng.uniform(0.0, 0.2) * band
        light = cv2.resize(light, (out_w, out_h), interpolation=cv2.INTER_LINEAR)
        page *= light
        page *= rng.uniform(0.85, 1.0)  # exposure
    sigma = rng.uniform(0.3, 1.6) if phone else rng.uniform(0.0, 0.6)
    if sigma > 0.05:
        page = cv2.GaussianBlur(page, (0, 0), sigma)
    page += rng.normal(0, rng.uniform(2, 8) if phone else rng.uniform(0, 3), page.shape).astype(np.float32)
    page = np.clip(page, 0, 255).astype(np.uint8)
    quality = int(rng.integers(40, 90)) if phone else int(rng.integers(70, 95))
    ok, encoded = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)


def truth_of(pages: list[SyntheticPage]) -> dict[tuple[int, int], str]:
    return {key: value for page in pages for key, value in page.truth.items()}


def grade_values() -> tuple[str, ...]:
    return tuple(g.value for g in tally.GRADES)
