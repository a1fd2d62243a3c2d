"""The bulletin keeps a table's header with its rows: 等次分布 never splits from its one row."""

import subprocess

from django.template.loader import render_to_string
from django.utils import translation

from scoring.documents import document_context, render_pdf


def _pages(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "bulletin.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    return text.split("\f")


def _bulletin(reporters: int) -> bytes:
    rows = [
        {
            "rank": n,
            "organisation": f"中共第{n}镇委员会",
            "secretary": "王建国",
            "onsite": "90.00",
            "composite": "90.00",
            "grade": "好",
            "ties": [],
        }
        for n in range(1, reporters + 1)
    ]
    html = render_to_string(
        "scoring/results/bulletin_pdf.html",
        document_context(
            doc_title="结果通报",
            provisional=False,
            facts=[("主办单位", "中共示范县委员会")],
            rows=rows,
            grade_counts=[("好", reporters), ("较好", 0), ("一般", 0), ("差", 0)],
            said=[],
            hidden=[],
            tie_rule="排名规则",
            digest="摘要",
        ),
    )
    return render_pdf(html)


def test_the_grade_table_header_stays_with_its_row_whatever_the_length_of_the_ranking(tmp_path):
    with translation.override("zh-hans"):
        for reporters in range(24, 44, 2):  # the grade table walks down to, and over, the first page break
            pages = _pages(_bulletin(reporters), tmp_path)
            with_header = [i for i, page in enumerate(pages) if "等次分布" in page]
            with_row = [i for i, page in enumerate(pages) if "述职人数" in page]
            assert with_header == with_row and len(with_row) == 1, reporters
