"""The machine-readable form of a real session; what is read from it goes through the paper-ballot service."""

import subprocess

import pytest
from django.utils import translation

from scoring.models import PaperStatus, Scheme
from scoring.paper.scan import reader, synthetic
from scoring.paper.scan.errors import ScanError, ScanUnsupported
from scoring.paper.scan.form import group_scan_form_pdf
from scoring.paper.scan.layout import form_layout, form_spec, session_layouts
from scoring.paper.scan.pages import file_pages
from scoring.paper.scan.payload import payload_parse

try:  # the feature-package layout (after the reorganisation)
    from scoring.paper.services import paper_entry_submit
except ImportError:  # the flat layout this branch started from
    from scoring.services import paper_entry_submit


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    return "".join(out.decode().split())


@pytest.mark.django_db
def test_the_form_prints_in_chinese_with_the_reporters_items_and_grades(scored, tmp_path):
    with translation.override("zh-hans"):
        pdf = group_scan_form_pdf(scored.session, scored.delegates)
    text = pdf_text(pdf, tmp_path)
    assert scored.session.title in text
    assert scored.delegates.name in text
    for organisation in ("中共石匣乡委员会", "中共辽阳镇委员会"):
        assert organisation in text
    for name in ("王建国", "李春华", *(c.name[:4] for c in scored.criteria)):  # long names wrap
        assert name in text
    assert text.count("较好") == len(scored.criteria)
    assert "第1页/共1页" in text


@pytest.mark.django_db
def test_the_qr_code_of_the_printed_form_names_session_group_and_page(scored):
    pdf = group_scan_form_pdf(scored.session, scored.leaders)
    [image] = file_pages(pdf, dpi=150)
    text, _corners = reader.decode_qr(image)
    payload = payload_parse(text)
    assert (payload.session_id, payload.group_id, payload.page, payload.pages) == (
        scored.session.pk,
        scored.leaders.pk,
        1,
        1,
    )


@pytest.mark.django_db
def test_a_points_scheme_is_refused_by_the_form_and_the_reader(scored):
    Scheme.objects.filter(pk=scored.scheme.pk).update(mode="points")
    for build in (lambda: form_spec(scored.session, scored.leaders), lambda: session_layouts(scored.session)):
        with pytest.raises(ScanUnsupported) as refused:
            build()
        assert refused.value.code == "points"
        assert "按分值打分" in refused.value.message
    with translation.override("zh-hans"), pytest.raises(ScanUnsupported):
        group_scan_form_pdf(scored.session, scored.leaders)


@pytest.mark.django_db
def test_a_page_of_this_session_is_refused_by_another(scored):
    layout = form_layout(scored.session, scored.leaders)
    page = synthetic.synthetic_form(layout, seed=31, distortion="scanner")[0]
    other = scored.shijia_session
    with pytest.raises(ScanError) as refused:
        reader.read_page(page.image, session_id=other.pk, layouts={})
    assert refused.value.code == "wrong_session"


@pytest.mark.django_db
def test_what_is_read_counts_through_the_paper_ballot_service(scored):
    """The read marks are keyed as paper_entry_submit takes them: the scan plus one clerk counts the form."""
    layouts = session_layouts(scored.session)
    layout = layouts[scored.delegates.pk]
    kinds = {key: "tick" for key in layout.keys}
    page = synthetic.synthetic_form(layout, seed=32, distortion="phone", kinds=kinds)[0]
    result = reader.read_page(page.image, session_id=scored.session.pk, layouts=layouts)
    marks = {cell.key: cell.grade for cell in result.cells}
    assert marks == page.truth
    assert set(marks) == {(r.pk, c.pk) for r in scored.reports for c in scored.criteria}
    paper_entry_submit(
        actor=scored.county_staff, session=scored.session, group=scored.delegates, serial=1, marks=marks
    )
    paper = paper_entry_submit(
        actor=scored.superuser, session=scored.session, group=scored.delegates, serial=1, marks=page.truth
    )
    assert paper.status == PaperStatus.COUNTED


@pytest.mark.django_db
def test_a_reporter_without_a_named_secretary_shows_the_post_holder_on_the_session_date(scored):
    from reviews.models import Report

    Report.objects.filter(pk=scored.reports[0].pk).update(secretary=None)
    reporters = form_spec(scored.session, scored.leaders).reporters
    assert [(r.order, r.organisation, r.secretary) for r in reporters] == [
        (1, "中共石匣乡委员会", "王建国"),
        (2, "中共辽阳镇委员会", "李春华"),
    ]
