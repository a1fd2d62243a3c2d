"""Every notice of a cycle as one PDF (整改通知书 for every organisation): rendered in bounded pieces and
joined, one notice and its problem list per organisation, in the order of the tree, with progress."""

import io

import pypdfium2 as pdfium
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from reviews.cycles.models import Cycle
from reviews.handover import documents
from reviews.rectification.models import RectificationNotice
from tests.reviews.rectification.test_pages import add_villages


@pytest.fixture
def chinese():
    with translation.override("zh-hans"):
        yield


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text, white space removed, read with PDFium."""
    document = pdfium.PdfDocument(pdf)
    try:
        texts = []
        for page in document:
            textpage = page.get_textpage()
            texts.append("".join(textpage.get_text_range().split()))
            textpage.close()
            page.close()
        return texts
    finally:
        document.close()


def test_every_organisation_gets_its_notice_then_its_problems_in_the_order_of_the_tree(chinese, rectified):
    reports = []
    pdf = documents.cycle_notices_pdf(rectified.world.cycle, progress=lambda d, t: reports.append((d, t)))
    pages = page_texts(pdf)
    assert len(pages) == 6
    assert ["整改通知单" in p for p in pages] == [True, False] * 3
    assert ["问题清单" in p for p in pages] == [False, True] * 3
    # The county's session first (its townships in speaking order), then 石匣乡's session (its village).
    assert "中共石匣乡委员会：" in pages[0] and "〔2026〕1号" in pages[0]
    assert "中共辽阳镇委员会：" in pages[2] and "党员发展把关不严" in pages[3]
    assert "石匣村党支部：" in pages[4] and "党员活动室长期闲置" in pages[5]
    assert sum(p.count("签收人：") for p in pages) == 3
    assert reports[0] == (0, 3) and reports[-1] == (3, 3)


def test_pieces_of_one_notice_give_the_same_pages_as_one_render(chinese, rectified, monkeypatch):
    add_villages(rectified, 5)
    whole = page_texts(documents.cycle_notices_pdf(rectified.world.cycle))
    monkeypatch.setattr(documents, "NOTICES_PER_RENDER", 2)
    reports = []
    out = io.BytesIO()
    returned = documents.cycle_notices_pdf(
        rectified.world.cycle, out=out, progress=lambda d, t: reports.append((d, t))
    )
    assert returned is None
    pieces = page_texts(out.getvalue())
    # Page numbers restart with each piece; the rest of every page is the same.
    strip = [p.split("第")[0] for p in whole]
    assert len(pieces) == len(whole) == 16
    assert [p.split("第")[0] for p in pieces] == strip
    assert sum(p.count("签收人：") for p in pieces) == 8
    # County session: one piece of 2; 石匣乡's 6 notices: pieces of 2, 2, 2.
    assert reports == [(0, 8), (2, 8), (4, 8), (6, 8), (8, 8)]


def test_the_queries_grow_with_the_pieces_not_the_notices(rectified, django_assert_max_num_queries):
    add_villages(rectified, 12)
    assert RectificationNotice.objects.count() == 15
    # 2 sessions, 2 pieces: count, sessions, then per session its speaking order and notice keys, and
    # per piece the notices and their items.
    with django_assert_max_num_queries(2 + 2 * 2 + 2 * 2):
        documents.cycle_notices_pdf(rectified.world.cycle)


def test_the_command_writes_every_notice_of_the_cycle(chinese, rectified, tmp_path):
    out = tmp_path / "通知书.pdf"
    stdout = io.StringIO()
    call_command(
        "export_notices", str(rectified.world.cycle.pk), str(out), stdout=stdout, stderr=io.StringIO()
    )
    assert len(page_texts(out.read_bytes())) == 6
    assert "已将 3 份整改通知单写入" in stdout.getvalue()
    assert list(tmp_path.iterdir()) == [out]


def test_the_command_refuses_an_unknown_cycle_or_one_without_notices(chinese, rectified, tmp_path):
    out = tmp_path / "通知书.pdf"
    with pytest.raises(CommandError, match="没有 ID 为 999 的年度"):
        call_command("export_notices", "999", str(out), stdout=io.StringIO())
    empty = Cycle.objects.create(year=2026, name="2026年度述职评议")
    with pytest.raises(CommandError, match="本年度尚未下发整改通知单"):
        call_command("export_notices", str(empty.pk), str(out), stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []


def test_the_command_writes_one_subtree_only(chinese, rectified, tmp_path):
    out = tmp_path / "石匣乡.pdf"
    cycle, under = str(rectified.world.cycle.pk), str(rectified.world.shijia.pk)
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command("export_notices", cycle, str(out), "--under", under, **quiet)
    pages = page_texts(out.read_bytes())
    # Only the session 石匣乡 hosts: its notice to 石匣村, not the county's notices to the townships.
    assert len(pages) == 2 and "石匣村党支部：" in pages[0]


def test_the_command_refuses_an_unknown_subtree(chinese, rectified, tmp_path):
    out = tmp_path / "x.pdf"
    with pytest.raises(CommandError, match="没有 ID 为 999999 的组织"):
        call_command("export_notices", str(rectified.world.cycle.pk), str(out), "--under", "999999")
    assert not out.exists()
