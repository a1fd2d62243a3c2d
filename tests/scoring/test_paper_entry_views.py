"""The paper entry pages: blind double entry by two staff members, and a third one checking a mismatch."""

import pytest
from django.test import Client
from django.urls import reverse

from scoring.models import Ballot, EvaluatorGroup, PaperBallot, PaperStatus
from tests.conftest import make_staff


@pytest.fixture
def clerks(scored):
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(paper_issued=10)
    users = (scored.county_staff, scored.superuser, make_staff("clerk3", scored.county))
    clients = []
    for user in users:
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def _form(world, serial=7, grade="good", **by_order):
    data = {"group": world.delegates.pk, "serial": serial}
    data.update({f"m-{r}-{c}": v for (r, c), v in world.marks(grade, **by_order).items()})
    return data


def _url(world):
    return reverse("paper_entry:entry", args=[world.session.pk])


def test_two_clerks_agreeing_count_the_form(scored, clerks):
    first = clerks[0].post(_url(scored), _form(scored), follow=True).content.decode()
    assert "第一遍已保存" in first or "等待第二人录入" in first
    second = clerks[1].post(_url(scored), _form(scored), follow=True).content.decode()
    assert "已计入" in second
    assert Ballot.objects.filter(channel="paper").count() == 1


def test_the_second_clerk_does_not_see_the_first_entry(scored, clerks):
    clerks[0].post(_url(scored), _form(scored, r2="poor"))
    page = clerks[1].get(_url(scored)).content.decode()
    assert " checked" not in page


def test_a_mismatch_is_resolved_by_a_third_person_on_the_resolve_page(scored, clerks):
    clerks[0].post(_url(scored), _form(scored, r2="poor"))
    clerks[1].post(_url(scored), _form(scored, r2="average"))
    paper = PaperBallot.objects.get()
    assert paper.status == PaperStatus.MISMATCH
    resolve = reverse("paper_entry:resolve", args=[paper.pk])
    page = clerks[2].get(resolve).content.decode()
    assert "table-danger" in page and "poor" in page and "average" in page
    refused = clerks[0].post(resolve, _form(scored, r2="poor"), follow=True).content.decode()
    assert "第三名工作人员" in refused
    clerks[2].post(resolve, _form(scored, r2="poor"))
    paper.refresh_from_db()
    assert paper.status == PaperStatus.COUNTED and Ballot.objects.count() == 1


def test_an_incomplete_form_is_refused_and_the_typed_marks_stay(scored, clerks):
    data = _form(scored)
    data.pop(f"m-{scored.reports[1].pk}-{scored.criteria[0].pk}")
    response = clerks[0].post(_url(scored), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "请为每位述职对象评分" in page and " checked" in page
    assert not PaperBallot.objects.exists()


def test_an_invalid_form_is_recorded_with_its_reason(scored, clerks):
    for client in clerks[:2]:
        client.post(
            _url(scored), {"group": scored.delegates.pk, "serial": 9, "invalid": "yes", "reason": "空白票"}
        )
    paper = PaperBallot.objects.get(serial=9)
    assert paper.status == PaperStatus.INVALID and paper.ballot.invalid_reason == "空白票"


def test_township_staff_cannot_enter_county_forms(scored, client):
    client.force_login(scored.shijia_staff)
    assert client.get(_url(scored)).status_code == 404
    assert client.post(_url(scored), _form(scored)).status_code == 404
