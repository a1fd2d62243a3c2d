"""Printed documents of scoring, as PDF: code slips, paper ballots (测评表), the results bulletin (结果通报).

HTML templates under ``templates/scoring/documents/`` rendered by WeasyPrint. Every text is set in a CJK
font (``FONTS``, also in the page-number boxes), QR codes are inline SVG paths (vector, fast to render),
and nothing is fetched from outside: meeting rooms are often offline.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from reviews.cycles.models import Session

FONTS = '"Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei", sans-serif'
MONO_FONTS = '"Noto Sans Mono CJK SC", "DejaVu Sans Mono", "Liberation Mono", monospace'


# ---------------------------------------------------------------------------------------------------
# Rendering


def render_pdf(html: str) -> bytes:
    """HTML → PDF bytes; only data: URLs may be fetched (no network, no files)."""
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).write_pdf()


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_counter_css() -> SafeString:
    """The CSS ``content`` of the page-number box, from the translated 'Page %(page)s of %(pages)s'."""
    text = _("Page %(page)s of %(pages)s")
    parts = []
    for part in re.split(r"(%\(pages?\)s)", text):
        if part == "%(page)s":
            parts.append("counter(page)")
        elif part == "%(pages)s":
            parts.append("counter(pages)")
        elif part:
            parts.append(_css_string(part))
    return mark_safe(" ".join(parts))


def document_context(**extra) -> dict:
    return {
        "fonts": mark_safe(FONTS),
        "mono_fonts": mark_safe(MONO_FONTS),
        "page_counter": page_counter_css(),
        "lang": translation.get_language() or settings.LANGUAGE_CODE,
        **extra,
    }


def session_date(session: Session) -> str:
    return date_format(session.date, "DATE_FORMAT")
