"""Editing a scoring scheme (/manage/scoring/<id>/scheme/): settings and rows saved together or not at all."""

import pytest
from django.urls import reverse
from django.utils import translation

from reviews.audit.models import AuditEvent
from scoring.errors import ScoringError
from scoring.schemes import services
from scoring.schemes.models import Component, Criterion, EvaluatorGroup, Scheme
from scoring.schemes.services import scheme_update


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def _url(world) -> str:
    return reverse("scoring:scheme", args=[world.session.pk])


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def _snapshot(scheme: Scheme) -> tuple:
    """Everything the page can change, as stored."""
    return (
        tuple(Scheme.objects.filter(pk=scheme.pk).values_list()),
        tuple(EvaluatorGroup.objects.filter(scheme=scheme).order_by("pk").values_list()),
        tuple(Criterion.objects.filter(scheme=scheme).order_by("pk").values_list()),
        tuple(Component.objects.filter(scheme=scheme).order_by("pk").values_list()),
    )


def _form_data(client, world, **changes) -> dict:
    """The page's own form as the browser would post it, with `changes` applied."""
    response = client.get(_url(world))
    data = {}
    for form in [response.context["settings_form"], *(fs for _, fs in response.context["formsets"])]:
        if hasattr(form, "management_form"):
            for field in form.management_form:
                data[field.html_name] = field.value()
            forms = form.forms
        else:
            forms = [form]
        for each in forms:
            for field in each:
                value = field.value()
                if value is None or value is False:
                    continue
                data[field.html_name] = "on" if value is True else value
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_it_shows_the_settings_and_the_rows(client, scored_closed_scheme):
    client.force_login(scored_closed_scheme.county_staff)
    response = client.get(_url(scored_closed_scheme))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="mode"' in html and 'name="quorum_fraction"' in html and 'value="1/2"' in html
    assert scored_closed_scheme.leaders.name in html and 'name="groups-0-weight"' in html
    assert 'name="criteria-5-name"' in html and 'name="components-TOTAL_FORMS"' in html
    assert "保存测评方案" in html and "首页" in html


def test_township_staff_get_404(client, scored_closed_scheme):
    client.force_login(scored_closed_scheme.shijia_staff)
    assert client.get(_url(scored_closed_scheme)).status_code == 404
    assert client.post(_url(scored_closed_scheme), {}).status_code == 404


def test_anonymous_users_are_sent_to_the_login_page(client, scored_closed_scheme):
    response = client.get(_url(scored_closed_scheme))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_settings_rows_and_a_new_component_are_saved(client, scored_closed_scheme):
    world = scored_closed_scheme
    client.force_login(world.county_staff)
    data = _form_data(
        client,
        world,
        good_cap_fraction="30％",
        onsite_share="40",
        **{
            "groups-0-weight": "70",
            "groups-1-weight": "30",
            "groups-1-name": "党员群众代表",
            "components-0-name": "日常考核",
            "components-0-share": "60",
            "components-0-order": "1",
        },
    )
    response = client.post(_url(world), data)
    assert response.status_code == 302, response.context and response.context["refusal"]
    scheme = Scheme.objects.get(pk=world.scheme.pk)
    assert scheme.good_cap_fraction == "30%" and scheme.onsite_share == 40
    assert list(scheme.groups.values_list("name", "weight")) == [
        (world.leaders.name, 70),
        ("党员群众代表", 30),
    ]
    assert list(scheme.components.values_list("name", "share")) == [("日常考核", 60)]
    assert services.scheme_problems(scheme) == []
    event = AuditEvent.objects.filter(action="scheme.rows").latest("at")
    assert event.changes["component"] == {"added": ["日常考核"]}


def test_weights_adding_up_to_90_are_refused_and_nothing_is_saved(client, scored_closed_scheme):
    world = scored_closed_scheme
    client.force_login(world.county_staff)
    before = _snapshot(world.scheme)
    data = _form_data(
        client,
        world,
        threshold_good="90",
        **{"groups-0-weight": "50", "groups-1-weight": "40", "criteria-0-name": "总体评价（改）"},
    )
    response = client.post(_url(world), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "权重合计为90%，应为100%" in html
    assert "测评方案未保存" in html
    assert 'value="50"' in html  # what was typed stays on the page
    assert _snapshot(world.scheme) == before


def test_a_form_error_is_shown_at_its_field_and_nothing_is_saved(client, scored_closed_scheme):
    world = scored_closed_scheme
    client.force_login(world.county_staff)
    before = _snapshot(world.scheme)
    response = client.post(_url(world), _form_data(client, world, quorum_fraction="half"))
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert response.context["settings_form"].errors["quorum_fraction"]
    assert _snapshot(world.scheme) == before


def test_a_removed_item_is_deleted(client, scored_closed_scheme):
    world = scored_closed_scheme
    client.force_login(world.county_staff)
    response = client.post(_url(world), _form_data(client, world, **{"criteria-5-DELETE": "on"}))
    assert response.status_code == 302
    assert Criterion.objects.filter(scheme=world.scheme).count() == 5


def test_a_group_with_codes_cannot_be_removed(client, scored_closed_scheme):
    world = scored_closed_scheme
    client.force_login(world.county_staff)
    before = _snapshot(world.scheme)
    data = _form_data(client, world, **{"groups-1-DELETE": "on", "groups-0-weight": "100"})
    response = client.post(_url(world), data)
    assert response.status_code == 200
    assert world.delegates.name in response.context["refusal"]
    assert _snapshot(world.scheme) == before


def test_editing_a_locked_scheme_is_refused(client, scored):
    client.force_login(scored.county_staff)
    page = client.get(_url(scored)).content.decode()
    assert "测评开始后测评方案已锁定" in page and "保存测评方案" not in page and "disabled" in page
    before = _snapshot(scored.scheme)
    response = client.post(_url(scored), {"mode": "points", "groups-0-weight": "10"}, follow=True)
    assert "测评开始后测评方案已锁定" in _messages(response)
    assert _snapshot(scored.scheme) == before


def test_a_session_without_scheme_is_sent_to_the_overview(client, world):
    client.force_login(world.county_staff)
    response = client.get(reverse("scoring:scheme", args=[world.county_session.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("scoring:session", args=[world.county_session.pk])


# ---------------------------------------------------------------------------------------------------
# The service


def test_the_service_swaps_two_group_names(scored_closed_scheme):
    world = scored_closed_scheme
    leaders, delegates = world.leaders, world.delegates
    names = leaders.name, delegates.name
    leaders.name, delegates.name = names[1], names[0]
    scheme_update(
        actor=world.county_staff,
        scheme=world.scheme,
        groups=[leaders, delegates],
        criteria=list(world.scheme.criteria.all()),
        components=[],
    )
    assert list(
        EvaluatorGroup.objects.filter(scheme=world.scheme).order_by("pk").values_list("name", flat=True)
    ) == [
        names[1],
        names[0],
    ]


def test_the_service_refuses_a_locked_scheme(scored):
    with pytest.raises(ScoringError) as refused:
        scheme_update(
            actor=scored.county_staff,
            scheme=scored.scheme,
            groups=list(scored.scheme.groups.all()),
            criteria=[],
            components=[],
        )
    assert refused.value.code == "locked"
    assert Criterion.objects.filter(scheme=scored.scheme).count() == 6


def test_the_service_refuses_a_mode_without_the_items_it_needs(scored_closed_scheme):
    world = scored_closed_scheme
    world.scheme.mode = "grade"  # one grade per reporter needs exactly one item
    before_mode = Scheme.objects.get(pk=world.scheme.pk).mode
    with pytest.raises(ScoringError) as refused:
        scheme_update(
            actor=world.county_staff,
            scheme=world.scheme,
            groups=list(world.scheme.groups.all()),
            criteria=list(world.scheme.criteria.all()),
            components=[],
        )
    assert refused.value.code == "scheme"
    assert Scheme.objects.get(pk=world.scheme.pk).mode == before_mode


def test_the_service_refuses_rows_of_another_scheme(scored_closed_scheme):
    world_ = scored_closed_scheme
    other = services.scheme_create_default(actor=world_.superuser, session=world_.shijia_session)
    with pytest.raises(ScoringError) as refused:
        scheme_update(
            actor=world_.county_staff,
            scheme=world_.scheme,
            groups=list(other.groups.all()),
            criteria=list(world_.scheme.criteria.all()),
            components=[],
        )
    assert refused.value.code == "tampered"
    assert other.groups.count() == 2
