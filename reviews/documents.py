"""Printed documents of the reviews app, as PDF: the poster of a call for topics (点题征集海报).

The same approach as scoring's documents, without importing scoring (reviews never does): an HTML template
rendered by WeasyPrint, every text in a CJK font (also in the page margin boxes), the QR code as inline SVG,
nothing fetched from outside (meeting rooms and village offices are often offline). A long document is
rendered in bounded pieces joined into one PDF (render_pdf_pieces), for reviews and for scoring alike.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import BinaryIO

import segno
from django.conf import settings
from weasyprint import HTML
from weasyprint.urls import URLFetcher

FONTS = '"Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei", sans-serif'
MONO_FONTS = '"Noto Sans Mono CJK SC", "DejaVu Sans Mono", "Liberation Mono", monospace'


def render_pdf(html: str) -> bytes:
    """HTML → PDF bytes; only data: URLs may be fetched (no network, no files)."""
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).write_pdf()


def render_pdf_pieces(
    pieces: Iterable[tuple[str, int]],
    *,
    out: BinaryIO | None = None,
    rendered: Callable[[int], None] | None = None,
) -> bytes | None:
    """HTML documents rendered one at a time and joined into one PDF, so memory is bounded by a piece.

    One WeasyPrint render keeps the whole layout of its document in memory (~2 MB a page of code slips): a
    long document is cut into pieces, `pieces` yields each as (HTML, how many items it holds: notices,
    slips), taken one at a time (a generator builds the next piece only when the last is rendered), and
    each piece's pages are appended with PDFium (pypdfium2). The first piece is the base of the joined
    PDF, so its document information (the title a viewer shows) stays; every piece embeds its own font
    subsets. `rendered(done)` is told the items rendered so far after each piece. Written into `out` (a
    binary file) when given, and None returned, so the whole PDF is not held twice; else returned as
    bytes. No piece at all gives a PDF of no page.
    """
    import pypdfium2 as pdfium

    merged = None
    done = 0
    try:
        for html, count in pieces:
            pdf = render_pdf(html)
            if merged is None:
                merged = pdfium.PdfDocument(pdf)
            else:
                piece = pdfium.PdfDocument(pdf)
                try:
                    merged.import_pages(piece)
                finally:
                    piece.close()
            del pdf
            done += count
            if rendered is not None:
                rendered(done)
        if merged is None:
            merged = pdfium.PdfDocument.new()
        target = out if out is not None else io.BytesIO()
        merged.save(target)
    finally:
        if merged is not None:
            merged.close()
    return None if out is not None else target.getvalue()


def css_string(text: str) -> str:
    """Text as a CSS string literal, safe inside a <style> element (for the page margin boxes)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
    return '"' + escaped + '"'


def qr_svg(url: str, css_class: str = "qr-code") -> str:
    """A vector QR code: one SVG path, no quiet zone (the white around it on the page is the quiet zone)."""
    return segno.make(url, error="m").svg_inline(border=0, omitsize=True, svgclass=css_class)
