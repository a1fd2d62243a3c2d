"""The scoring overview of a session (/manage/scoring/<id>/): status, scheme, turnout, open and close."""

import pytest
from django.urls import reverse
from django.utils import translation

from reviews.audit.models import AuditEvent
from scoring.ballots import services as ballots_services
from scoring.schemes import services as schemes_services
from scoring.schemes.models import Criterion, EvaluatorGroup, Scheme, ScoringStatus


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def _url(world, name: str = "session") -> str:
    return reverse(f"scoring:{name}", args=[world.county_session.pk])


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_it_shows_the_status_scheme_and_turnout_to_county_staff(client, scored_closed_scheme):
    client.force_login(scored_closed_scheme.county_staff)
    html = _page(client, _url(scored_closed_scheme))
    assert scored_closed_scheme.session.title in html
    assert "未开始" in html and "开始测评" in html
    assert "按评价要素分项评价" in html  # the mode
    assert "Members of the superior party committee" in html or "上级党委" in html
    assert "60%" in html and "40%" in html
    assert "0 / 6" in html  # nothing received of the six codes per group
    assert reverse("scoring:codes", args=[scored_closed_scheme.session.pk]) in html
    assert 'class="breadcrumb"' in html and "首页" in html


def test_township_staff_get_404_for_the_county_session(client, scored):
    client.force_login(scored.shijia_staff)
    assert client.get(_url(scored)).status_code == 404
    assert client.post(_url(scored, "close"), {"confirm": "yes"}).status_code == 404
    assert Scheme.objects.get(pk=scored.scheme.pk).scoring_status == ScoringStatus.OPEN


def test_township_staff_see_their_own_session(client, world):
    client.force_login(world.shijia_staff)
    response = client.get(reverse("scoring:session", args=[world.shijia_session.pk]))
    assert response.status_code == 200
    assert "使用默认方案" in response.content.decode()


def test_anonymous_users_are_sent_to_the_login_page(client, world):
    response = client.get(_url(world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_account_that_is_not_staff_is_refused(client, world):
    world.county_staff.is_staff = False
    world.county_staff.save()
    client.force_login(world.county_staff)
    assert client.get(_url(world)).status_code == 403


def test_writes_refuse_get(client, world):
    client.force_login(world.county_staff)
    assert client.get(_url(world, "scheme_default")).status_code == 405
    assert client.get(_url(world, "open")).status_code == 405
    assert not Scheme.objects.filter(session=world.county_session).exists()


def test_a_session_without_scheme_offers_the_default_and_a_copy(client, scored):
    """The township session has no scheme; the county one does and can be copied."""
    client.force_login(scored.superuser)
    html = _page(client, reverse("scoring:session", args=[scored.shijia_session.pk]))
    assert "使用默认方案" in html and "复制其他会议的方案" in html
    assert scored.session.title in html  # the copy source


def test_the_default_scheme_is_created(client, world):
    client.force_login(world.county_staff)
    response = client.post(_url(world, "scheme_default"), follow=True)
    scheme = Scheme.objects.get(session=world.county_session)
    assert scheme.groups.count() == 2 and scheme.criteria.count() == 6
    assert "默认测评方案" in _messages(response)
    assert AuditEvent.objects.filter(action="scheme.create").exists()


def test_the_default_scheme_is_not_created_twice(client, scored):
    client.force_login(scored.county_staff)
    response = client.post(_url(scored, "scheme_default"), follow=True)
    assert Scheme.objects.filter(session=scored.session).count() == 1
    assert "已有测评方案" in _messages(response)


def test_another_sessions_scheme_is_copied(client, scored):
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(name="党员代表")
    client.force_login(scored.county_staff)
    url = reverse("scoring:scheme_copy", args=[scored.shijia_session.pk])
    response = client.post(url, {"source": scored.session.pk}, follow=True)
    copy = Scheme.objects.get(session=scored.shijia_session)
    assert copy.scoring_status == ScoringStatus.NOT_OPEN
    assert sorted(copy.groups.values_list("name", flat=True)) == sorted([scored.leaders.name, "党员代表"])
    assert Criterion.objects.filter(scheme=copy).count() == 6
    assert "已复制" in _messages(response)


def test_a_copy_from_outside_the_scope_is_refused(client, world):
    schemes_services.scheme_create_default(actor=world.liaoyang_staff, session=world.liaoyang_session)
    client.force_login(world.shijia_staff)
    url = reverse("scoring:scheme_copy", args=[world.shijia_session.pk])
    response = client.post(url, {"source": world.liaoyang_session.pk}, follow=True)
    assert not Scheme.objects.filter(session=world.shijia_session).exists()
    assert "请选择" in _messages(response)


def test_scoring_opens_and_locks_the_scheme(client, scored_closed_scheme):
    client.force_login(scored_closed_scheme.county_staff)
    response = client.post(_url(scored_closed_scheme, "open"), follow=True)
    assert Scheme.objects.get(pk=scored_closed_scheme.scheme.pk).scoring_status == ScoringStatus.OPEN
    html = response.content.decode()
    assert "测评中" in html and "结束测评" in html and 'name="confirm"' in html


def test_opening_a_scheme_with_problems_is_refused_with_the_problem(client, scored_closed_scheme):
    EvaluatorGroup.objects.filter(pk=scored_closed_scheme.delegates.pk).update(weight=30)
    client.force_login(scored_closed_scheme.county_staff)
    html = _page(client, _url(scored_closed_scheme))
    assert "alert-warning" in html and "权重合计为90%，应为100%" in html
    response = client.post(_url(scored_closed_scheme, "open"), follow=True)
    assert Scheme.objects.get(pk=scored_closed_scheme.scheme.pk).scoring_status == ScoringStatus.NOT_OPEN
    assert "权重合计为90%" in _messages(response)


def test_closing_needs_the_confirmation(client, scored):
    client.force_login(scored.county_staff)
    response = client.post(_url(scored, "close"), follow=True)
    assert Scheme.objects.get(pk=scored.scheme.pk).scoring_status == ScoringStatus.OPEN
    assert "请勾选" in _messages(response)


def test_closing_ends_scoring_and_leads_to_the_results(client, scored):
    client.force_login(scored.county_staff)
    response = client.post(_url(scored, "close"), {"confirm": "yes"})
    assert response.status_code == 302 and response["Location"] == _url(scored, "results")
    assert Scheme.objects.get(pk=scored.scheme.pk).scoring_status == ScoringStatus.CLOSED


def test_closing_when_scoring_is_not_open_says_so(client, scored_closed_scheme):
    client.force_login(scored_closed_scheme.county_staff)
    response = client.post(_url(scored_closed_scheme, "close"), {"confirm": "yes"}, follow=True)
    assert Scheme.objects.get(pk=scored_closed_scheme.scheme.pk).scoring_status == ScoringStatus.NOT_OPEN
    assert "测评尚未开始" in _messages(response)


def test_turnout_counts_received_ballots(client, scored):
    for code in scored.leader_codes[:3]:
        ballots_services.ballot_submit(code=code.token, marks=scored.marks(), submission_key="k")
    client.force_login(scored.county_staff)
    html = _page(client, _url(scored))
    assert "3 / 6" in html and "50.0%" in html
    assert "3 / 12" in html  # the total row


def test_opening_and_closing_a_session_without_scheme_points_to_the_setup(client, world):
    client.force_login(world.county_staff)
    response = client.post(_url(world, "open"), follow=True)
    assert response.status_code == 200
    assert "尚未设置测评方案" in _messages(response)


@pytest.mark.parametrize("ballots", [1, 6])
def test_the_overview_needs_a_bounded_number_of_queries(
    client, scored, django_assert_max_num_queries, ballots
):
    for i, code in enumerate(scored.leader_codes[:ballots]):
        ballots_services.ballot_submit(code=code.token, marks=scored.marks(), submission_key=f"k{i}")
    client.force_login(scored.county_staff)
    with django_assert_max_num_queries(16):
        assert client.get(_url(scored)).status_code == 200
