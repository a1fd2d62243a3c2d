"""A big batch of slips is rendered in bounded pieces joined into one PDF that reads as one render."""

import io
import re

import pypdfium2 as pdfium
import pytest
from django.utils import translation

import reviews.documents
from scoring.codes import documents
from scoring.codes import services as codes_services

BASE = "https://shuzhi.example.gov.cn"


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def batch(scored):
    """25 codes, serials ascending: the fixture's 12 and 13 more."""
    more = codes_services.credentials_issue(
        actor=None, session=scored.session, group=scored.delegates, count=13
    )
    issued = scored.leader_codes + scored.delegate_codes + more
    assert len(issued) == 25 and [c.serial for c in issued] == sorted(c.serial for c in issued)
    return issued


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text read with PDFium, white space removed."""
    document = pdfium.PdfDocument(pdf)
    try:
        return ["".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()


def pieces_rendered(monkeypatch) -> list[int]:
    """The slips in each WeasyPrint render, recorded as they happen."""
    real = reviews.documents.render_pdf
    counts = []

    def counting(html):
        counts.append(html.count('<div class="slip">'))
        return real(html)

    monkeypatch.setattr(reviews.documents, "render_pdf", counting)
    return counts


def test_pieces_give_every_slip_in_serial_order_on_the_same_pages_as_one_render(scored, batch, monkeypatch):
    monkeypatch.setattr(documents, "SLIPS_PER_RENDER", 1000)
    whole = page_texts(documents.code_slips_pdf(scored.session, batch, BASE))
    monkeypatch.setattr(documents, "SLIPS_PER_RENDER", 3)  # rounded up to one page: 10 slips
    rendered = pieces_rendered(monkeypatch)
    pages = page_texts(documents.code_slips_pdf(scored.session, batch, BASE))
    assert rendered == [10, 10, 5]
    assert pages == whole and len(pages) == 3
    assert [p.count("No.") for p in pages] == [10, 10, 5]
    # Numbered through the whole document, not piece by piece.
    assert ["第1页/共3页" in pages[0], "第2页/共3页" in pages[1], "第3页/共3页" in pages[2]] == [True] * 3
    text = "".join(pages)
    serials = [int(s) for s in re.findall(r"No\.(\d{4})", text)]
    assert serials == [c.serial for c in batch]
    at = [text.index(code.short_display) for code in batch]
    assert at == sorted(at)
    assert text.count(f"扫码或在{BASE}/vote/输入测评码") == 25


def test_a_piece_of_two_pages_keeps_full_pages_and_the_title(scored, batch, monkeypatch):
    monkeypatch.setattr(documents, "SLIPS_PER_RENDER", 20)
    rendered = pieces_rendered(monkeypatch)
    pdf = documents.code_slips_pdf(scored.session, batch, BASE)
    assert rendered == [20, 5]
    document = pdfium.PdfDocument(pdf)
    try:
        assert len(document) == 3
        assert document.get_metadata_dict()["Title"] == f"测评码：{scored.session.title}"
        sizes = {tuple(round(x, 1) for x in page.get_size()) for page in document}
        assert sizes == {(595.3, 841.9)}  # A4 portrait, every page
    finally:
        document.close()


def test_the_pieces_are_written_into_a_file_when_one_is_given(scored, batch, monkeypatch):
    monkeypatch.setattr(documents, "SLIPS_PER_RENDER", 10)
    out = io.BytesIO()
    assert documents.code_slips_pdf(scored.session, batch, BASE, out=out) is None
    pages = page_texts(out.getvalue())
    assert len(pages) == 3 and "".join(pages).count("No.") == 25


def test_progress_moves_with_the_drawing_and_each_piece_rendered_up_to_the_total(scored, batch, monkeypatch):
    monkeypatch.setattr(documents, "SLIPS_PER_RENDER", 10)
    calls = []
    rendered = pieces_rendered(monkeypatch)

    def told(done, total):
        calls.append((done, total, len(rendered)))

    documents.code_slips_pdf(scored.session, batch, BASE, progress=told)
    done = [d for d, _, _ in calls]
    assert done == sorted(set(done)) and {t for _, t, _ in calls} == {25}
    assert calls[-1] == (25, 25, 3)
    # A quarter of a slip when drawn, the rest when its piece is rendered.
    assert (2, 25, 0) in calls and (10, 25, 1) in calls and (12, 25, 1) in calls and (20, 25, 2) in calls


def test_a_piece_that_fails_fails_the_whole_pdf(scored, batch, monkeypatch):
    monkeypatch.setattr(documents, "SLIPS_PER_RENDER", 10)
    real = reviews.documents.render_pdf
    calls = []

    def second_fails(html):
        calls.append(html)
        if len(calls) == 2:
            raise OSError("no font")
        return real(html)

    monkeypatch.setattr(reviews.documents, "render_pdf", second_fails)
    out = io.BytesIO()
    with pytest.raises(OSError):
        documents.code_slips_pdf(scored.session, batch, BASE, out=out)
    assert len(calls) == 2 and out.getvalue() == b""
