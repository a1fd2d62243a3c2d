"""The subtree filter (`path__subtree`): the same rows as `startswith`, found through the path index."""

import pytest
from django.db import connection

from reviews.findings.models import Finding, FindingSource
from reviews.orgs.models import Organisation, OrganisationKind
from reviews.orgs.subtree import subtree_q, upper_bound
from reviews.rectification.models import RectificationItem
from reviews.scope import restrict, visible_organisations
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

# Paths whose digits are prefixes of one another's: 1 / 12 / 123, 9-digit ids beside 8-digit ones.
PATHS = [
    "/1/",
    "/1/2/",
    "/1/23/",
    "/1/2/3/",
    "/12/",
    "/12/3/",
    "/123/",
    "/2/",
    "/00000001/",
    "/00000001/00000005/",
    "/000000010/",
    "/000000010/00000005/",
    "/12345678/",
    "/12345678/00000001/",
    "/123456789/",
    "/123456789/12345678/",
]


@pytest.fixture
def odd_tree():
    Organisation.objects.bulk_create(
        Organisation(code=f"X{i}", name=f"组织{i}", kind=OrganisationKind.BRANCH, path=path)
        for i, path in enumerate(PATHS)
    )


@pytest.fixture
def province(world):
    """3,000 more villages beside the world's with 3 findings each, and planner statistics, as a real
    database has them."""
    villages = Organisation.objects.bulk_create(
        Organisation(
            code=f"P{n:05d}",
            name=f"村{n}",
            kind=OrganisationKind.BRANCH,
            path=f"{world.liaoyang.path}{90000000 + n:08d}/",
            depth=2,
        )
        for n in range(3000)
    )
    Finding.objects.bulk_create(
        Finding(cycle=world.cycle, organisation=village, source=FindingSource.SUPERIOR, description="问题")
        for village in villages
        for _ in range(3)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return world


def _explain(queryset) -> str:
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_upper_bound_raises_the_last_character_by_one():
    assert upper_bound("/00000001/") == "/000000010"
    assert upper_bound("/1/2/") == "/1/20"
    with pytest.raises(ValueError):
        upper_bound("")


@pytest.mark.parametrize("prefix", PATHS)
def test_the_subtree_holds_the_same_organisations_as_startswith(odd_tree, prefix):
    by_range = set(Organisation.objects.filter(path__subtree=prefix).values_list("path", flat=True))
    by_like = set(Organisation.objects.filter(path__startswith=prefix).values_list("path", flat=True))
    assert by_range == by_like
    assert prefix in by_range


def test_a_sibling_whose_id_begins_with_the_same_digits_is_not_in_the_subtree(odd_tree):
    under_12 = set(Organisation.objects.filter(path__subtree="/12/").values_list("path", flat=True))
    assert under_12 == {"/12/", "/12/3/"}
    under_8_digits = set(
        Organisation.objects.filter(path__subtree="/12345678/").values_list("path", flat=True)
    )
    assert under_8_digits == {"/12345678/", "/12345678/00000001/"}


def test_a_joined_subtree_filter_gives_the_same_items_as_startswith(world, rectified):
    joined = RectificationItem.objects.filter(subtree_q(world.shijia.path, "organisation"))
    like = RectificationItem.objects.filter(organisation__path__startswith=world.shijia.path)
    assert list(joined.order_by("pk")) == list(like.order_by("pk"))
    assert joined.exists()


def test_an_expression_is_refused_as_a_prefix():
    from django.db.models import F

    with pytest.raises(TypeError):
        list(Organisation.objects.filter(path__subtree=F("code")))


def test_the_subtree_filter_searches_the_path_index(province):
    plan = _explain(Organisation.objects.subtree(province.shijia))
    if connection.vendor == "sqlite":
        assert "USING" in plan and "INDEX" in plan and "(path>? AND path<?)" in plan, plan
        assert "SCAN reviews_organisation" not in plan, plan
    else:
        # The LIKE prefix becomes a range on the varchar_pattern_ops index (…_like).
        assert "_like" in plan and "~>=~" in plan and "~<~" in plan, plan
        assert "Seq Scan" not in plan, plan


def test_a_township_user_s_findings_are_found_from_the_path_index_not_by_reading_every_one(province):
    town_staff = make_staff("shijia-lists", province.shijia)
    findings = Finding.objects.filter(cycle=province.cycle)
    plan = _explain(restrict(findings, town_staff, via="organisation"))
    if connection.vendor == "sqlite":
        assert "reviews_organisation USING" in plan and "(path>? AND path<?)" in plan, plan
        assert "SCAN reviews_finding" not in plan, plan
    else:
        assert "_like" in plan and "~>=~" in plan, plan
        assert "Seq Scan" not in plan, plan


def test_scope_uses_the_subtree_and_keeps_a_township_inside_its_own_tree(world):
    town_staff = make_staff("shijia-scope", world.shijia)
    visible = set(visible_organisations(town_staff))
    assert visible == {world.shijia, world.shijia_v1, world.shijia_v2}
