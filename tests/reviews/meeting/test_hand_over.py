"""交办 from the clerk's page: a question or a comment becomes one finding (问题) of the organisation."""

import pytest
from django.urls import reverse
from django.utils import translation

from reviews.findings.models import Finding, FindingSource
from reviews.meeting import services
from reviews.meeting.models import Question

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def clerk(client, world):
    client.force_login(world.county_staff)
    return client


def _question(world, **fields):
    return services.question_save(actor=world.county_staff, report=world.county_reports[0], **fields)


def _hand_over(client, question, data=None, **extra):
    return client.post(reverse("clerk:question_hand_over", args=[question.pk]), data or {}, **extra)


def test_handing_over_makes_exactly_one_finding_with_the_right_facts(clerk, world):
    question = _question(world, question="党员冬春训流于形式，今后如何改进？", answer="分批轮训。")
    first = _hand_over(clerk, question, **XHR)
    second = _hand_over(clerk, question, **XHR)
    finding = Finding.objects.get()
    assert first.json() == second.json() == {"handed_over": True, "finding": finding.pk}
    assert finding.cycle == world.cycle
    assert finding.organisation == world.shijia
    assert finding.source == FindingSource.QUESTION
    assert finding.description == "党员冬春训流于形式，今后如何改进？"
    assert (finding.report, finding.question, finding.created_by) == (
        world.county_reports[0],
        question,
        world.county_staff,
    )
    assert Question.objects.get(pk=question.pk).handed_over


def test_what_was_typed_with_the_button_is_saved_before_handing_over(clerk, world):
    question = _question(world, question="低限运转")
    response = _hand_over(
        clerk, question, {"asker_role": "party_member", "question": "如何保证低限运转经费逐额发放到位？"}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#q{question.pk}")
    assert Finding.objects.get().description == "如何保证低限运转经费逐额发放到位？"


def test_an_empty_question_is_not_handed_over(clerk, world):
    question = _question(world, question="   ")
    refused = _hand_over(clerk, question, **XHR)
    assert refused.status_code == 409 and refused.json()["error"] == "请先填写问题内容再交办。"
    page = _hand_over(clerk, question, follow=True).content.decode()
    assert "请先填写问题内容再交办。" in page
    assert not Finding.objects.exists() and not Question.objects.get(pk=question.pk).handed_over


def test_the_page_shows_it_handed_over_and_offers_no_second_hand_over(clerk, world):
    question = _question(world, question="不合格党员处置工作不到位")
    _hand_over(clerk, question)
    page = clerk.get(reverse("clerk:session", args=[world.county_session.pk])).content.decode()
    card = page[page.index(f'id="q{question.pk}"') :]
    card = card[: card.index("</article>")]
    assert "已交办" in card
    assert reverse("clerk:question_hand_over", args=[question.pk]) not in card
    assert reverse("clerk:question_delete", args=[question.pk]) not in card


def test_a_handed_over_question_can_still_be_corrected(clerk, world):
    question = _question(world, question="冬春训流于行式")
    _hand_over(clerk, question)
    url = reverse("clerk:question_save", args=[question.pk])
    assert clerk.post(url, {"question": "冬春训流于形式"}, **XHR).status_code == 200
    assert Question.objects.get(pk=question.pk).question == "冬春训流于形式"


def test_deleting_is_refused_after_handing_over(clerk, world):
    question = _question(world, question="问题")
    _hand_over(clerk, question)
    url = reverse("clerk:question_delete", args=[question.pk])
    refused = clerk.post(url, **XHR)
    assert refused.status_code == 409 and refused.json()["error"] == "已交办为问题的质询不能删除。"
    assert "已交办为问题的质询不能删除。" in clerk.post(url, follow=True).content.decode()
    assert "已交办为问题的质询不能删除。" in clerk.get(url).content.decode()
    assert Question.objects.filter(pk=question.pk).exists()


def test_a_comment_is_handed_over_once_as_a_comment_finding(clerk, world):
    comment = services.comment_save(
        actor=world.county_staff, report=world.county_reports[1], commenter="县委书记", text="主业意识不强。"
    )
    url = reverse("clerk:comment_hand_over", args=[comment.pk])
    clerk.post(url, **XHR)
    clerk.post(url, **XHR)
    finding = Finding.objects.get()
    assert (finding.organisation, finding.source, finding.description, finding.comment) == (
        world.liaoyang,
        FindingSource.COMMENT,
        "主业意识不强。",
        comment,
    )


def test_an_empty_comment_is_not_handed_over(clerk, world):
    comment = services.comment_save(actor=world.county_staff, report=world.county_reports[1], text="")
    response = clerk.post(reverse("clerk:comment_hand_over", args=[comment.pk]), **XHR)
    assert response.status_code == 409 and not Finding.objects.exists()
