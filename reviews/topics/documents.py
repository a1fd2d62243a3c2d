"""The call-for-topics poster (A4 PDF with its QR code)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from reviews.cycles.models import Session
from reviews.documents import FONTS, MONO_FONTS, css_string, qr_svg, render_pdf
from reviews.topics.models import TopicCall


def propose_url(call: TopicCall, base_url: str | None = None) -> str:
    """The public link of a call for topics, as printed and encoded in the QR code."""
    return (base_url or settings.SITE_URL).rstrip("/") + reverse("topics:propose", args=[call.token])


POSTER_NAMES_CHARS = 90  # about two lines: more would push the code onto a second page


def _reporters_text(session: Session) -> str:
    names = [r.organisation.name for r in session.reports.select_related("organisation").order_by("order")]
    shown: list[str] = []
    for name in names:
        if shown and len("、".join([*shown, name])) > POSTER_NAMES_CHARS:
            break
        shown.append(name)
    if len(shown) == len(names):
        return "、".join(names)
    return _("%(names)s and others, %(count)s organisations in all") % {
        "names": "、".join(shown),
        "count": len(names),
    }


def topic_poster_html(
    session: Session, call: TopicCall, *, deadline: str = "", base_url: str | None = None
) -> str:
    url = propose_url(call, base_url)
    return render_to_string(
        "reviews/topics/poster.html",
        {
            "fonts": mark_safe(FONTS),
            "mono_fonts": mark_safe(MONO_FONTS),
            "lang": translation.get_language() or settings.LANGUAGE_CODE,
            "session": session,
            "footer": mark_safe(css_string(session.host.name)),
            "session_date": date_format(session.date, "DATE_FORMAT"),
            "doc_title": _("Call for topics: %(title)s") % {"title": session.title},
            "reporters": _reporters_text(session),
            "url": url,
            "qr": mark_safe(qr_svg(url)),
            "deadline": deadline.strip(),
        },
    )


def topic_poster_pdf(
    session: Session, call: TopicCall, *, deadline: str = "", base_url: str | None = None
) -> bytes:
    """One A4 page: the session, 欢迎为党组织书记述职点题, the QR code and link, the deadline if given."""
    return render_pdf(topic_poster_html(session, call, deadline=deadline, base_url=base_url))
