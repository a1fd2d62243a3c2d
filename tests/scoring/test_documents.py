"""Code slips, the results bulletin and paper ballots, read back with pdftotext."""

import re
import subprocess
from decimal import Decimal

import pytest
import segno
from django.utils import translation

from scoring import selectors
from scoring.codes import documents as codes_documents
from scoring.codes import services
from scoring.paper import documents as paper_documents
from scoring.results import documents as results_documents
from scoring.results.exports import ResultsBulletin
from scoring.schemes.models import Criterion, ModeChoice, Scheme
from tests.scoring.results.test_exports import cast_example_ballots, example

BASE = "https://shuzhi.example.gov.cn"
A4_PORTRAIT = "595.276 x 841.89"
A4_LANDSCAPE = "841.89 x 595.276"


def pdf_text(pdf: bytes, tmp_path, page: int | None = None) -> str:
    """The PDF's text as laid out, with all white space removed (pdftotext spaces CJK at will)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    text = subprocess.run(
        ["pdftotext", "-layout", *pages, str(path), "-"], capture_output=True, check=True
    ).stdout
    return "".join(text.decode().split())


def pdf_info(pdf: bytes, tmp_path) -> dict[str, str]:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    return {
        key.strip(): value.strip() for key, _, value in (line.partition(":") for line in out.splitlines())
    }


def page_size(info: dict[str, str]) -> str:
    return re.sub(r"\s*pts.*", "", info["Page size"])


# ---------------------------------------------------------------------------------------------------
# Code slips


def slips(world, issued, base_url=BASE) -> bytes:
    with translation.override("zh-hans"):
        return codes_documents.code_slips_pdf(world.session, issued, base_url)


def test_slips_show_the_session_group_serial_and_code(scored, tmp_path):
    issued = scored.leader_codes + scored.delegate_codes
    text = pdf_text(slips(scored, issued), tmp_path)
    assert text.count(scored.session.title) == 12
    assert text.count(f"测评主体：{scored.leaders.name}") == 6
    assert text.count(f"测评主体：{scored.delegates.name}") == 6
    for code in issued:
        assert f"No.{code.serial:04d}" in text
        assert code.short_display in text
    assert text.count(f"扫码或在{BASE}/vote/输入测评码") == 12
    assert "测评码（仅限使用一次）" in text


def test_slips_fill_a4_pages_ten_at_a_time(scored, tmp_path):
    pdf = slips(scored, scored.leader_codes + scored.delegate_codes)
    info = pdf_info(pdf, tmp_path)
    assert info["Pages"] == "2"
    assert page_size(info) == A4_PORTRAIT
    assert pdf_text(pdf, tmp_path, page=1).count("No.") == 10
    assert pdf_text(pdf, tmp_path, page=2).count("No.") == 2
    assert "第2页/共2页" in pdf_text(pdf, tmp_path, page=2)


def test_each_slip_carries_a_vector_qr_of_its_private_link(scored):
    with translation.override("zh-hans"):
        html = codes_documents.code_slips_html(scored.session, scored.leader_codes, BASE)
    for code in scored.leader_codes:
        url = f"{BASE}/vote/{code.token}/"
        assert segno.make(url, error="m").svg_inline(border=0, omitsize=True, svgclass="qr-code") in html
    assert "<img" not in html


def test_slips_use_the_site_url_by_default(scored, settings):
    settings.SITE_URL = "http://10.0.0.5:8000"
    with translation.override("zh-hans"):
        html = codes_documents.code_slips_html(scored.session, scored.leader_codes[:1])
    assert f"http://10.0.0.5:8000/vote/{scored.leader_codes[0].token}/" not in html  # only inside the QR
    assert "扫码或在 http://10.0.0.5:8000/vote/ 输入测评码" in html
    url = f"http://10.0.0.5:8000/vote/{scored.leader_codes[0].token}/"
    assert codes_documents.qr_svg(url) in html


def test_slips_of_a_named_group_carry_the_delegates_name(scored_closed_scheme, tmp_path):
    world = scored_closed_scheme
    world.leaders.anonymous = False
    world.leaders.save()
    issued = services.credentials_issue(
        actor=None, session=world.session, group=world.leaders, count=0, names=["张三", "李四"]
    )
    text = pdf_text(slips(world, issued), tmp_path)
    assert "评议代表：张三" in text
    assert "评议代表：李四" in text


# ---------------------------------------------------------------------------------------------------
# Results bulletin


@pytest.fixture
def results(scored_closed_scheme):
    return example(scored_closed_scheme)


def bulletin(session) -> bytes:
    with translation.override("zh-hans"):
        return results_documents.results_bulletin_pdf(selectors.session_tally(session))


def test_the_bulletin_states_the_session_facts(results, tmp_path):
    text = pdf_text(bulletin(results.session), tmp_path)
    assert "2025年度乡镇党委书记抓基层党建工作述职评议会测评结果通报" in text
    for fact in (
        "主办单位中共示范县委员会",
        "日期2026年1月16日",
        "地点县委第一会议室",
        "述职人数2",
        "发出测评码和纸质票12",
        "收回测评票8",
        "收回有效票和废票共8张，超过发出12张的1/2，会议测评结果有效。",
    ):
        assert fact in text
    assert "测评尚未结束" not in text


def test_the_bulletin_ranks_the_reporters(results, tmp_path):
    text = pdf_text(bulletin(results.session), tmp_path)
    assert "排名党组织书记现场测评得分综合得分等次" in text
    assert "1中共辽阳镇委员会李春华96.8096.80好" in text
    assert "2中共石匣乡委员会王建国52.8052.80差" in text
    assert text.index("中共辽阳镇委员会") < text.index("中共石匣乡委员会")


def test_the_bulletin_counts_grades_notes_hidden_groups_and_gives_the_digest(results, tmp_path):
    text = pdf_text(bulletin(results.session), tmp_path)
    assert "等次好较好一般差述职人数1001" in text
    assert f"{results.leaders.name}、{results.delegates.name}：部分得分不公开" in text
    digest = selectors.session_tally(results.session).result.digest
    assert f"测评票摘要：{digest[:16]}（可由测评票重新计算核对）" in text


def test_a_bulletin_before_scoring_closes_is_marked_provisional(scored, tmp_path):
    cast_example_ballots(scored, close=False)
    text = pdf_text(bulletin(scored.session), tmp_path)
    assert "测评尚未结束，以下为临时结果。" in text


def test_the_bulletin_export_is_named_after_the_session(results):
    with translation.override("zh-hans"):
        filename, content_type, content = ResultsBulletin().render(results.session)
    assert filename == "2025年度乡镇党委书记抓基层党建工作述职评议会-测评结果通报.pdf"
    assert content_type == "application/pdf"
    assert content.startswith(b"%PDF")


# ---------------------------------------------------------------------------------------------------
# Paper ballots


def paper(world, group) -> bytes:
    with translation.override("zh-hans"):
        return paper_documents.paper_ballot_pdf(world.session, group)


def test_the_item_ballot_is_a4_landscape_with_every_item_and_grade(scored_closed_scheme, tmp_path):
    world = scored_closed_scheme
    pdf = paper(world, world.leaders)
    assert page_size(pdf_info(pdf, tmp_path)) == A4_LANDSCAPE
    text = pdf_text(pdf, tmp_path)
    assert "2025年度乡镇党委书记抓基层党建工作述职评议会测评表" in text
    assert f"测评主体：{world.leaders.name}" in text
    assert "编号" in text
    for criterion in world.criteria:  # long names wrap inside their header cell
        assert criterion.name[:6] in text
    assert text.count("好较好一般差") == 6
    assert text.index("1中共石匣乡委员会王建国") < text.index("2中共辽阳镇委员会李春华")
    assert "请对每位述职书记的每个评价要素在相应等次栏内划" in text
    assert "本表不记名，请勿署名。" in text
    assert "评议代表签名" not in text


def test_a_named_group_signs_its_ballot(scored_closed_scheme, tmp_path):
    world = scored_closed_scheme
    world.delegates.anonymous = False
    world.delegates.save()
    text = pdf_text(paper(world, world.delegates), tmp_path)
    assert "评议代表签名" in text
    assert "本表不记名" not in text


def test_the_one_grade_ballot_is_portrait(scored_closed_scheme, tmp_path):
    world = scored_closed_scheme
    Scheme.objects.filter(pk=world.scheme.pk).update(mode=ModeChoice.GRADE)
    Criterion.objects.filter(pk__in=[c.pk for c in world.criteria[1:]]).delete()
    pdf = paper(world, world.leaders)
    assert page_size(pdf_info(pdf, tmp_path)) == A4_PORTRAIT
    text = pdf_text(pdf, tmp_path)
    assert "序号党组织书记好较好一般差" in text
    assert "请对每位述职书记在相应等次栏内划" in text


def test_the_points_ballot_shows_each_criterions_maximum(scored_closed_scheme, tmp_path):
    world = scored_closed_scheme
    Scheme.objects.filter(pk=world.scheme.pk).update(mode=ModeChoice.POINTS)
    for criterion, maximum in zip(world.criteria, [20, 20, 20, 20, 10, 10], strict=True):
        Criterion.objects.filter(pk=criterion.pk).update(max_points=Decimal(maximum))
    text = pdf_text(paper(world, world.leaders), tmp_path)
    assert text.count("满分20") == 4
    assert text.count("满分10") == 2
    assert "合计" in text
    assert "不得超过该项满分" in text
