"""The approved report draft as a printable PDF (述职报告).

Same approach as the other documents, without importing scoring (reviews never does): an HTML template
rendered by WeasyPrint, every text in a CJK font named explicitly (also in the page margin boxes, which do
not inherit the body's font), nothing fetched from outside.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from reviews.drafts.models import Draft, ReviewDecision
from reviews.drafts.services import ordered_items, report_secretary

FONTS = '"Noto Serif CJK SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", serif'
HEADING_FONTS = '"Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei", sans-serif'


def render_pdf(html: str) -> bytes:
    """HTML → PDF bytes; only data: URLs may be fetched (no network, no files)."""
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).write_pdf()


def css_string(text: str) -> str:
    """Text as a CSS string literal, safe inside a <style> element (for the page margin boxes)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
    return '"' + escaped + '"'


def page_counter_css() -> SafeString:
    """The CSS `content` of the page-number box, from the translated 'Page %(page)s of %(pages)s'."""
    parts = []
    for part in re.split(r"(%\(pages?\)s)", _("Page %(page)s of %(pages)s")):
        if part == "%(page)s":
            parts.append("counter(page)")
        elif part == "%(pages)s":
            parts.append("counter(pages)")
        elif part:
            parts.append(css_string(part))
    return mark_safe(" ".join(parts))


HEADING = re.compile(r"^[一二三四五六七八九十]+、")


def paragraphs(text: str) -> list[tuple[bool, str]]:
    """The draft's lines as typed, one paragraph per line, blank lines dropped; (一、…) lines are headings."""
    return [(bool(HEADING.match(line)), line) for line in (raw.strip() for raw in text.splitlines()) if line]


def draft_html(draft: Draft) -> str:
    report = draft.report
    session = report.session
    secretary = report_secretary(report)
    items = ordered_items(session.cycle_id)
    answers = draft.item_answers or {}
    approvals = [
        r for r in draft.reviews.select_related("step", "reviewer") if r.decision == ReviewDecision.APPROVE
    ]
    title = _("Duty report: %(organisation)s") % {"organisation": report.organisation.name}
    return render_to_string(
        "reviews/drafts/document.html",
        {
            "fonts": mark_safe(FONTS),
            "heading_fonts": mark_safe(HEADING_FONTS),
            "page_counter": page_counter_css(),
            "header": mark_safe(css_string(f"{session.title} · {report.organisation.name}")),
            "lang": translation.get_language() or settings.LANGUAGE_CODE,
            "doc_title": title,
            "draft": draft,
            "report": report,
            "session": session,
            "secretary": secretary,
            "session_date": date_format(session.date, "DATE_FORMAT"),
            "paragraphs": paragraphs(draft.text),
            "items": [(item, answers.get(str(item.pk), "")) for item in items],
            "approvals": approvals,
            "printed": date_format(timezone.localdate(), "DATE_FORMAT"),
        },
    )


def draft_pdf(draft: Draft) -> bytes:
    return render_pdf(draft_html(draft))
