"""The hand-over's documents as PDF: the rectification notice (整改通知单) and its problem list (问题清单).

Same approach as the other documents of the app (and without importing scoring): an HTML template rendered
by WeasyPrint on A4 portrait, every text in a CJK font named explicitly (also in the page margin boxes, which
do not inherit the body's font), nothing fetched from outside. A session's notices print as one PDF, each
notice and each problem list starting on a new page.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from reviews.cycles.models import Session
from reviews.documents import FONTS, css_string, render_pdf
from reviews.drafts.documents import page_counter_css
from reviews.rectification.models import RectificationItem, RectificationNotice

# The body of an official notice reads in a serif (宋体-like) face; headings and tables in the sans.
BODY_FONTS = '"Noto Serif CJK SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", serif'

NOTICE = "notice"
PROBLEMS = "problems"


def long_date(day) -> str:
    """A date as printed on a document: 2026年1月20日 in Chinese."""
    return date_format(day, "DATE_FORMAT")


def _items_prefetch() -> Prefetch:
    return Prefetch(
        "items",
        queryset=RectificationItem.objects.select_related("category").order_by("number"),
        to_attr="printed_items",
    )


def _document(notice: RectificationNotice) -> dict:
    """What one notice prints: its items, the commitments given, the lead paragraph."""
    items = notice.printed_items
    session = notice.session
    return {
        "notice": notice,
        "items": items,
        "commitments": [i for i in items if i.commit_analyse or i.commit_correct or i.commit_establish],
        "addressee": _("%(organisation)s:") % {"organisation": notice.organisation.name},
        "lead": _(
            "Following the review at %(session)s (%(date)s), the problems found in your organisation are "
            "listed below. Study them carefully, work out the rectification measures, name those "
            "responsible and the deadlines, complete the rectification on time, and report on it before "
            "the deadline."
        )
        % {"session": session.title, "date": long_date(session.date)},
        "issued_on": long_date(notice.issued_on),
    }


def notices_html(
    notices: list[RectificationNotice], parts: tuple[str, ...], *, title: str, header: str
) -> str:
    """The notices (with `printed_items` loaded) as one HTML document; `parts` are NOTICE and/or PROBLEMS."""
    return render_to_string(
        "reviews/handover/notices_pdf.html",
        {
            "fonts": mark_safe(FONTS),
            "body_fonts": mark_safe(BODY_FONTS),
            "page_counter": page_counter_css(),
            "header": mark_safe(css_string(header)),
            "lang": translation.get_language() or settings.LANGUAGE_CODE,
            "doc_title": title,
            "docs": [_document(n) for n in notices],
            "show_notice": NOTICE in parts,
            "show_problems": PROBLEMS in parts,
        },
    )


def _loaded(notice: RectificationNotice) -> RectificationNotice:
    return (
        RectificationNotice.objects.select_related("session", "organisation")
        .prefetch_related(_items_prefetch())
        .get(pk=notice.pk)
    )


def notice_pdf(notice: RectificationNotice) -> bytes:
    """整改通知单: the reference, the addressee, the items, 理改立, the issuer and seal, the receipt line."""
    notice = _loaded(notice)
    title = _("Rectification notice")
    return render_pdf(
        notices_html([notice], (NOTICE,), title=title, header=f"{notice.session.title} · {title}")
    )


def problem_list_pdf(notice: RectificationNotice) -> bytes:
    """问题清单: the organisation's problems handed over, by category, source and deadline."""
    notice = _loaded(notice)
    title = _("List of problems")
    return render_pdf(
        notices_html([notice], (PROBLEMS,), title=title, header=f"{notice.session.title} · {title}")
    )


def session_notices(session: Session) -> list[RectificationNotice]:
    """Every notice of the session with its items, in speaking order (then number): three queries."""
    order = dict(session.reports.values_list("organisation_id", "order"))
    notices = list(
        RectificationNotice.objects.filter(session=session)
        .select_related("session", "organisation")
        .prefetch_related(_items_prefetch())
    )
    notices.sort(key=lambda n: (order.get(n.organisation_id, 0), n.number))
    return notices


def session_notices_pdf(session: Session) -> bytes:
    """All notices of a session to print at once: for each, the notice then its problem list."""
    what = _("Rectification notices")
    return render_pdf(
        notices_html(
            session_notices(session),
            (NOTICE, PROBLEMS),
            title=f"{session.title} · {what}",
            header=session.title,
        )
    )
