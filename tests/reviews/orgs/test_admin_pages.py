"""The admin screens render in Chinese with real content, in a bounded number of queries."""

import pytest
from django.urls import reverse

from reviews.orgs import services
from reviews.orgs.models import Organisation

CHANGELISTS = {
    "reviews_organisation": ["中共石匣乡委员会", "T01V01", "王建国", "党支部", "农村"],
    "reviews_person": ["王建国", "李春华"],
    "reviews_appointment": ["王建国", "中共辽阳镇委员会", "书记"],
    "reviews_cycle": ["2025年度抓基层党建工作述职评议"],
    "reviews_session": ["2025年度乡镇党委书记抓基层党建工作述职评议会", "筹备中", "县委第一会议室"],
    "reviews_auditevent": ["organisation.create", "中共示范县委员会"],
    "auth_user": ["county", "中共示范县委员会"],
}


@pytest.mark.parametrize("changelist", CHANGELISTS)
def test_changelists_show_their_records(world, client, changelist):
    client.force_login(world.superuser)
    page = client.get(reverse(f"admin:{changelist}_changelist")).content.decode()
    for text in CHANGELISTS[changelist]:
        assert text in page


def test_the_organisation_list_shows_the_tree_indented(world, client):
    client.force_login(world.county_staff)
    page = client.get(reverse("admin:reviews_organisation_changelist")).content.decode()
    assert page.index("中共石匣乡委员会") < page.index("石匣村党支部") < page.index("中共辽阳镇委员会")
    assert "\u3000\u3000└ 石匣村党支部" in page


@pytest.mark.parametrize(("level", "expected"), [("0", 1), ("1", 2), ("2", 4)])
def test_the_organisation_list_filters_by_level(world, client, level, expected):
    client.force_login(world.county_staff)
    response = client.get(reverse("admin:reviews_organisation_changelist"), {"level": level})
    assert response.context["cl"].result_count == expected


def test_the_organisation_list_searches_by_code_and_name(world, client):
    client.force_login(world.county_staff)
    url = reverse("admin:reviews_organisation_changelist")
    assert [o.code for o in client.get(url, {"q": "T02V01"}).context["cl"].result_list] == ["T02V01"]
    assert {o.code for o in client.get(url, {"q": "石匣"}).context["cl"].result_list} == {"T01", "T01V01"}


def test_the_organisation_list_takes_a_bounded_number_of_queries(
    world, client, django_assert_max_num_queries
):
    for i in range(40):
        services.organisation_save(
            actor=None,
            organisation=Organisation(code=f"X{i}", name=f"新村{i}", kind="branch", parent=world.shijia),
        )
    client.force_login(world.county_staff)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("admin:reviews_organisation_changelist"))
    assert response.context["cl"].result_count == 47


def test_the_secretary_lookup_answers_for_a_date(world, client):
    client.force_login(world.shijia_staff)
    url = reverse("admin:reviews_organisation_secretary_lookup")
    page = client.get(url, {"organisation": world.shijia.pk, "date": "2025-06-01"}).content.decode()
    assert "中共石匣乡委员会的书记是王建国" in page
    page = client.get(url, {"organisation": world.shijia.pk, "date": "2019-06-01"}).content.decode()
    assert "没有在任书记" in page


def test_the_secretary_lookup_refuses_an_organisation_outside_the_scope(world, client):
    client.force_login(world.shijia_staff)
    url = reverse("admin:reviews_organisation_secretary_lookup")
    response = client.get(url, {"organisation": world.liaoyang.pk, "date": "2025-06-01"})
    assert "王建国" not in response.content.decode() and "李春华" not in response.content.decode()
    assert response.context["form"].errors["organisation"]


def test_saving_a_session_with_reporters_resolves_secretaries(world, client):
    client.force_login(world.shijia_staff)
    from reviews.orgs.models import Appointment, Person

    person = Person.objects.create(name="陈村书记")
    Appointment.objects.create(person=person, organisation=world.shijia_v1, start_date="2020-01-01")
    url = reverse("admin:reviews_session_change", args=[world.shijia_session.pk])
    response = client.post(
        url,
        {
            "cycle": world.cycle.pk,
            "host": world.shijia.pk,
            "title": world.shijia_session.title,
            "date": "2026-01-16",
            "venue": "乡会议室",
            "status": "preparing",
            "report_minutes": "5",
            "question_minutes": "3",
            "reports-TOTAL_FORMS": "2",
            "reports-INITIAL_FORMS": "0",
            "reports-0-order": "1",
            "reports-0-organisation": world.shijia_v1.pk,
            "reports-1-order": "2",
            "reports-1-organisation": world.shijia_v2.pk,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    reports = list(world.shijia_session.reports.order_by("order"))
    assert [(r.organisation, r.secretary) for r in reports] == [
        (world.shijia_v1, person),
        (world.shijia_v2, None),
    ]
