import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from reviews.orgs import services
from reviews.orgs.models import Organisation
from tests.conftest import make_org


def _chain(depth: int) -> list[Organisation]:
    orgs = [make_org("R0", "根")]
    for level in range(1, depth):
        orgs.append(make_org(f"R{level}", f"第{level}层", orgs[-1]))
    return orgs


def test_it_keeps_the_path_from_the_root(world):
    assert world.county.path == f"/{world.county.pk:08d}/"
    assert world.shijia_v1.path == f"/{world.county.pk:08d}/{world.shijia.pk:08d}/{world.shijia_v1.pk:08d}/"
    assert (world.county.depth, world.shijia.depth, world.shijia_v1.depth) == (0, 1, 2)


@pytest.mark.parametrize("depth", [2, 6, 12])
def test_subtree_is_one_query_at_any_depth(db, django_assert_num_queries, depth):
    orgs = _chain(depth)
    with django_assert_num_queries(1):
        subtree = list(Organisation.objects.subtree(orgs[0]))
    assert len(subtree) == depth
    with django_assert_num_queries(1):
        assert list(Organisation.objects.subtree(orgs[-2])) == orgs[-2:]


def test_subtree_of_a_township_leaves_out_its_siblings(world):
    names = set(Organisation.objects.subtree(world.shijia).values_list("name", flat=True))
    assert names == {"中共石匣乡委员会", "石匣村党支部", "东庄村党支部"}


def test_moving_an_organisation_moves_its_descendants(world):
    world.shijia.parent = world.liaoyang
    services.organisation_save(actor=world.superuser, organisation=world.shijia)
    world.shijia_v1.refresh_from_db()
    assert world.shijia_v1.path.startswith(world.liaoyang.path)
    assert world.shijia_v1.depth == 3
    assert world.shijia_v1 in Organisation.objects.subtree(world.liaoyang)


def test_it_refuses_a_parent_that_is_a_descendant(world):
    world.shijia.parent = world.shijia_v1
    with pytest.raises(ValidationError) as info:
        services.organisation_save(actor=world.superuser, organisation=world.shijia)
    assert "parent" in info.value.message_dict
    world.shijia.refresh_from_db()
    assert world.shijia.parent == world.county


def test_it_refuses_itself_as_parent(world):
    world.shijia.parent = world.shijia
    with pytest.raises(ValidationError):
        world.shijia.full_clean()


def test_the_database_refuses_an_organisation_as_its_own_parent(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.filter(pk=world.shijia.pk).update(parent=world.shijia.pk)


def test_codes_are_unique(world):
    with pytest.raises(ValidationError) as info:
        make_org("T01", "重复编码")
    assert "code" in info.value.message_dict
