"""Levels from the tree: the setting TREE_LEVELS names the root's level and each depth below it."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from reviews.orgs import levels
from reviews.orgs.levels import Level
from tests.conftest import make_org


def _chain(names: list[str]):
    parent, chain = None, []
    for i, name in enumerate(names):
        parent = make_org(f"L{i}", name, parent)
        chain.append(parent)
    return chain


def test_a_county_deployment_keeps_county_township_village(db):
    county, township, village, group = _chain(["县委", "乡党委", "村党支部", "村党小组"])
    assert [levels.level_of_depth(o.depth) for o in (county, township, village, group)] == [
        Level.COUNTY,
        Level.TOWNSHIP,
        Level.VILLAGE,
        Level.VILLAGE,  # deeper than the last level counts as that level
    ]


def test_province_city_county_township_village_from_the_setting(db, settings):
    settings.TREE_LEVELS = ["province", "city", "county", "township", "village"]
    chain = _chain(["省委", "市委", "县委", "乡党委", "村党支部"])
    assert [levels.level_of_depth(o.depth) for o in chain] == [
        Level.PROVINCE,
        Level.CITY,
        Level.COUNTY,
        Level.TOWNSHIP,
        Level.VILLAGE,
    ]
    assert [str(levels.level_of_depth(o.depth).label) for o in chain] == [
        "省级",
        "市级",
        "县级",
        "乡镇级",
        "村级",
    ]


def test_a_province_without_cities_has_counties_at_depth_one(db, settings):
    settings.TREE_LEVELS = ["province", "county", "township", "village"]
    province, county, township = _chain(["省委", "县委", "乡党委"])
    assert levels.level_of_depth(province.depth) == Level.PROVINCE
    assert levels.level_of_depth(county.depth) == Level.COUNTY
    assert levels.level_of_depth(township.depth) == Level.TOWNSHIP
    assert levels.depths_of(Level.TOWNSHIP) == (2, 2)
    assert levels.depths_of(Level.VILLAGE) == (3, None)


@pytest.mark.parametrize(
    "value",
    [["county", "nation", "village"], ["township", "county", "village"], ["county", "township"], []],
)
def test_a_wrong_setting_is_refused_by_name(settings, value):
    settings.TREE_LEVELS = value
    if not value:  # empty falls back to the default
        assert levels.tree_levels() == [Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE]
        return
    with pytest.raises(ImproperlyConfigured, match="TREE_LEVELS"):
        levels.level_of_depth(0)


def test_the_admin_level_filter_names_the_tree_levels(db, client, settings):
    from django.urls import reverse

    from tests.conftest import make_staff

    settings.TREE_LEVELS = ["province", "city", "county", "township", "village"]
    village = _chain(["省委", "市委", "县委", "乡党委", "村党支部"])[-1]
    make_org("L5", "村党小组", village)
    client.force_login(make_staff("root", None, superuser=True))
    url = reverse("admin:reviews_organisation_changelist")
    page = client.get(url).content.decode()
    for label in ("省级", "市级", "县级", "乡镇级", "村级"):
        assert label in page
    counts = {
        level: client.get(url, {"level": level}).context["cl"].result_count for level in ("0", "2", "4", "9")
    }
    assert counts == {"0": 1, "2": 1, "4": 2, "9": 6}  # villages include what is below them; 9: no filter
