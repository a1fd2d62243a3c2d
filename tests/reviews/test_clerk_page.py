"""The clerk's page: questions and comments typed on the spot, saved as typed, handed over."""

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import Finding, Question


@pytest.fixture
def clerk(client, world):
    client.force_login(world.county_staff)
    return client


def _question(world, **fields):
    return services.question_save(actor=world.county_staff, report=world.county_reports[0], **fields)


def test_the_page_shows_the_current_reporter_and_its_questions(clerk, world):
    world.county_session.current_report = world.county_reports[1]
    world.county_session.save()
    services.question_save(
        actor=world.county_staff, report=world.county_reports[1], question="集体经济怎么发展？"
    )
    page = clerk.get(reverse("clerk:session", args=[world.county_session.pk])).content.decode()
    assert "集体经济怎么发展？" in page and "现场质询" in page


def test_adding_and_autosaving_a_question(clerk, world):
    report = world.county_reports[0]
    created = clerk.post(
        reverse("clerk:question_new", args=[report.pk]), HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    ).json()
    question = Question.objects.get(pk=created["id"])
    prefix = f"q{question.pk}"
    response = clerk.post(
        reverse("clerk:question_save", args=[question.pk]),
        {
            f"{prefix}-asker_role": "party_member",
            f"{prefix}-asker_name": "",
            f"{prefix}-question": "不合格党员处置工作不到位，下段怎么打算？",
            f"{prefix}-answer": "年内完成处置。",
            f"{prefix}-satisfaction": "fairly",
        },
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.status_code == 200 and ":" in response.json()["saved"]
    question.refresh_from_db()
    assert (question.question, question.answer, question.satisfaction) == (
        "不合格党员处置工作不到位，下段怎么打算？",
        "年内完成处置。",
        "fairly",
    )


def test_without_javascript_the_form_saves_and_returns_to_the_page(clerk, world):
    question = _question(world)
    prefix = f"q{question.pk}"
    response = clerk.post(
        reverse("clerk:question_save", args=[question.pk]),
        {f"{prefix}-asker_role": "public", f"{prefix}-question": "低保评定是否公开？"},
    )
    assert response.status_code == 302 and f"report={question.report_id}" in response["Location"]
    assert Question.objects.get(pk=question.pk).asker_role == "public"


def test_handing_over_from_the_page_makes_a_finding(clerk, world):
    question = _question(world, question="党员冬春训流于形式")
    clerk.post(reverse("clerk:question_hand_over", args=[question.pk]))
    clerk.post(reverse("clerk:question_hand_over", args=[question.pk]))
    assert Finding.objects.filter(question=question).count() == 1
    page = clerk.get(reverse("clerk:session", args=[world.county_session.pk])).content.decode()
    assert "已交办" in page


def test_an_empty_question_is_not_handed_over(clerk, world):
    question = _question(world)
    response = clerk.post(reverse("clerk:question_hand_over", args=[question.pk]), follow=True)
    assert "请先填写问题内容再交办" in response.content.decode()
    assert not Finding.objects.exists()


def test_a_comment_is_saved_and_handed_over(clerk, world):
    report = world.county_reports[1]
    clerk.post(
        reverse("clerk:comment_new", args=[report.pk]),
        {"cnew-commenter": "县委书记", "cnew-text": "主业意识不强。"},
    )
    comment = report.comments.get()
    clerk.post(reverse("clerk:comment_hand_over", args=[comment.pk]))
    finding = Finding.objects.get(comment=comment)
    assert (finding.organisation, finding.source) == (world.liaoyang, "comment")


def test_township_staff_cannot_touch_the_county_meeting(client, world):
    question = _question(world, question="问题")
    client.force_login(world.liaoyang_staff)
    assert client.get(reverse("clerk:session", args=[world.county_session.pk])).status_code == 404
    response = client.post(
        reverse("clerk:question_save", args=[question.pk]), {f"q{question.pk}-question": "改"}
    )
    assert response.status_code == 404
    assert Question.objects.get(pk=question.pk).question == "问题"


def test_anonymous_users_are_sent_to_log_in(client, world):
    assert client.get(reverse("clerk:session", args=[world.county_session.pk])).status_code == 302
