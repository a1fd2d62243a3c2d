"""The hand-over's documents as PDF: the rectification notice (整改通知单) and its problem list (问题清单).

Same approach as the other documents of the app (and without importing scoring): an HTML template rendered
by WeasyPrint on A4 portrait, every text in a CJK font named explicitly (also in the page margin boxes, which
do not inherit the body's font), nothing fetched from outside. A session's notices print as one PDF, each
notice and each problem list starting on a new page. A cycle's notices (every organisation, ~150,000 at
province scale) print as one PDF too, rendered in bounded pieces and joined: see cycle_notices_pdf.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from reviews.cycles.models import Cycle, Session
from reviews.documents import FONTS, css_string, render_pdf, render_pdf_pieces
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


# ---------------------------------------------------------------------------------------------------
# Every notice of a cycle (整改通知书 for every organisation), as one PDF, in bounded pieces
#
# One WeasyPrint render keeps the whole layout of its document in memory, and at province scale a cycle
# has ~150,000 notices: so the notices are rendered a session at a time, NOTICES_PER_RENDER at most per
# render, and the pieces' pages are appended to one PDF with PDFium (pypdfium2; reviews.documents'
# render_pdf_pieces, which the code slips use too). WeasyPrint's time and
# memory are then bounded by one piece, and the whole is linear in the notices. Each piece numbers its own
# pages under its session's title, as the session's PDF does (a session is one piece unless it has more
# than NOTICES_PER_RENDER notices). Measured (bench/ledger.py, 1,000 notices): ~100 ms of CPU a notice;
# peak RSS ~330 MB for WeasyPrint with the CJK fonts, plus the joined PDF PDFium holds until it is saved
# (~15 KB a notice with 50 per piece: each piece embeds its own font subsets, so fewer notices per piece
# make a bigger file; 20 per piece: 30 KB a notice). At province scale write a county at a time
# (`manage.py export_notices --under`).

NOTICES_PER_RENDER = 50


def _cycle_sessions(notices) -> list[Session]:
    """The sessions of these notices, in the order of the tree (a province's before its counties')."""
    return list(
        Session.objects.filter(pk__in=notices.order_by().values("session_id"))
        .select_related("host")
        .order_by("host__path", "date", "pk")
    )


def cycle_notices_pdf(
    cycle: Cycle,
    *,
    notices: QuerySet | None = None,
    out: BinaryIO | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> bytes | None:
    """Every notice of the cycle (or of `notices`, a queryset of them) with its problem list, as one PDF.

    Session by session in the order of the tree, each session's notices in speaking order as in its own
    PDF. Written into `out` (a binary file) when given, else returned as bytes; `progress(done, total)` is
    told the notices rendered after each piece, and (total, total) at the end.
    """
    if notices is None:
        notices = RectificationNotice.objects.filter(session__cycle=cycle)
    total = notices.count()
    if progress is not None:
        progress(0, total)
    what = _("Rectification notices")

    def pieces():
        for session in _cycle_sessions(notices):
            order = dict(session.reports.values_list("organisation_id", "order"))
            keys = sorted(
                notices.filter(session=session).values_list("pk", "organisation_id", "number"),
                key=lambda key: (order.get(key[1], 0), key[2]),
            )
            for start in range(0, len(keys), NOTICES_PER_RENDER):
                ids = [key[0] for key in keys[start : start + NOTICES_PER_RENDER]]
                loaded = {
                    notice.pk: notice
                    for notice in RectificationNotice.objects.filter(pk__in=ids)
                    .select_related("session", "organisation")
                    .prefetch_related(_items_prefetch())
                }
                html = notices_html(
                    [loaded[pk] for pk in ids],
                    (NOTICE, PROBLEMS),
                    title=f"{cycle.name} · {what}",
                    header=session.title,
                )
                yield html, len(ids)

    done = 0

    def rendered(count: int) -> None:
        nonlocal done
        done = count
        if progress is not None and done < total:
            progress(done, total)

    pdf = render_pdf_pieces(pieces(), out=out, rendered=rendered)
    if progress is not None:
        progress(done, max(done, total))
    return pdf
