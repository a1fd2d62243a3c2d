"""发布结果 asks first, showing what will be frozen."""

import pytest
from django.urls import reverse
from django.utils import translation

from scoring.ballots import services as ballots_services
from scoring.results.models import ResultSnapshot
from tests.scoring.results.test_pages import _close, _vote_leaders


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def _url(world, name: str) -> str:
    return reverse(f"scoring:{name}", args=[world.session.pk])


@pytest.fixture
def closed(scored):
    _vote_leaders(scored)
    _close(scored)
    return scored


def test_the_results_page_links_to_the_confirm_page_instead_of_publishing(client, closed):
    client.force_login(closed.county_staff)
    html = client.get(_url(closed, "results")).content.decode()
    assert _url(closed, "publish_confirm") in html and 'action="' + _url(closed, "publish") not in html


def test_the_confirm_page_shows_ranks_scores_grades_and_the_digest(client, closed):
    client.force_login(closed.county_staff)
    response = client.get(_url(closed, "publish_confirm"))
    html = response.content.decode()
    digest = response.context["data"].result.digest[:16]
    assert f"测评票摘要 {digest}" in html and "100.00" in html and "80.00" in html
    assert html.index("中共石匣乡委员会") < html.index("中共辽阳镇委员会")
    assert 'name="confirm" value="yes"' in html
    assert not ResultSnapshot.objects.exists()


def test_a_post_without_the_confirmation_freezes_nothing(client, closed):
    client.force_login(closed.county_staff)
    response = client.post(_url(closed, "publish"))
    assert response.status_code == 302 and response["Location"] == _url(closed, "publish_confirm")
    assert not ResultSnapshot.objects.exists()


def test_the_confirmed_post_publishes(client, closed):
    client.force_login(closed.county_staff)
    client.post(_url(closed, "publish"), {"confirm": "yes"})
    assert ResultSnapshot.objects.filter(session=closed.session).count() == 1


def test_the_confirm_page_refuses_before_scoring_has_ended(client, scored):
    code = scored.leader_codes[0].token
    ballots_services.ballot_submit(code=code, marks=scored.marks(), submission_key="k")
    client.force_login(scored.county_staff)
    response = client.get(_url(scored, "publish_confirm"), follow=True)
    assert "请先结束测评再发布结果" in " ".join(str(m) for m in response.context["messages"])
    assert response.redirect_chain[-1][0] == _url(scored, "results")
    assert not ResultSnapshot.objects.exists()


def test_once_published_the_confirm_page_sends_back_to_the_results(client, closed):
    client.force_login(closed.county_staff)
    client.post(_url(closed, "publish"), {"confirm": "yes"})
    response = client.get(_url(closed, "publish_confirm"), follow=True)
    assert "本次会议结果已发布" in " ".join(str(m) for m in response.context["messages"])


def test_township_staff_get_404(client, closed):
    client.force_login(closed.shijia_staff)
    assert client.get(_url(closed, "publish_confirm")).status_code == 404
