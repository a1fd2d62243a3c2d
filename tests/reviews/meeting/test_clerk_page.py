"""The clerk's page (/manage/clerk/<session>/): the reporter on the floor, cards saved as they are typed."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from reviews.audit.models import AuditEvent
from reviews.meeting import services
from reviews.meeting.models import Comment, Question

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


@pytest.fixture(autouse=True)
def _chinese_and_fresh_cache():
    cache.clear()
    with translation.override("zh-hans"):
        yield
    cache.clear()


@pytest.fixture
def clerk(client, world):
    client.force_login(world.county_staff)
    return client


def _page(client, world, **params):
    return client.get(reverse("clerk:session", args=[world.county_session.pk]), params)


def _new_url(world, report=None, kind="question"):
    report = report or world.county_reports[0]
    return reverse(f"clerk:{kind}_new", args=[world.county_session.pk, report.pk])


def _question(world, report=None, **fields):
    return services.question_save(
        actor=world.county_staff, report=report or world.county_reports[0], **fields
    )


# ---------------------------------------------------------------------------------------------------
# The page


def test_it_opens_on_the_reporter_the_host_console_has_on_the_floor(clerk, world):
    world.county_session.current_report = world.county_reports[1]
    world.county_session.save()
    _question(world, world.county_reports[1], question="集体经济怎么发展？", answer="发展光伏。")
    _question(world, world.county_reports[0], question="冬春训为何流于形式？")
    response = _page(clerk, world)
    page = response.content.decode()
    assert response.context["report"] == world.county_reports[1]
    assert "集体经济怎么发展？" in page and "发展光伏。" in page
    assert "冬春训为何流于形式？" not in page
    assert "现场质询" in page and "点评" in page and "李春华" in page
    # the switcher lists every reporter in speaking order
    assert page.index("1. 中共石匣乡委员会") < page.index("2. 中共辽阳镇委员会")


def test_another_reporter_can_be_chosen(clerk, world):
    _question(world, world.county_reports[0], question="冬春训为何流于形式？")
    page = _page(clerk, world, report=world.county_reports[0].pk).content.decode()
    assert "冬春训为何流于形式？" in page


def test_without_a_current_reporter_it_opens_on_the_first(clerk, world):
    assert _page(clerk, world).context["report"] == world.county_reports[0]


def test_an_empty_reporter_gets_a_blank_card_ready_to_type_in(clerk, world):
    page = _page(clerk, world).content.decode()
    assert f'data-save="{_new_url(world)}"' in page
    assert 'name="client_key"' in page and "<template" in page and "添加质询" in page


def test_a_card_shows_its_stored_fields(clerk, world):
    _question(world, asker_role="public", asker_name="张大伯", question="低保公开吗？", satisfaction="fairly")
    card = _page(clerk, world).context["questions"][0]
    assert card.form["asker_role"].value() == "public"
    assert card.form["asker_name"].value() == "张大伯"
    assert card.form["satisfaction"].value() == "fairly"


def test_the_page_needs_a_bounded_number_of_queries(clerk, world, django_assert_max_num_queries):
    for n in range(12):
        _question(world, question=f"问题{n}", answer=f"答复{n}")
    services.comment_save(actor=world.county_staff, report=world.county_reports[0], text="点评")
    with django_assert_max_num_queries(12):
        assert _page(clerk, world).status_code == 200


# ---------------------------------------------------------------------------------------------------
# Saving as typed


def test_the_first_save_of_a_new_card_creates_the_question(clerk, world):
    response = clerk.post(
        _new_url(world),
        {
            "asker_role": "party_member",
            "question": "不合格党员处置不到位，下段怎么打算？",
            "client_key": "kabc12345",
        },
        **XHR,
    )
    assert response.status_code == 201
    answer = response.json()
    question = Question.objects.get(pk=answer["id"])
    assert question.question == "不合格党员处置不到位，下段怎么打算？"
    assert question.report == world.county_reports[0] and question.order == 1
    assert answer["urls"]["save"] == reverse("clerk:question_save", args=[question.pk])
    assert len(answer["saved"]) == 8 and answer["saved"].count(":") == 2
    assert AuditEvent.objects.filter(action="question.create", actor=world.county_staff).count() == 1


def test_a_resent_first_save_finds_the_question_instead_of_making_another(clerk, world):
    data = {"asker_role": "public", "question": "村务公开吗", "client_key": "kresent001"}
    first = clerk.post(_new_url(world), data, **XHR)
    again = clerk.post(_new_url(world), data | {"question": "村务公开吗？"}, **XHR)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert list(Question.objects.values_list("question", flat=True)) == ["村务公开吗？"]


def test_a_card_is_saved_as_it_is_typed(clerk, world):
    question = _question(world, question="如何保证低限运转经费")
    url = reverse("clerk:question_save", args=[question.pk])
    for text in ("如何保证低限运转经费逐额", "如何保证低限运转经费逐额发放到位？"):
        response = clerk.post(url, {"question": text, "satisfaction": "satisfied"}, **XHR)
        assert response.status_code == 200 and response.json()["id"] == question.pk
    question.refresh_from_db()
    assert question.question == "如何保证低限运转经费逐额发放到位？"
    assert question.satisfaction == "satisfied"
    assert AuditEvent.objects.filter(action="question.update", object_id=str(question.pk)).count() == 2


def test_fields_left_out_of_a_save_keep_their_value(clerk, world):
    question = _question(world, asker_role="leader", asker_name="刘副书记", question="问题", answer="")
    clerk.post(reverse("clerk:question_save", args=[question.pk]), {"answer": "年内完成。"}, **XHR)
    question.refresh_from_db()
    assert (question.asker_role, question.asker_name, question.question, question.answer) == (
        "leader",
        "刘副书记",
        "问题",
        "年内完成。",
    )


def test_satisfaction_can_be_cleared_again(clerk, world):
    question = _question(world, question="问题", satisfaction="unsatisfied")
    clerk.post(reverse("clerk:question_save", args=[question.pk]), {"satisfaction": ""}, **XHR)
    assert Question.objects.get(pk=question.pk).satisfaction == ""


def test_a_save_that_does_not_fit_is_refused_with_a_message(clerk, world):
    question = _question(world, question="问题")
    response = clerk.post(
        reverse("clerk:question_save", args=[question.pk]),
        {"asker_name": "名" * 41, "question": "改了"},
        **XHR,
    )
    assert response.status_code == 400 and "40" in response.json()["error"]
    assert Question.objects.get(pk=question.pk).question == "问题"


def test_an_unknown_asker_role_is_refused(clerk, world):
    question = _question(world, question="问题")
    response = clerk.post(reverse("clerk:question_save", args=[question.pk]), {"asker_role": "boss"}, **XHR)
    assert response.status_code == 400


def test_without_javascript_a_card_saves_and_comes_back_to_its_place(clerk, world):
    question = _question(world)
    response = clerk.post(
        reverse("clerk:question_save", args=[question.pk]),
        {"asker_role": "public", "question": "低保评定是否公开？", "answer": "", "satisfaction": ""},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?report={question.report_id}#q{question.pk}")
    assert Question.objects.get(pk=question.pk).asker_role == "public"


def test_without_javascript_adding_a_question_makes_an_empty_card(clerk, world):
    response = clerk.post(_new_url(world))
    question = Question.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#q{question.pk}")
    assert (question.asker_role, question.question) == ("party_member", "")


def test_questions_are_numbered_in_the_order_they_were_added(clerk, world):
    ids = [clerk.post(_new_url(world), {"question": f"问{n}"}, **XHR).json()["id"] for n in range(3)]
    assert list(Question.objects.filter(pk__in=ids).order_by("order").values_list("pk", flat=True)) == ids
    assert [card.number for card in _page(clerk, world).context["questions"]] == [1, 2, 3]


def test_a_report_of_another_session_cannot_be_reached_through_this_one(clerk, world):
    other = world.county_reports[0]
    url = reverse("clerk:question_new", args=[world.shijia_session.pk, other.pk])
    assert clerk.post(url, {"question": "问题"}, **XHR).status_code == 404
    assert not Question.objects.exists()


# ---------------------------------------------------------------------------------------------------
# Comments


def test_a_comment_is_created_saved_as_typed_and_suggested_next_time(clerk, world):
    report = world.county_reports[1]
    created = clerk.post(
        _new_url(world, report, "comment"),
        {"commenter": "县委书记 宋云文", "text": "主业意识", "client_key": "kcomment01"},
        **XHR,
    ).json()
    clerk.post(
        reverse("clerk:comment_save", args=[created["id"]]),
        {"text": "主业意识不强，要进一步强化。"},
        **XHR,
    )
    comment = Comment.objects.get()
    assert (comment.report, comment.commenter, comment.text) == (
        report,
        "县委书记 宋云文",
        "主业意识不强，要进一步强化。",
    )
    page = _page(clerk, world, report=world.county_reports[0].pk).content.decode()
    assert '<option value="县委书记 宋云文">' in page


# ---------------------------------------------------------------------------------------------------
# Deleting


def test_deleting_asks_first_without_javascript(clerk, world):
    question = _question(world, question="误录的问题")
    url = reverse("clerk:question_delete", args=[question.pk])
    page = clerk.get(url).content.decode()
    assert "确定删除这条质询？" in page and "误录的问题" in page
    response = clerk.post(url)
    assert response.status_code == 302 and not Question.objects.exists()
    assert AuditEvent.objects.filter(action="question.delete").exists()


def test_the_page_script_deletes_with_json(clerk, world):
    question = _question(world, question="误录的问题")
    response = clerk.post(reverse("clerk:question_delete", args=[question.pk]), **XHR)
    assert response.json() == {"deleted": True} and not Question.objects.exists()


# ---------------------------------------------------------------------------------------------------
# Who may


def test_township_staff_cannot_open_the_county_meeting_even_about_their_own_secretary(client, world):
    question = _question(world, question="问题")  # about 石匣乡, the township of shijia_staff
    comment = services.comment_save(actor=world.county_staff, report=world.county_reports[0], text="点评")
    client.force_login(world.shijia_staff)
    assert _page(client, world).status_code == 404
    posts = [
        (reverse("clerk:question_save", args=[question.pk]), {"question": "改"}),
        (reverse("clerk:question_hand_over", args=[question.pk]), {}),
        (reverse("clerk:question_delete", args=[question.pk]), {}),
        (_new_url(world), {"question": "新"}),
        (reverse("clerk:comment_save", args=[comment.pk]), {"text": "改"}),
        (reverse("clerk:comment_hand_over", args=[comment.pk]), {}),
        (_new_url(world, kind="comment"), {"text": "新"}),
    ]
    for url, data in posts:
        assert client.post(url, data, **XHR).status_code == 404, url
    assert list(Question.objects.values_list("question", "handed_over")) == [("问题", False)]
    assert list(Comment.objects.values_list("text", flat=True)) == ["点评"]


def test_township_staff_use_the_page_for_the_meeting_their_committee_holds(client, world):
    from reviews.cycles.models import Report

    report = Report.objects.create(session=world.shijia_session, organisation=world.shijia_v1, order=1)
    client.force_login(world.shijia_staff)
    assert client.get(reverse("clerk:session", args=[world.shijia_session.pk])).status_code == 200
    url = reverse("clerk:question_new", args=[world.shijia_session.pk, report.pk])
    assert client.post(url, {"question": "村里的账公开吗？"}, **XHR).status_code == 201


def test_anonymous_users_are_sent_to_log_in_and_the_script_is_told_with_a_401(client, world):
    question = _question(world, question="问题")
    response = _page(client, world)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    url = reverse("clerk:question_save", args=[question.pk])
    assert client.post(url, {"question": "改"}).status_code == 302
    refused = client.post(url, {"question": "改"}, **XHR)
    assert refused.status_code == 401 and refused.json()["login"] is True
    assert Question.objects.get(pk=question.pk).question == "问题"


def test_accounts_that_are_not_staff_are_refused(client, world):
    user = User.objects.create_user("secretary", password="pw")
    client.force_login(user)
    assert _page(client, world).status_code == 403
