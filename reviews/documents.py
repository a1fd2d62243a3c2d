"""Printed documents of the reviews app, as PDF: the poster of a call for topics (点题征集海报).

The same approach as scoring's documents, without importing scoring (reviews never does): an HTML template
rendered by WeasyPrint, every text in a CJK font (also in the page margin boxes), the QR code as inline SVG,
nothing fetched from outside (meeting rooms and village offices are often offline).
"""

from __future__ import annotations

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


def css_string(text: str) -> str:
    """Text as a CSS string literal, safe inside a <style> element (for the page margin boxes)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
    return '"' + escaped + '"'


def qr_svg(url: str, css_class: str = "qr-code") -> str:
    """A vector QR code: one SVG path, no quiet zone (the white around it on the page is the quiet zone)."""
    return segno.make(url, error="m").svg_inline(border=0, omitsize=True, svgclass=css_class)
