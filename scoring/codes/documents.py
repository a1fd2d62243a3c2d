"""Code slips (A4 PDF, 10 per page, each with its QR code)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from reviews.cycles.models import Session
from scoring.codes.services import IssuedCode
from scoring.documents import document_context, render_pdf

SLIPS_PER_ROW = 2


SLIP_ROWS = 5


SLIPS_PER_PAGE = SLIPS_PER_ROW * SLIP_ROWS


# ---------------------------------------------------------------------------------------------------
# Code slips


def site_url(base_url: str | None = None) -> str:
    return (base_url or settings.SITE_URL).rstrip("/")


def vote_url(token: str, base_url: str | None = None) -> str:
    """What the QR code holds: the delegate's private link."""
    return f"{site_url(base_url)}/vote/{token}/"


def qr_svg(url: str) -> str:
    """A vector QR code: one SVG path, no quiet zone (the slip's white padding is the quiet zone)."""
    return segno.make(url, error="m").svg_inline(border=0, omitsize=True, svgclass="qr-code")


@dataclass(frozen=True)
class Slip:
    code: IssuedCode
    url: str
    svg: SafeString

    @property
    def serial(self) -> str:
        return _("No. %(serial)s") % {"serial": f"{self.code.serial:04d}"}


def code_slips_html(
    session: Session,
    issued: list[IssuedCode],
    base_url: str | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> str:
    total = len(issued)
    step = max(1, total // 100)  # about every 1 % of the slips
    slips = []
    for done, code in enumerate(issued, start=1):
        url = vote_url(code.token, base_url)
        slips.append(Slip(code=code, url=url, svg=mark_safe(qr_svg(url))))
        if progress is not None and (done % step == 0 or done == total):
            progress(done, total)
    pages = [slips[start : start + SLIPS_PER_PAGE] for start in range(0, len(slips), SLIPS_PER_PAGE)]
    entry = f"{site_url(base_url)}/vote/"
    return render_to_string(
        "scoring/codes/slips_pdf.html",
        document_context(
            session=session,
            pages=pages,
            doc_title=_("Scoring codes: %(title)s") % {"title": session.title},
            instruction=_("Scan the QR code, or enter the code at %(url)s") % {"url": entry},
        ),
    )


def code_slips_pdf(
    session: Session,
    issued: list[IssuedCode],
    base_url: str | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """A4 sheets of 2 × 5 slips with dashed cut lines; each slip: QR link, typeable code, serial.

    `progress(done, total)` is told of the slips drawn (QR codes, about half the time), for a job.
    """
    return render_pdf(code_slips_html(session, issued, base_url, progress=progress))
