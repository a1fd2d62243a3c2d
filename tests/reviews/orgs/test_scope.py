"""Township staff see and change only their own subtree; county staff see all below the county."""

import pytest
from django.urls import reverse

from reviews.audit.models import AuditEvent
from reviews.cycles.models import Session
from reviews.orgs.models import Organisation
from reviews.scope import restrict, visible_organisations


def test_township_staff_see_only_their_subtree(world):
    names = set(visible_organisations(world.shijia_staff).values_list("name", flat=True))
    assert names == {"中共石匣乡委员会", "石匣村党支部", "东庄村党支部"}


def test_county_staff_see_the_whole_county(world):
    assert visible_organisations(world.county_staff).count() == Organisation.objects.count()


def test_sessions_are_scoped_by_host(world):
    visible = restrict(Session.objects.all(), world.shijia_staff, via="host")
    assert list(visible) == [world.shijia_session]


def test_a_staff_account_without_scope_sees_nothing(world, django_user_model):
    lost = django_user_model.objects.create_user("lost", is_staff=True)
    assert visible_organisations(lost).count() == 0


@pytest.mark.parametrize("model", ["session", "organisation"])
def test_township_staff_cannot_open_another_townships_record_by_url(world, client, model):
    client.force_login(world.shijia_staff)
    other = world.liaoyang_session if model == "session" else world.liaoyang_v1
    response = client.get(reverse(f"admin:reviews_{model}_change", args=[other.pk]))
    assert response.status_code == 403
    own = world.shijia_session if model == "session" else world.shijia_v1
    assert client.get(reverse(f"admin:reviews_{model}_change", args=[own.pk])).status_code == 200


def test_township_staff_cannot_post_changes_to_another_townships_session(world, client):
    client.force_login(world.shijia_staff)
    url = reverse("admin:reviews_session_change", args=[world.liaoyang_session.pk])
    response = client.post(url, {"title": "篡改"})
    assert response.status_code == 403
    world.liaoyang_session.refresh_from_db()
    assert world.liaoyang_session.title == "辽阳镇村党组织书记述职评议会"


def test_the_session_list_shows_only_the_own_subtree(world, client):
    client.force_login(world.shijia_staff)
    page = client.get(reverse("admin:reviews_session_changelist")).content.decode()
    assert "石匣乡村党组织书记述职评议会" in page
    assert "辽阳镇村党组织书记述职评议会" not in page
    assert "乡镇党委书记抓基层党建工作述职评议会" not in page


def test_organisation_choices_offer_only_the_own_subtree(world, client):
    client.force_login(world.shijia_staff)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "reviews", "model_name": "session", "field_name": "host", "term": "委员会"},
    )
    names = {item["text"] for item in response.json()["results"]}
    assert names == {"中共石匣乡委员会"}


def test_township_staff_cannot_create_a_session_hosted_elsewhere(world, client):
    client.force_login(world.shijia_staff)
    before = Session.objects.count()
    response = client.post(
        reverse("admin:reviews_session_add"),
        {
            "cycle": world.cycle.pk,
            "host": world.liaoyang.pk,
            "title": "越权",
            "date": "2026-01-20",
            "status": "draft",
            "reports-TOTAL_FORMS": "0",
            "reports-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # form re-shown with an error
    assert "host" in response.context["adminform"].form.errors
    assert Session.objects.count() == before


def test_township_staff_see_only_their_audit_events(world, client):
    from reviews.cycles import services

    world.liaoyang_session.venue = "镇会议室"
    services.session_save(actor=world.liaoyang_staff, session=world.liaoyang_session)
    world.shijia_session.venue = "乡会议室"
    services.session_save(actor=world.shijia_staff, session=world.shijia_session)
    client.force_login(world.shijia_staff)
    page = client.get(reverse("admin:reviews_auditevent_changelist")).content.decode()
    assert "石匣乡村党组织书记述职评议会" in page
    assert "辽阳镇村党组织书记述职评议会" not in page
    assert AuditEvent.objects.filter(action="session.update").count() == 2
