"""The machine-readable paper 测评表 of one evaluator group, as PDF (WeasyPrint, like every printed document).

Every element is placed absolutely, in millimetres, from ``layout_build``: the same rectangles the reader
looks at. Four solid corner squares frame each page; a QR code at the top right carries only the session,
the group, page n of m, the layout version and a signature (``payload.py``).

No form number. Today's double-entry form has a "form number" box. On a scanned form it is dropped:
a printed number is either the same on every form (useless) or different on each (a form handed to a
known delegate could then be traced to the ballot it became), and a box for a clerk to stamp adds a
handwritten field the machine cannot read and a step that orders the ballots. Every form of a group is
therefore byte-for-byte identical; a scanned sheet is known by its image digest (duplicates), and the
pages of a multi-page form are joined by their order in the scanned batch (page 1 starts a form).
"""

from __future__ import annotations

import segno
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from scoring.documents import FONTS, render_pdf

from .layout import MARKER_CENTRE, MARKER_MARGIN, MARKER_SIZE, FormLayout, Rect, form_layout
from .payload import payload_make


def _style(rect: Rect) -> str:
    x, y = rect.x + MARKER_CENTRE, rect.y + MARKER_CENTRE
    return f"left:{x:.3f}mm;top:{y:.3f}mm;width:{rect.w:.3f}mm;height:{rect.h:.3f}mm"


def _qr_svg(text: str) -> str:
    """The page's QR code as one vector path, no quiet zone (the layout keeps it white around)."""
    return segno.make(text, error="m").svg_inline(border=0, omitsize=True, svgclass="qr-code")


def marker_rects(layout: FormLayout) -> list[Rect]:
    """The four corner squares, in the marker frame (their centres are the frame's corners)."""
    span_x, span_y = layout.span
    half = MARKER_SIZE / 2
    return [Rect(cx - half, cy - half, MARKER_SIZE, MARKER_SIZE) for cy in (0, span_y) for cx in (0, span_x)]


def scan_form_html(layout: FormLayout) -> str:
    width, height = layout.paper_size
    pages = [
        {
            "markers": [_style(rect) for rect in marker_rects(layout)],
            "qr": _style(page.qr),
            "qr_svg": mark_safe(_qr_svg(payload_make(layout, page.number))),
            "texts": [{"style": _style(t.rect), "text": t.text, "css": t.css} for t in page.texts],
            "lines": [_style(rect) for rect in page.lines],
            "shaded": [_style(rect) for rect in page.shaded],
            "boxes": [_style(box.rect) for box in page.boxes],
        }
        for page in layout.pages
    ]
    return render_to_string(
        "scoring/paper/scan_form.html",
        {
            "fonts": mark_safe(FONTS),
            "lang": translation.get_language() or "zh-hans",
            "doc_title": layout.spec.title,
            "landscape": layout.landscape,
            "width": width,
            "height": height,
            "pages": pages,
            "marker_margin": MARKER_MARGIN,
        },
    )


def scan_form_pdf(layout: FormLayout) -> bytes:
    """The form as PDF: one A4 page per layout page."""
    return render_pdf(scan_form_html(layout))


def group_scan_form_pdf(session, group) -> bytes:
    """The machine-readable form of one group of a session (refused for a points scheme)."""
    return scan_form_pdf(form_layout(session, group))
