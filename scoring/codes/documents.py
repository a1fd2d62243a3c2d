"""Code slips (A4 PDF, 10 per page, each with its QR code)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from reviews.cycles.models import Session
from reviews.documents import render_pdf_pieces
from scoring.codes.services import IssuedCode
from scoring.documents import document_context, page_counter_css

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


# A WeasyPrint render keeps its whole document's layout in memory: one render of 2,000 slips peaked at
# ~630 MB. So the slips are rendered SLIPS_PER_RENDER at a time (rounded up to whole pages, so every page
# but the last holds 10 slips, as in one render), each piece drawing its QR codes only when its turn comes,
# and the pieces' pages are joined into one PDF by PDFium (reviews.documents.render_pdf_pieces). A piece
# numbers its pages on from the pieces before it, out of the whole document's pages. Measured with
# bench/slips.py, 2,000 slips: 50 a render 351 MB peak RSS and 15.8 MiB; 100: 287 MB, 9.0 MiB; 200:
# 295 MB, 5.4 MiB; 500: 356 MB, 3.2 MiB (one render: 627 MB, 2.1 MiB). Each piece embeds its own font
# subsets (~0.36 MiB), so smaller pieces make a bigger file and do not save memory below ~100 slips: the
# process with WeasyPrint and the CJK fonts loaded is ~250 MB whatever the piece.
SLIPS_PER_RENDER = 200


def _draw(issued: list[IssuedCode], base_url: str | None, drawn: Callable[[], None]) -> list[Slip]:
    slips = []
    for code in issued:
        url = vote_url(code.token, base_url)
        slips.append(Slip(code=code, url=url, svg=mark_safe(qr_svg(url))))
        drawn()
    return slips


def _slips_html(session: Session, slips: list[Slip], base_url: str | None, *, first_page: int, pages: int):
    """The HTML of these slips, 10 to a page, numbered from `first_page` of `pages` in the whole document."""
    sheets = [slips[start : start + SLIPS_PER_PAGE] for start in range(0, len(slips), SLIPS_PER_PAGE)]
    entry = f"{site_url(base_url)}/vote/"
    counter = page_counter_css().replace("counter(pages)", f'"{pages}"')
    return render_to_string(
        "scoring/codes/slips_pdf.html",
        document_context(
            session=session,
            pages=sheets,
            page_counter=mark_safe(counter),
            first_page=first_page,
            doc_title=_("Scoring codes: %(title)s") % {"title": session.title},
            instruction=_("Scan the QR code, or enter the code at %(url)s") % {"url": entry},
        ),
    )


def _pages(count: int) -> int:
    return -(-count // SLIPS_PER_PAGE)


class _Progress:
    """The bar of a slips render, in slips: a slip is a quarter done when its QR code is drawn and done when
    its piece is rendered (drawing is ~1/4 of the time: 200 slips drawn in 0.9 s, rendered in 2.7 s), so
    the bar moves with the time; told about every 1 % of the slips, never backwards, ending at
    (total, total)."""

    def __init__(self, total: int, progress: Callable[[int, int], None] | None) -> None:
        self.total = total
        self.progress = progress
        self.step = max(1, total // 100)
        self.drawn = self.rendered = self.told = 0

    def draw(self) -> None:
        self.drawn += 1
        self._tell()

    def render(self, done: int) -> None:
        self.rendered = done
        self._tell()

    def _tell(self) -> None:
        done = (self.drawn + 3 * self.rendered) // 4
        if self.progress is None or done <= self.told:
            return
        if done - self.told >= self.step or done == self.total:
            self.told = done
            self.progress(done, self.total)


def code_slips_html(session: Session, issued: list[IssuedCode], base_url: str | None = None) -> str:
    """These slips as one HTML document (one render: code_slips_pdf cuts a big batch into pieces)."""
    slips = _draw(issued, base_url, lambda: None)
    return _slips_html(session, slips, base_url, first_page=1, pages=_pages(len(slips)))


def code_slips_pdf(
    session: Session,
    issued: list[IssuedCode],
    base_url: str | None = None,
    *,
    out: BinaryIO | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> bytes | None:
    """A4 sheets of 2 × 5 slips with dashed cut lines; each slip: QR link, typeable code, serial.

    Rendered in pieces of SLIPS_PER_RENDER slips (whole pages), joined into one PDF: written into `out` (a
    binary file) when given, and None returned; else returned as bytes. `progress(done, total)` is told
    the slips done (a quarter when drawn, whole when rendered), for a job.
    """
    total = len(issued)
    pages = _pages(total)
    per_piece = max(1, _pages(SLIPS_PER_RENDER)) * SLIPS_PER_PAGE
    bar = _Progress(total, progress)

    def pieces():
        for start in range(0, max(total, 1), per_piece):  # no slip: one empty piece, as one render gave
            slips = _draw(issued[start : start + per_piece], base_url, bar.draw)
            first_page = start // SLIPS_PER_PAGE + 1
            yield _slips_html(session, slips, base_url, first_page=first_page, pages=pages), len(slips)

    return render_pdf_pieces(pieces(), out=out, rendered=bar.render)
