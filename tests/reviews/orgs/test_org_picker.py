"""The organisation picker: a scoped search (20 matches) and a field that resolves a typed code or name."""

import pytest
from django.urls import reverse

from reviews.findings.models import Finding
from reviews.orgs.forms import OrganisationSearchField
from reviews.orgs.models import Organisation, OrganisationKind
from reviews.orgs.selectors import organisation_search
from reviews.rectification.models import FollowUpReview
from reviews.scope import visible_organisations
from tests.conftest import make_org

pytestmark = pytest.mark.django_db


def _search(client, user, text, **headers):
    client.force_login(user)
    return client.get(reverse("orgs:search"), {"q": text}, **headers)


def test_the_search_finds_by_name_short_name_and_code(client, world):
    world.shijia_v2.short_name = "东庄"
    world.shijia_v2.save()
    ids = lambda text: {r["id"] for r in _search(client, world.county_staff, text).json()["results"]}  # noqa: E731
    assert ids("石匣村") == {world.shijia_v1.pk}
    assert ids("东庄") == {world.shijia_v2.pk}
    assert ids("t02v0") == {world.liaoyang_v1.pk, world.liaoyang_v2.pk}


def test_township_staff_find_only_their_own_subtree(client, world):
    found = _search(client, world.shijia_staff, "村").json()["results"]
    assert {r["id"] for r in found} == {world.shijia_v1.pk, world.shijia_v2.pk}  # not 西沟村 of 辽阳镇
    found = _search(client, world.liaoyang_staff, "石匣").json()["results"]
    assert found == []


def test_a_match_names_its_ancestors_so_namesakes_can_be_told_apart(client, world):
    twin = make_org("T02V09", "石匣村党支部", world.liaoyang)
    found = _search(client, world.county_staff, "石匣村党支部").json()["results"]
    trails = {r["id"]: r["trail"] for r in found}
    assert trails[world.shijia_v1.pk] == "中共示范县委员会 › 中共石匣乡委员会"
    assert trails[twin.pk] == "中共示范县委员会 › 中共辽阳镇委员会"


def test_the_search_returns_at_most_twenty_with_the_exact_code_first(client, world):
    Organisation.objects.bulk_create(
        Organisation(
            code=f"Z{i:03d}", name=f"新村{i}党支部", kind=OrganisationKind.BRANCH, path=f"/9{i:03d}/"
        )
        for i in range(30)
    )
    visible = visible_organisations(world.superuser)
    matches = organisation_search(visible, "新村")
    assert len(matches) == 20
    assert organisation_search(visible, "z029")[0].code == "Z029"


def test_the_search_is_for_staff_only(client, world):
    from django.contrib.auth.models import User

    secretary = User.objects.create_user("secretary-x", password="pw")
    assert _search(client, secretary, "石").status_code in (302, 403)


def test_the_htmx_fragment_lists_buttons_that_carry_the_id(client, world):
    response = _search(client, world.county_staff, "辽阳", HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert f'data-sz-org-pick="{world.liaoyang.pk}"' in page
    assert f'data-sz-org-pick="{world.shijia.pk}"' not in page


def test_the_htmx_fragment_says_when_nothing_matches(client, world):
    page = _search(client, world.county_staff, "不存在的组织", HTTP_HX_REQUEST="true").content.decode()
    assert "data-sz-org-pick" not in page and "没有" in page


def _field(user):
    return OrganisationSearchField(queryset=visible_organisations(user))


def test_the_picked_id_wins_when_it_is_in_the_scope(world):
    assert _field(world.shijia_staff).clean({"id": str(world.shijia_v1.pk), "text": "石匣村党支部"}) == (
        world.shijia_v1
    )


def test_a_typed_code_or_exact_name_is_resolved_without_javascript(world):
    field = _field(world.county_staff)
    assert field.clean({"id": "", "text": " t01v02 "}) == world.shijia_v2
    assert field.clean({"id": "", "text": "辽阳社区党支部"}) == world.liaoyang_v1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"id": "", "text": "不存在的村"}, "您范围内没有名称或代码为“不存在的村”的党组织。"),
        ({"id": "", "text": ""}, "请输入党组织名称或代码，并从列表中选择。"),
    ],
)
def test_a_text_that_names_nothing_is_refused_in_chinese(world, value, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        _field(world.county_staff).clean(value)
    assert refused.value.messages == [message]


def test_a_name_shared_by_two_organisations_asks_for_a_pick_or_the_code(world):
    from django.core.exceptions import ValidationError

    make_org("T02V09", "石匣村党支部", world.liaoyang)
    with pytest.raises(ValidationError) as refused:
        _field(world.county_staff).clean({"id": "", "text": "石匣村党支部"})
    assert refused.value.messages == ["有多个党组织名为“石匣村党支部”：请从列表中选择，或输入其代码。"]
    assert _field(world.county_staff).clean({"id": "", "text": "T02V09"}).parent == world.liaoyang


def test_an_id_outside_the_scope_is_refused_even_when_posted_by_hand(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        _field(world.shijia_staff).clean({"id": str(world.liaoyang_v1.pk), "text": ""})
    assert refused.value.messages == ["该党组织不在您的管理范围内，请从列表中选择。"]
    # Typing its exact name does not reach it either.
    with pytest.raises(ValidationError):
        _field(world.shijia_staff).clean({"id": "", "text": "辽阳社区党支部"})


def test_a_finding_posted_with_a_typed_code_is_recorded_for_that_organisation(client, world):
    client.force_login(world.county_staff)
    response = client.post(
        reverse("findings:add", args=[world.cycle.pk]),
        {"organisation": "", "organisation_text": "T01V02", "source": "superior", "description": "台账不全"},
    )
    assert response.status_code == 302
    assert Finding.objects.get().organisation == world.shijia_v2


def test_a_finding_for_an_unknown_name_is_refused_and_nothing_is_recorded(client, world):
    client.force_login(world.county_staff)
    response = client.post(
        reverse("findings:add", args=[world.cycle.pk]),
        {"organisation_text": "不存在的村", "source": "superior", "description": "台账不全"},
    )
    assert response.status_code == 400
    assert "您范围内没有名称或代码为“不存在的村”的党组织。" in response.content.decode()
    assert 'value="不存在的村"' in response.content.decode()  # what was typed is kept
    assert not Finding.objects.exists()


def test_a_follow_up_under_a_typed_name_starts_for_that_subtree(client, world):
    client.force_login(world.county_staff)
    response = client.post(
        reverse("rectification:follow_ups"),
        {"cycle": world.cycle.pk, "scope_text": "中共石匣乡委员会", "title": ""},
    )
    assert response.status_code == 302
    assert FollowUpReview.objects.get().scope == world.shijia


def test_the_pages_with_a_picker_do_not_list_every_organisation(client, world):
    client.force_login(world.county_staff)
    for url in (reverse("findings:list", args=[world.cycle.pk]), reverse("rectification:follow_ups")):
        page = client.get(url).content.decode()
        assert "data-sz-org-picker" in page
        assert "<option" not in page.split("data-sz-org-picker")[1].split("</div>")[0]
        assert world.liaoyang_v2.name not in page


def test_the_admin_secretary_lookup_uses_the_scoped_autocomplete(client, world):
    client.force_login(world.county_staff)
    page = client.get(reverse("admin:reviews_organisation_secretary_lookup")).content.decode()
    assert "admin-autocomplete" in page and world.liaoyang_v2.name not in page
    page = client.get(
        reverse("admin:reviews_organisation_secretary_lookup"),
        {"organisation": world.shijia.pk, "date": "2025-06-01"},
    ).content.decode()
    assert "王建国" in page
