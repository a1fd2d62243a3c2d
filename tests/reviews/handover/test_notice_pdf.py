"""The notice (整改通知单), its problem list (问题清单) and a session's notices, read back as text."""

import re
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation

from reviews.findings.models import Finding, FindingSource
from reviews.handover import documents
from reviews.handover import services as handover_services
from reviews.rectification import services as rectification_services
from tests.conftest import make_org, make_secretary

A4_PORTRAIT = "595.276 x 841.89"


@pytest.fixture
def chinese():
    with translation.override("zh-hans"):
        yield


def pdf_text(pdf: bytes, tmp_path, page: int | None = None) -> str:
    """The PDF's text in content order (a wrapped cell stays whole), all white space removed."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    text = subprocess.run(
        ["pdftotext", "-raw", *pages, str(path), "-"], capture_output=True, check=True
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


def test_the_notice_carries_reference_addressee_items_issuer_and_receipt(chinese, rectified, tmp_path):
    pdf = documents.notice_pdf(rectified.shijia_notice)
    text = pdf_text(pdf, tmp_path)
    info = pdf_info(pdf, tmp_path)
    assert page_size(info) == A4_PORTRAIT and info["Pages"] == "1"
    assert "整改通知单" in text
    assert "〔2026〕1号" in text
    assert "中共石匣乡委员会：" in text
    assert "根据《2025年度乡镇党委书记抓基层党建工作述职评议会》（2026年1月16日）评议情况" in text
    assert "序号问题问题来源整改措施责任人整改时限" in text
    for item in rectified.shijia_items:
        assert "".join(item.problem.split()) in text
        assert item.measures in text
    assert "上级找" in text and "现场质询" in text and "点评" in text
    assert text.count("2026年4月20日") == 2 and text.count("2026年5月20日") == 1
    assert "中共示范县委员会2026年1月20日（盖章）" in text
    assert "签收人：" in text and "签收日期：" in text
    assert "第1页/共1页" in text
    # No commitment was given: no 理改立 section.
    assert "理改立" not in text


def test_the_commitments_given_are_printed(chinese, rectified, tmp_path):
    item = rectified.shijia_items[1]
    item.commit_analyse = "对集体经济重视不够"
    item.commit_establish = "建立村集体经济季度分析制度"
    item.save()
    text = pdf_text(documents.notice_pdf(rectified.shijia_notice), tmp_path)
    assert "理改立承诺" in text
    assert "2.村级集体经济增收办法不多" in text
    assert "理：对集体经济重视不够" in text and "立：建立村集体经济季度分析制度" in text
    assert "改：" not in text


def test_the_problem_list_gives_category_source_and_deadline(chinese, rectified, tmp_path):
    pdf = documents.problem_list_pdf(rectified.shijia_notice)
    text = pdf_text(pdf, tmp_path)
    assert page_size(pdf_info(pdf, tmp_path)) == A4_PORTRAIT
    assert "问题清单" in text and "〔2026〕1号" in text
    assert "中共石匣乡委员会" in text and rectified.world.county_session.title in text
    assert "序号类别问题问题来源整改时限" in text
    assert "1组织生活“三会一课”记录不全，组织生活会流于形式上级找2026年4月20日" in text
    assert "2集体经济村级集体经济增收办法不多现场质询2026年5月20日" in text
    assert "整改措施" not in text and "签收人" not in text


def test_the_session_pdf_prints_every_notice_then_its_problems_each_on_a_new_page(
    chinese, rectified, tmp_path
):
    pdf = documents.session_notices_pdf(rectified.world.county_session)
    info = pdf_info(pdf, tmp_path)
    assert info["Pages"] == "4" and page_size(info) == A4_PORTRAIT
    pages = [pdf_text(pdf, tmp_path, page=n) for n in range(1, 5)]
    assert "整改通知单" in pages[0] and "〔2026〕1号" in pages[0] and "中共石匣乡委员会：" in pages[0]
    assert "问题清单" in pages[1] and "〔2026〕1号" in pages[1]
    assert "整改通知单" in pages[2] and "〔2026〕2号" in pages[2] and "中共辽阳镇委员会：" in pages[2]
    assert "问题清单" in pages[3] and "党员发展把关不严" in pages[3]
    text = "".join(pages)
    # One notice per organisation of the session; the township's own notice to its village is not here.
    assert text.count("签收人：") == 2
    assert "党员活动室长期闲置" not in text


def test_the_session_notices_load_in_a_few_queries_whatever_their_number(
    rectified, django_assert_max_num_queries
):
    world = rectified.world
    for n in range(6):
        org = make_org(f"T8{n:02d}", f"第{n}乡党委", world.county)
        make_secretary(org, f"书记{n}")
        world.county_session.reports.create(organisation=org, order=20 + n)
        finding = Finding.objects.create(
            cycle=world.cycle, organisation=org, source=FindingSource.SUPERIOR, description=f"问题{n}"
        )
        handover_services.notice_issue(
            actor=world.county_staff,
            session=world.county_session,
            organisation=org,
            items=[
                handover_services.ItemDraft(
                    finding=finding,
                    problem="问题",
                    measures="措施",
                    responsible="书记",
                    deadline=rectified.DEADLINE,
                )
            ],
            issued_on=rectified.ISSUED_ON,
        )
    with django_assert_max_num_queries(3):
        notices = documents.session_notices(world.county_session)
        html = documents.notices_html(notices, (documents.NOTICE, documents.PROBLEMS), title="t", header="h")
    assert [n.organisation.name for n in notices][:2] == ["中共石匣乡委员会", "中共辽阳镇委员会"]
    assert len(notices) == 8 and html.count('class="notice"') == 8 and html.count('class="problems"') == 8


def test_the_pdfs_download_from_the_notice_and_session_pages(chinese, client, rectified, tmp_path):
    client.force_login(rectified.world.county_staff)
    notice = rectified.shijia_notice
    response = client.get(reverse("handover:notice_pdf", args=[notice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" not in response["Content-Disposition"]
    assert "〔2026〕1号" in pdf_text(response.content, tmp_path)  # the page speaks Chinese by default
    response = client.get(reverse("handover:problems_pdf", args=[notice.pk]))
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "问题清单" in text and "组织生活" in text and "签收人" not in text
    response = client.get(reverse("handover:session_pdf", args=[rectified.world.county_session.pk]))
    assert response.status_code == 200
    assert pdf_info(response.content, tmp_path)["Pages"] == "4"


def test_a_reprinted_notice_keeps_the_deadlines_as_issued(chinese, rectified, tmp_path):
    item = rectified.shijia_items[0]
    rectification_services.item_extend(
        actor=rectified.world.county_staff,
        item=item,
        new_deadline=rectified.DEADLINE.replace(month=9),
        reason="项目周期长",
    )
    for pdf in (
        documents.notice_pdf(rectified.shijia_notice),
        documents.problem_list_pdf(rectified.shijia_notice),
    ):
        text = pdf_text(pdf, tmp_path)
        assert "2026年4月20日" in text and "2026年9月20日" not in text
