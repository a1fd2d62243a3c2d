"""The secretary's pages: my reports, writing and submitting the draft, versions and their comparison."""

import datetime

import pytest
from django.urls import reverse

from reviews.cycles.models import Report
from reviews.drafts import services as services_drafts
from reviews.drafts.models import Draft, DraftStatus
from tests.reviews.drafts.test_support import (
    TEXT_V1,
    approve_to,
    build_chain,
    pdf_upload,
    private_storage_in,
    submitted,
)


@pytest.fixture(autouse=True)
def _storage(tmp_path, settings, monkeypatch):
    private_storage_in(tmp_path, settings, monkeypatch)


@pytest.fixture
def chain(world):
    return build_chain(world)


@pytest.fixture
def secretary(client, chain):
    client.force_login(chain.shijia_user)
    client.cookies["django_language"] = "en"
    return client


def _form(chain, text=TEXT_V1, action="save", ticked=None):
    data = {"text": text, "action": action}
    ticked = chain.must if ticked is None else ticked
    for n, item in enumerate(ticked, start=1):
        data[f"done_{item.pk}"] = "on"
        data[f"where_{item.pk}"] = f"第{n}部分"
    return data


# My reports


def test_my_reports_show_the_session_order_topic_items_deadline_and_status(secretary, world, chain):
    report = world.county_reports[0]
    report.topic = "如何发展壮大村级集体经济"
    report.save()
    submitted(world, chain)
    page = secretary.get(reverse("drafts:mine")).content.decode()
    assert world.county_session.title in page and "如何发展壮大村级集体经济" in page
    assert "班子配备情况" in page and "提升组织力的经验做法" in page
    assert "No. 1" in page
    assert "Jan. 13, 2026" in page  # three days before the session on 16 January
    assert "In review" in page and "党建科室负责人" in page and "reviewer1" in page
    assert world.liaoyang.name not in page


def test_my_reports_include_a_slot_left_to_the_appointment(client, world, chain):
    # An empty secretary means the organisation's secretary on the session date (王建国 for 石匣乡).
    Report.objects.filter(pk=world.county_reports[0].pk).update(secretary=None)
    client.force_login(chain.shijia_user)
    page = client.get(reverse("drafts:mine")).content.decode()
    assert reverse("drafts:edit", args=[world.county_reports[0].pk]) in page


def test_a_login_without_a_person_sees_an_explanation(client, world):
    client.force_login(world.county_staff)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("drafts:mine"))
    assert response.status_code == 200 and "not linked to a secretary" in response.content.decode()


def test_the_pages_need_a_login(client, world):
    assert client.get(reverse("drafts:mine")).status_code == 302


# Writing


def test_another_secretary_gets_a_404(client, world, chain):
    client.force_login(chain.liaoyang_user)
    assert client.get(reverse("drafts:edit", args=[world.county_reports[0].pk])).status_code == 404
    response = client.post(reverse("drafts:edit", args=[world.county_reports[0].pk]), {"text": "x"})
    assert response.status_code == 404 and not Draft.objects.exists()
    assert client.get(reverse("drafts:versions", args=[world.county_reports[0].pk])).status_code == 404


def test_staff_cannot_write_a_secretarys_draft(client, world, chain):
    client.force_login(world.county_staff)
    assert client.get(reverse("drafts:edit", args=[world.county_reports[0].pk])).status_code == 404


def test_saving_keeps_the_line_breaks_and_the_ticked_items(secretary, world, chain):
    url = reverse("drafts:edit", args=[world.county_reports[0].pk])
    data = _form(chain, text="第一行\r\n\r\n第二行")
    data[f"where_{chain.bonus[0].pk}"] = "没有勾选，不算"
    response = secretary.post(url, data)
    assert response.status_code == 302
    draft = Draft.objects.get()
    assert draft.text == "第一行\n\n第二行" and draft.status == DraftStatus.WRITING
    assert draft.item_answers == {str(chain.must[0].pk): "第1部分", str(chain.must[1].pk): "第2部分"}
    page = secretary.get(url).content.decode()
    assert "第一行\n\n第二行" in page and 'value="第2部分"' in page


def test_a_ticked_item_needs_a_reference(secretary, world, chain):
    data = _form(chain)
    data[f"where_{chain.must[0].pk}"] = ""
    response = secretary.post(reverse("drafts:edit", args=[world.county_reports[0].pk]), data)
    assert (
        response.status_code == 400 and "Say where the draft answers this item." in response.content.decode()
    )
    assert not Draft.objects.exists()


def test_save_and_submit_sends_it_to_the_first_step(secretary, world, chain):
    url = reverse("drafts:edit", args=[world.county_reports[0].pk])
    response = secretary.post(url, _form(chain, action="submit"), follow=True)
    draft = Draft.objects.get()
    assert draft.status == DraftStatus.IN_REVIEW and draft.current_step == chain.steps[0]
    page = response.content.decode()
    assert "submitted; it is now with 党建科室负责人" in page
    assert 'name="text"' not in page  # no editing while in review
    assert "being reviewed" in page


def test_submitting_with_a_missing_must_answer_item_saves_but_names_the_item(secretary, world, chain):
    url = reverse("drafts:edit", args=[world.county_reports[0].pk])
    response = secretary.post(url, _form(chain, action="submit", ticked=chain.must[:1]), follow=True)
    page = response.content.decode()
    assert "not submitted" in page and "巡视巡察反馈问题整改情况" in page
    assert Draft.objects.get().status == DraftStatus.WRITING


def test_uploading_a_file_with_the_draft(secretary, world, chain):
    url = reverse("drafts:edit", args=[world.county_reports[0].pk])
    data = _form(chain, text="")
    data["file"] = pdf_upload("石匣乡述职报告.pdf")
    assert secretary.post(url, data).status_code == 302
    draft = Draft.objects.get()
    assert draft.file.name.endswith("/石匣乡述职报告.pdf")
    page = secretary.get(url).content.decode()
    assert "石匣乡述职报告.pdf" in page and reverse("drafts:file", args=[draft.pk]) in page


def test_after_a_return_the_page_shows_the_comments_and_saves_version_two(secretary, world, chain):
    draft = approve_to(submitted(world, chain), chain, 1)
    services_drafts.draft_review(
        actor=chain.reviewers[1], draft=draft, decision="return", comment="数据要更新到年底"
    )
    url = reverse("drafts:edit", args=[world.county_reports[0].pk])
    page = secretary.get(url).content.decode()
    assert "数据要更新到年底" in page and "分管副部长" in page and "Saving makes version 2" in page
    assert TEXT_V1.splitlines()[1] in page  # the returned text is the starting point
    secretary.post(url, _form(chain, text=TEXT_V1 + "\n数据已更新。", action="submit"))
    assert list(Draft.objects.order_by("version").values_list("version", "status")) == [
        (1, DraftStatus.RETURNED),
        (2, DraftStatus.IN_REVIEW),
    ]


def test_a_finished_session_shows_the_draft_read_only(secretary, world, chain):
    submitted(world, chain)
    world.county_session.status = "finished"
    world.county_session.save()
    page = secretary.get(reverse("drafts:edit", args=[world.county_reports[0].pk])).content.decode()
    assert "can no longer be changed" in page and 'name="text"' not in page


# Versions


def test_versions_list_every_version_and_compare_the_last_two(secretary, world, chain):
    draft = submitted(world, chain)
    services_drafts.draft_review(actor=chain.reviewers[0], draft=draft, decision="return", comment="删去套话")
    new_text = (
        TEXT_V1.replace("村级集体经济薄弱。", "村级集体经济薄弱，3个村无经营性收入。") + "\n四、请组织评议"
    )
    second = services_drafts.draft_save(
        actor=chain.shijia_user, report=world.county_reports[0], text=new_text, item_answers=chain.answers
    )
    page = secretary.get(reverse("drafts:versions", args=[world.county_reports[0].pk])).content.decode()
    assert "Version 1" in page and "Version 2" in page and "删去套话" in page
    assert "<del>村级集体经济薄弱。</del>" in page
    assert '<ins class="text-decoration-none">村级集体经济薄弱，3个村无经营性收入。</ins>' in page
    assert '<ins class="text-decoration-none">四、请组织评议</ins>' in page
    assert second.version == 2


def test_comparing_two_chosen_versions(secretary, world, chain):
    draft = submitted(world, chain, text="甲\n乙")
    services_drafts.draft_review(actor=chain.reviewers[0], draft=draft, decision="return", comment="改")
    services_drafts.draft_save(
        actor=chain.shijia_user, report=world.county_reports[0], text="甲\n丙", item_answers={}
    )
    url = reverse("drafts:versions", args=[world.county_reports[0].pk])
    page = secretary.get(url, {"a": 2, "b": 1}).content.decode()
    assert "<del>丙</del>" in page and '<ins class="text-decoration-none">乙</ins>' in page
    assert secretary.get(url, {"a": "x", "b": 99}).status_code == 200


def test_a_long_unchanged_stretch_is_folded():
    from reviews.drafts.views import _line_diff

    old = "\n".join(str(n) for n in range(20))
    new = old.replace("10", "十")
    rows = _line_diff(old, new)
    assert ("removed", "10") in rows and ("added", "十") in rows
    assert ("skip", "6") in rows and len(rows) < 15


def test_the_deadline_is_three_days_before_the_session(world):
    from reviews.drafts.views import deadline_of

    assert deadline_of(world.county_session) == datetime.date(2026, 1, 13)
