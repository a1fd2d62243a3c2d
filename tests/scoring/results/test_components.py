"""Component scores (/manage/scoring/<id>/components/): a reporter × component table saved cell by cell."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from reviews.audit.models import AuditEvent
from scoring.ballots import services as ballots_services
from scoring.results import services as results_services
from scoring.results.models import ComponentScore
from scoring.schemes.models import Component, Scheme


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def composite(scored_closed_scheme):
    """On-site 40 %, 日常考核 30 %, 年度考核 30 %."""
    world = scored_closed_scheme
    Scheme.objects.filter(pk=world.scheme.pk).update(onsite_share=40)
    world.daily = Component.objects.create(scheme=world.scheme, name="日常考核", share=30, order=1)
    world.annual = Component.objects.create(scheme=world.scheme, name="年度考核", share=30, order=2)
    return world


def _url(world) -> str:
    return reverse("scoring:components", args=[world.session.pk])


def _field(report, component) -> str:
    return f"s-{report.pk}-{component.pk}"


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_it_shows_a_table_of_reporters_and_components(client, composite):
    ComponentScore.objects.create(
        report=composite.reports[0], component=composite.daily, value=Decimal("91.5")
    )
    client.force_login(composite.county_staff)
    response = client.get(_url(composite))
    assert response.status_code == 200
    html = response.content.decode()
    assert "日常考核" in html and "年度考核" in html and "中共石匣乡委员会" in html
    assert f'name="{_field(composite.reports[0], composite.daily)}"' in html and 'value="91.50"' in html
    assert 'max="100"' in html and 'step="0.01"' in html
    assert "考核得分" in html  # the tab and the breadcrumb


def test_township_staff_get_404(client, composite):
    client.force_login(composite.shijia_staff)
    assert client.get(_url(composite)).status_code == 404
    data = {_field(composite.reports[0], composite.daily): "80"}
    assert client.post(_url(composite), data).status_code == 404
    assert not ComponentScore.objects.exists()


def test_anonymous_users_are_sent_to_the_login_page(client, composite):
    response = client.get(_url(composite))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_changed_cells_are_saved_and_cleared_ones_deleted(client, composite):
    first, second = composite.reports
    ComponentScore.objects.create(report=second, component=composite.annual, value=70)
    ComponentScore.objects.create(report=second, component=composite.daily, value=75)
    client.force_login(composite.county_staff)
    data = {
        _field(first, composite.daily): "88.25",
        _field(first, composite.annual): "90",
        _field(second, composite.daily): "75.00",  # unchanged
        _field(second, composite.annual): "",  # cleared
    }
    response = client.post(_url(composite), data, follow=True)
    stored = {(s.report_id, s.component_id): s.value for s in ComponentScore.objects.all()}
    assert stored == {
        (first.pk, composite.daily.pk): Decimal("88.25"),
        (first.pk, composite.annual.pk): Decimal("90"),
        (second.pk, composite.daily.pk): Decimal("75"),
    }
    assert "已保存3项考核得分" in _messages(response)
    assert AuditEvent.objects.filter(action="component_score.set").count() == 3


def test_out_of_range_and_three_decimals_are_refused_and_nothing_is_saved(client, composite):
    first, second = composite.reports
    client.force_login(composite.county_staff)
    data = {
        _field(first, composite.daily): "101",
        _field(first, composite.annual): "80.125",
        _field(second, composite.daily): "80",
    }
    response = client.post(_url(composite), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {_field(first, composite.daily), _field(first, composite.annual)}
    assert not ComponentScore.objects.exists()


def test_changes_are_refused_after_publishing(client, composite):
    world = composite
    for report in world.reports:
        for component in (world.daily, world.annual):
            ComponentScore.objects.create(report=report, component=component, value=80)
    ballots_services.scoring_open(actor=world.county_staff, session=world.session)
    ballots_services.scoring_close(actor=world.county_staff, session=world.session)
    results_services.results_publish(actor=world.county_staff, session=world.session)
    client.force_login(world.county_staff)
    page = client.get(_url(world)).content.decode()
    assert "结果已发布，构成项得分不能再修改" in page and "disabled" in page
    response = client.post(_url(world), {_field(world.reports[0], world.daily): "60"}, follow=True)
    assert "结果已发布" in _messages(response)
    assert set(ComponentScore.objects.values_list("value", flat=True)) == {Decimal(80)}


def test_a_scheme_without_components_says_so(client, scored):
    client.force_login(scored.county_staff)
    html = client.get(_url(scored)).content.decode()
    assert "综合得分即现场测评得分" in html
