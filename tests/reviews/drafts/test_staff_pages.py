"""Staff: a session's drafts (status, step, who holds it), the default chain, the approved draft as PDF."""

import subprocess

import pytest
from django.urls import reverse

from reviews.cycles.models import Report
from reviews.drafts import services as services_drafts
from reviews.drafts.models import ReviewStep
from tests.conftest import make_org, make_secretary
from tests.reviews.drafts.test_support import TEXT_V1, approve_to, build_chain, private_storage_in, submitted


@pytest.fixture(autouse=True)
def _storage(tmp_path, settings, monkeypatch):
    private_storage_in(tmp_path, settings, monkeypatch)


@pytest.fixture
def chain(world):
    return build_chain(world)


@pytest.fixture
def staff(client, world):
    client.force_login(world.county_staff)
    client.cookies["django_language"] = "en"
    return client


def test_the_session_overview_shows_each_reporters_status_step_and_holder(staff, world, chain):
    submitted(world, chain)
    page = staff.get(reverse("drafts:session", args=[world.county_session.pk])).content.decode()
    assert world.shijia.name in page and world.liaoyang.name in page
    assert "王建国" in page and "李春华" in page
    assert "In review" in page and "党建科室负责人（reviewer1）" in page
    assert "Not started" in page
    assert "approved 0 · in review 1 · returned 0 · being written 0 · not started 1" in page


def test_a_returned_draft_is_held_by_the_secretary(staff, world, chain):
    draft = submitted(world, chain)
    services_drafts.draft_review(actor=chain.reviewers[0], draft=draft, decision="return", comment="重写")
    page = staff.get(reverse("drafts:session", args=[world.county_session.pk])).content.decode()
    assert "Returned" in page and "王建国" in page


def test_township_staff_cannot_open_the_county_session(client, world, chain):
    client.force_login(world.shijia_staff)
    assert client.get(reverse("drafts:session", args=[world.county_session.pk])).status_code == 404
    assert client.get(reverse("drafts:session", args=[world.shijia_session.pk])).status_code == 200
    client.force_login(world.liaoyang_staff)
    assert client.get(reverse("drafts:session", args=[world.shijia_session.pk])).status_code == 404


def test_a_secretary_cannot_open_the_overview(client, world, chain):
    client.force_login(chain.shijia_user)
    assert client.get(reverse("drafts:session", args=[world.county_session.pk])).status_code == 404


def test_the_overview_runs_a_fixed_number_of_queries(staff, world, chain, django_assert_max_num_queries):
    submitted(world, chain)
    for n in range(3, 23):
        village = make_org(f"T01V{n:02d}", f"第{n}村党支部", world.county)
        Report.objects.create(
            session=world.county_session,
            organisation=village,
            secretary=make_secretary(village, f"书记{n}"),
            order=n,
        )
    with django_assert_max_num_queries(14):
        response = staff.get(reverse("drafts:session", args=[world.county_session.pk]))
    assert response.status_code == 200 and "第22村党支部" in response.content.decode()


def test_without_a_chain_county_staff_can_create_the_default_one(staff, world):
    page = staff.get(reverse("drafts:session", args=[world.county_session.pk])).content.decode()
    assert "Create the default chain: 党建科室负责人 → 分管副部长 → 组织部长 → 书记" in page
    back = reverse("drafts:session", args=[world.county_session.pk])
    response = staff.post(reverse("drafts:chain_default", args=[world.cycle.pk]), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert ReviewStep.objects.filter(cycle=world.cycle).count() == 4
    page = staff.get(back).content.decode()
    assert "no reviewer assigned" in page


def test_the_chain_button_does_not_redirect_elsewhere(staff, world):
    response = staff.post(
        reverse("drafts:chain_default", args=[world.cycle.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_township_staff_cannot_create_the_chain(client, world):
    client.force_login(world.shijia_staff)
    assert client.post(reverse("drafts:chain_default", args=[world.cycle.pk])).status_code == 403
    assert not ReviewStep.objects.exists()


# The printable draft


def test_there_is_no_pdf_before_approval(staff, world, chain):
    approve_to(submitted(world, chain), chain, 3)
    assert staff.get(reverse("drafts:pdf", args=[world.county_reports[0].pk])).status_code == 404


def test_the_approved_draft_prints_as_a_pdf_in_chinese(staff, world, chain, tmp_path):
    report = world.county_reports[0]
    report.topic = "如何发展壮大村级集体经济"
    report.save()
    approve_to(submitted(world, chain), chain, 4)
    response = staff.get(reverse("drafts:pdf", args=[report.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    pdf = tmp_path / "draft.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    for expected in (
        "中共石匣乡委员会",
        "如何发展壮大村级集体经济",
        "村级集体经济薄弱",
        "班子配备情况",
        "第1部分",
        "书记",
    ):
        assert expected in text, expected
    assert "Page 1 of 1" in text  # the page-number margin box
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True).stdout
    assert "Noto-Serif-CJK-SC" in fonts and "Noto-Sans-CJK-SC" in fonts


def test_the_pdf_prints_the_latest_approved_version_while_a_new_one_is_written(staff, world, chain, tmp_path):
    approve_to(submitted(world, chain), chain, 4)
    services_drafts.draft_save(
        actor=chain.shijia_user,
        report=world.county_reports[0],
        text="尚未审核的新稿",
        item_answers=chain.answers,
    )
    response = staff.get(reverse("drafts:pdf", args=[world.county_reports[0].pk]))
    pdf = tmp_path / "draft.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    assert TEXT_V1.splitlines()[1] in text and "尚未审核的新稿" not in text


def test_the_pdf_is_not_for_other_townships(client, world, chain):
    approve_to(submitted(world, chain), chain, 4)
    client.force_login(world.liaoyang_staff)
    assert client.get(reverse("drafts:pdf", args=[world.county_reports[0].pk])).status_code == 404
    client.force_login(chain.shijia_user)
    assert client.get(reverse("drafts:pdf", args=[world.county_reports[0].pk])).status_code == 200
