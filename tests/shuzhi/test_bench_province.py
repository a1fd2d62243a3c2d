"""bench/province.py's builder, at a tiny size, so the province bench does not rot unnoticed."""

import pytest

from bench import province as bench
from reviews.cycles.models import Report, Session
from reviews.findings.models import Finding
from reviews.orgs.models import Appointment, Organisation
from reviews.rectification.models import RectificationItem, RectificationStatus
from scoring.results.models import ResultSnapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def built():
    return bench.build("tiny", tag="b1")


def test_the_tiny_province_has_two_counties_of_two_townships_of_three_villages(built):
    orgs = Organisation.objects.filter(path__startswith=built.root.path)
    assert orgs.count() == 1 + 2 + 4 + 12
    assert list(orgs.filter(depth=0)) == [Organisation.objects.get(code="b1P")]
    assert orgs.filter(depth=1).count() == 2
    assert orgs.filter(depth=2).count() == 4
    assert orgs.filter(depth=3).count() == 12


def test_every_path_is_the_parents_path_and_its_own_zero_padded_id(built):
    for org in Organisation.objects.filter(path__startswith=built.root.path).select_related("parent"):
        assert org.path == org.computed_path()
        assert org.depth == org.path.count("/") - 2
    village = Organisation.objects.get(code="b1C002T02V003")
    assert village.ancestor_ids() == [
        Organisation.objects.get(code=code).pk for code in ("b1P", "b1C002", "b1C002T02")
    ]


def test_every_organisation_has_one_secretary(built):
    orgs = Organisation.objects.filter(path__startswith=built.root.path)
    assert Appointment.objects.secretaries().filter(organisation__in=orgs).count() == orgs.count()


def test_sessions_are_hosted_by_the_province_counties_and_townships_and_their_children_report(built):
    sessions = Session.objects.filter(cycle=built.cycle).select_related("host")
    assert sorted(s.host.depth for s in sessions) == [0, 1, 1, 2, 2, 2, 2]
    for session in sessions:
        reporters = set(Report.objects.filter(session=session).values_list("organisation_id", flat=True))
        assert reporters == set(session.host.children.values_list("pk", flat=True))


def test_most_sessions_are_published_with_snapshots_that_match_their_ballots(built):
    from scoring.results.services import snapshot_matches

    snapshots = ResultSnapshot.objects.filter(session__cycle=built.cycle)
    assert snapshots.count() == 6  # the fourth township's session is still being prepared
    assert all(snapshot_matches(snapshot) for snapshot in snapshots)


def test_three_items_per_reporting_organisation_each_from_its_own_finding_in_mixed_states(built):
    items = RectificationItem.objects.filter(cycle=built.cycle)
    assert items.count() == 3 * 18
    assert Finding.objects.filter(cycle=built.cycle).count() == 3 * 18
    assert all(
        item.finding.organisation_id == item.organisation_id for item in items.select_related("finding")
    )
    assert len(set(items.values_list("status", flat=True))) >= 3
    verified = items.filter(status=RectificationStatus.VERIFIED)
    assert not verified.filter(verified_at__isnull=True).exists()


def test_rows_created_later_through_the_orm_get_fresh_ids_after_the_bulk_inserts(built):
    org = Organisation.objects.create(code="after", name="之后新建", kind="branch", parent_id=built.root.pk)
    assert org.pk > max(node.pk for node in built.all)


def test_staff_are_scoped_to_the_province_the_first_county_and_the_first_township(built):
    assert {
        label: user.staff_profile.organisation_id for label, user in built.staff.items() if label != "admin"
    } == {
        "province": built.root.pk,
        "county": built.counties[0].pk,
        "township": built.townships[0].pk,
    }


def test_a_cap_on_scored_sessions_publishes_the_top_sessions_first_and_leaves_the_rest_without_a_scheme(db):
    capped = bench.build("tiny", tag="b2", scored=4)
    published = Session.objects.filter(cycle=capped.cycle, status="published").select_related("host")
    assert sorted(s.host.depth for s in published) == [0, 1, 1, 2]
    others = Session.objects.filter(cycle=capped.cycle).exclude(pk__in=published)
    assert others.count() == 3
    assert not others.filter(scheme__isnull=False).exists()


def test_reuse_finds_the_province_built_last_with_its_tree_cycle_sessions_and_staff(built):
    again = bench.load_latest()
    assert again.root.pk == built.root.pk
    assert [n.pk for n in again.all] == [n.pk for n in built.all]
    assert [len(n.children) for n in again.counties] == [2, 2]
    assert again.cycle == built.cycle
    assert set(again.sessions) == set(built.sessions)
    assert again.staff == built.staff
