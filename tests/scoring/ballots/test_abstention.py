"""One blank-item rule on every surface: the ballot and review pages, paper entry, the paper form."""

import pytest
from django.urls import reverse
from django.utils import translation

from scoring.ballots.models import Ballot, Score
from scoring.errors import ScoringError
from scoring.paper import services as paper_services
from scoring.paper.documents import _instructions
from scoring.paper.models import PaperBallot
from scoring.schemes.models import Scheme
from tests.scoring.conftest import count_held_ballots


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def _url(name, world) -> str:
    return reverse(f"vote:{name}", args=[world.leader_codes[0].token])


def _one_item_blank(world) -> dict[str, str]:
    data = world.form_data()
    del data[f"m-{world.reports[1].pk}-{world.criteria[0].pk}"]
    return data


def test_with_abstention_the_review_page_accepts_a_blank_item_and_says_it_is_an_abstention(client, scored):
    Scheme.objects.filter(pk=scored.scheme.pk).update(allow_abstention=True)
    response = client.post(_url("review", scored), _one_item_blank(scored))
    html = response.content.decode()
    assert "确认提交" in html and 'role="alert"' not in html
    assert "1 项弃权" in html


def test_with_abstention_a_submitted_blank_item_is_left_out_and_the_rest_is_stored(client, scored):
    Scheme.objects.filter(pk=scored.scheme.pk).update(allow_abstention=True)
    response = client.post(_url("submit", scored), _one_item_blank(scored))
    count_held_ballots()
    assert response.status_code == 200 and Ballot.objects.count() == 1
    assert Score.objects.count() == len(scored.reports) * len(scored.criteria) - 1


def test_without_abstention_the_review_page_refuses_a_blank_item_and_names_the_reporter(client, scored):
    response = client.post(_url("review", scored), _one_item_blank(scored))
    html = response.content.decode()
    assert "确认提交" not in html and "尚未评分" in html and "中共辽阳镇委员会" in html


def test_with_abstention_paper_entry_accepts_a_form_with_a_blank_item(scored):
    Scheme.objects.filter(pk=scored.scheme.pk).update(allow_abstention=True)
    marks = scored.marks()
    marks[(scored.reports[1].pk, scored.criteria[0].pk)] = ""
    paper_services.paper_entry_submit(
        actor=scored.county_staff, session=scored.session, group=scored.delegates, serial=3, marks=marks
    )
    assert PaperBallot.objects.count() == 1


def test_without_abstention_paper_entry_refuses_a_form_with_a_blank_item_and_stores_nothing(scored):
    marks = scored.marks()
    marks[(scored.reports[1].pk, scored.criteria[0].pk)] = ""
    with pytest.raises(ScoringError) as info:
        paper_services.paper_entry_submit(
            actor=scored.county_staff, session=scored.session, group=scored.delegates, serial=3, marks=marks
        )
    assert info.value.code == "incomplete" and "中共辽阳镇委员会" in info.value.message
    assert not PaperBallot.objects.exists()


def test_the_paper_form_says_what_the_page_does_in_each_setting(scored):
    scheme = Scheme.objects.get(pk=scored.scheme.pk)
    assert any("均须填写" in line for line in _instructions(scheme, scored.delegates))
    scheme.allow_abstention = True
    assert "空着的项目只对该项弃权，其余项目照常计票。" in _instructions(scheme, scored.delegates)
    scheme.mode = "points"
    assert any("全部留空" in line and "无效" in line for line in _instructions(scheme, scored.delegates))
