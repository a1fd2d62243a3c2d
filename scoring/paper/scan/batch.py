"""A scanned batch → whole forms: pages read, duplicates refused, multi-page forms put back together.

The QR code says only "page n of m" (every form of a group is identical, see ``form.py``), so the pages of
one form are joined by their order in the batch, as a sheet feeder or a clerk's photos deliver them:
page 1 opens a form, pages 2..m of the same group must follow it in order. A form with a missing,
repeated or foreign page is refused whole, with the reason, and none of its pages is counted.

Duplicates: a page whose normalised image has the digest of one already read (the same file uploaded
twice) or whose ink matches an earlier sheet's box for box (``reader.same_sheet``: the same paper scanned
twice) is refused. Pass the digests and signatures of earlier batches of the session to check across them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _

from .errors import ScanError
from .layout import FormLayout
from .reader import CellRead, PageRead, read_page, same_sheet


@dataclass(frozen=True)
class PageProblem:
    index: int  # 0-based position of the page in the batch
    code: str
    message: str


@dataclass(frozen=True)
class FormRead:
    """One complete form: its pages in order and every item read from them."""

    group_id: int
    pages: tuple[PageRead, ...]
    indexes: tuple[int, ...]  # the pages' positions in the batch

    @property
    def cells(self) -> tuple[CellRead, ...]:
        return tuple(cell for page in self.pages for cell in page.cells)

    @property
    def digest(self) -> str:
        return hashlib.sha256("".join(page.digest for page in self.pages).encode()).hexdigest()

    @property
    def marks(self) -> dict[tuple[int, int], str]:
        """The grades read, by (report_id, criterion_id): what ``paper_entry_submit`` takes once reviewed."""
        return {cell.key: cell.grade for cell in self.cells if cell.grade is not None}

    @property
    def to_review(self) -> list[CellRead]:
        """Flagged items first, then grades below HIGH_CONFIDENCE, least confident first."""
        cells = [cell for cell in self.cells if cell.needs_review]
        return sorted(cells, key=lambda cell: (cell.flag is None, cell.confidence))

    @property
    def flagged(self) -> list[CellRead]:
        return [cell for cell in self.cells if cell.flag is not None]


@dataclass(frozen=True)
class BatchRead:
    forms: tuple[FormRead, ...]
    problems: tuple[PageProblem, ...]


def _incomplete(page: PageRead) -> str:
    return _("Page %(page)s of a %(pages)s-page form whose other pages are missing or out of order.") % {
        "page": page.page,
        "pages": page.pages,
    }


def read_batch(
    images: Iterable[np.ndarray],
    *,
    session_id: int,
    layouts: Mapping[int, FormLayout],
    known_digests: Iterable[str] = (),
    known_signatures: Iterable[tuple[int, int, bytes]] = (),
    progress=None,
) -> BatchRead:
    """Read every page of a batch, in order, and assemble the forms.

    ``known_signatures`` holds (group id, page number, signature) of pages already accepted in the
    session; ``progress(done)`` is called after each page (for a progress bar).
    """
    reads: list[tuple[int, PageRead | ScanError]] = []
    for index, image in enumerate(images):
        try:
            reads.append((index, read_page(image, session_id=session_id, layouts=layouts)))
        except ScanError as error:
            reads.append((index, error))
        if progress is not None:
            progress(index + 1)
    return assemble(reads, known_digests=known_digests, known_signatures=known_signatures)


def assemble(
    reads: list[tuple[int, PageRead | ScanError]],
    *,
    known_digests: Iterable[str] = (),
    known_signatures: Iterable[tuple[int, int, bytes]] = (),
) -> BatchRead:
    problems: list[PageProblem] = []
    digests = set(known_digests)
    sheets: list[tuple[int, int, bytes]] = list(known_signatures)
    pages: list[tuple[int, PageRead]] = []
    for index, read in reads:
        if isinstance(read, ScanError):
            problems.append(PageProblem(index, read.code, read.message))
            continue
        if read.digest in digests or any(
            (group, number) == (read.group_id, read.page) and same_sheet(signature, read.signature)
            for group, number, signature in sheets
        ):
            problems.append(
                PageProblem(
                    index,
                    "duplicate",
                    _("This sheet has been read before (scanned or uploaded twice): not counted again."),
                )
            )
            continue
        digests.add(read.digest)
        sheets.append((read.group_id, read.page, read.signature))
        pages.append((index, read))
    forms: list[FormRead] = []
    current: list[tuple[int, PageRead]] = []

    def close(next_index: int | None) -> None:
        if not current:
            return
        first = current[0][1]
        if len(current) == first.pages:
            forms.append(
                FormRead(first.group_id, tuple(p for _i, p in current), tuple(i for i, _p in current))
            )
        else:
            for index, page in current:
                problems.append(
                    PageProblem(
                        index,
                        "incomplete",
                        _incomplete(page),
                    )
                )
        current.clear()

    for index, page in pages:
        if current:
            last = current[-1][1]
            follows = (
                page.group_id == last.group_id and page.pages == last.pages and page.page == last.page + 1
            )
            if not follows:
                close(index)
        if not current and page.page != 1:
            problems.append(
                PageProblem(
                    index,
                    "incomplete",
                    _incomplete(page),
                )
            )
            continue
        current.append((index, page))
        if len(current) == page.pages:
            close(None)
    close(None)
    return BatchRead(forms=tuple(forms), problems=tuple(sorted(problems, key=lambda p: p.index)))
