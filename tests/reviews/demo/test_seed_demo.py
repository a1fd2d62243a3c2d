"""The demo data: shape of the county, sessions, logins, idempotence and speed."""

import datetime
import io
import time
from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import CharField, Count, F, Q, Value
from django.db.models.functions import Cast, Concat, LPad

from reviews.audit.models import AuditEvent
from reviews.cycles.models import Cycle, CycleItem, CycleItemKind, Report, Session, SessionStatus
from reviews.demo import county as demo
from reviews.orgs.models import (
    Appointment,
    Organisation,
    OrganisationKind,
    Person,
    StaffProfile,
    secretary_on,
)
from reviews.orgs.permissions import STAFF_GROUP_NAME
from tests.conftest import make_org

SEED_BUDGET_SECONDS = 5.0


@pytest.fixture
def seeded(db):
    started = time.perf_counter()
    summary = demo.demo_seed()
    return summary, time.perf_counter() - started


def test_the_plan_is_the_same_on_every_build():
    first = demo.demo_plan()
    demo.demo_plan.cache_clear()
    assert demo.demo_plan() == first


def test_seed_is_fast(seeded):
    _summary, seconds = seeded
    assert seconds < SEED_BUDGET_SECONDS


def test_county_townships_and_villages(seeded):
    county = Organisation.objects.get(code="C")
    assert (county.name, county.short_name, county.kind, county.parent_id) == (
        "中共示范县委员会",
        "示范县委",
        OrganisationKind.COMMITTEE,
        None,
    )
    townships = Organisation.objects.filter(parent=county, code__regex=r"^T\d\d$").annotate(
        n=Count("children")
    )
    assert townships.count() == 19
    assert sorted(t.code for t in townships) == [f"T{n:02d}" for n in range(1, 20)]
    assert Organisation.objects.get(code="T01").short_name == "石匣乡党委"
    assert all(t.kind == OrganisationKind.COMMITTEE for t in townships)
    assert all(5 <= t.n <= 15 for t in townships), {t.code: t.n for t in townships}
    villages = Organisation.objects.filter(parent__in=townships)
    assert all(v.code.startswith(v.parent.code + "V") for v in villages.select_related("parent"))
    assert {v.kind for v in villages} <= {OrganisationKind.BRANCH, OrganisationKind.GENERAL_BRANCH}
    assert {v.sector for v in villages} == {"rural", "community"}
    branches = Organisation.objects.filter(parent=county, code__startswith="C-O")
    assert set(branches.values_list("sector", flat=True)) == {
        "organ",
        "school",
        "hospital",
        "private",
        "social",
        "soe",
    }
    assert Organisation.objects.count() == 1 + 19 + villages.count() + branches.count()


def test_tree_paths_are_consistent(seeded, django_assert_num_queries):
    padded_id = LPad(Cast("id", CharField()), Organisation.PATH_DIGITS, Value("0"))
    expected = Concat(F("parent__path"), padded_id, Value("/"), output_field=CharField())
    root = Concat(Value("/"), padded_id, Value("/"), output_field=CharField())
    with django_assert_num_queries(1):
        wrong = list(
            Organisation.objects.exclude(
                Q(parent__isnull=False, path=expected) | Q(parent__isnull=True, path=root)
            ).values_list("code", flat=True)
        )
    assert wrong == []


def test_every_organisation_has_exactly_one_current_secretary(seeded):
    today = datetime.date(2026, 1, 16)
    counts = Counter(
        Appointment.objects.secretaries()
        .filter(end_date__isnull=True)
        .values_list("organisation_id", flat=True)
    )
    on_day = Counter(Appointment.objects.secretaries().on(today).values_list("organisation_id", flat=True))
    ids = set(Organisation.objects.values_list("id", flat=True))
    assert set(counts) == ids and set(counts.values()) == {1}
    assert on_day == counts


def test_handovers_give_the_secretary_history(seeded):
    past = Appointment.objects.secretaries().filter(end_date__isnull=False).select_related("organisation")
    assert {a.organisation.code for a in past} == set(demo.HANDOVER_CODES)
    for earlier in past:
        before = secretary_on(earlier.organisation, earlier.end_date)
        after = secretary_on(earlier.organisation, earlier.end_date + datetime.timedelta(days=1))
        assert before == earlier.person
        assert after is not None and after != before


def test_titles_and_dates(seeded):
    current = Appointment.objects.secretaries().filter(end_date__isnull=True).select_related("organisation")
    for a in current:
        assert datetime.date(2019, 1, 1) <= a.start_date <= datetime.date(2024, 12, 31), a
        assert a.title.endswith(("书记", "主任", "经理", "秘书长", "董事长")), a.title
    assert Appointment.objects.get(organisation__code="T01", end_date=None).title == "石匣乡党委书记"
    assert Person.objects.exclude(gender__in=["M", "F"]).count() == 0


def test_person_names_are_fictional(seeded):
    assert len(demo.FORBIDDEN_NAMES) >= 40
    names = list(Person.objects.values_list("name", flat=True))
    assert names
    assert not [name for name in names if any(real in name for real in demo.FORBIDDEN_NAMES)]
    assert len(set(names)) == len(names)


def test_cycle_and_its_items(seeded):
    cycle = Cycle.objects.get(name="2025年度抓基层党建工作述职评议")
    assert cycle.year == 2025
    items = list(cycle.items.order_by("kind", "order"))
    must = [i.text for i in items if i.kind == CycleItemKind.MUST_ANSWER]
    bonus = [i.text for i in items if i.kind == CycleItemKind.BONUS]
    assert must == list(demo.MUST_ANSWER_ITEMS) and "上年度述职评议问题整改情况" in must
    assert bonus == list(demo.BONUS_ITEMS) and "党建工作创新举措" in bonus


def test_county_session_has_the_19_township_secretaries_in_order(seeded):
    session = Session.objects.get(title="2025年度乡镇党委书记抓基层党建工作述职评议会", host__code="C")
    assert (session.date, session.venue, session.status) == (
        datetime.date(2026, 1, 16),
        "县委第一会议室",
        SessionStatus.PREPARING,
    )
    reports = list(session.reports.select_related("organisation", "secretary").order_by("order"))
    assert [r.order for r in reports] == list(range(1, 20))
    assert [r.organisation.code for r in reports] == [f"T{n:02d}" for n in range(1, 20)]
    for report in reports:
        assert report.secretary is not None
        assert report.secretary == secretary_on(report.organisation, session.date)


def test_shijia_session_has_its_own_villages(seeded):
    shijia = Organisation.objects.get(code="T01")
    session = Session.objects.get(title="石匣乡2025年度村党组织书记抓基层党建工作述职评议会", host=shijia)
    assert (session.date, session.venue) == (datetime.date(2026, 1, 10), "乡政府三楼会议室")
    reports = list(session.reports.select_related("organisation", "secretary"))
    assert len(reports) == shijia.children.count()
    assert [r.order for r in reports] == list(range(1, len(reports) + 1))
    subtree = set(Organisation.objects.subtree(shijia).exclude(pk=shijia.pk).values_list("id", flat=True))
    assert {r.organisation_id for r in reports} <= subtree
    assert all(r.secretary == secretary_on(r.organisation, session.date) for r in reports)
    for report in reports:
        report.full_clean()  # the model's own rule: reporters sit under the host


def test_summary_counts(seeded):
    summary, _seconds = seeded
    assert summary.organisations.created == Organisation.objects.count()
    assert summary.secretaries.created == Appointment.objects.count() == Person.objects.count()
    assert (summary.cycles.created, summary.sessions.created, summary.users.created) == (1, 2, 3)
    assert summary.reports.created == Report.objects.count()
    assert summary.cycle_items.created == CycleItem.objects.count()
    assert summary.organisations.existing == summary.secretaries.existing == 0


def _snapshot():
    return {
        "organisations": list(
            Organisation.objects.order_by("code").values_list(
                "id", "code", "name", "short_name", "kind", "sector", "parent_id", "path", "depth"
            )
        ),
        "appointments": list(
            Appointment.objects.order_by("id").values_list(
                "id", "organisation__code", "person_id", "person__name", "title", "start_date", "end_date"
            )
        ),
        "people": list(Person.objects.order_by("id").values_list("id", "name", "gender")),
        "cycles": list(Cycle.objects.values_list("id", "name", "year")),
        "items": list(CycleItem.objects.order_by("id").values_list("id", "kind", "text", "order")),
        "sessions": list(
            Session.objects.order_by("id").values_list("id", "host_id", "title", "date", "venue", "status")
        ),
        "reports": list(
            Report.objects.order_by("id").values_list(
                "id", "session_id", "organisation_id", "secretary_id", "order"
            )
        ),
        "users": list(User.objects.order_by("id").values_list("id", "username", "password", "is_staff")),
        "profiles": list(StaffProfile.objects.values_list("user_id", "organisation_id")),
        "audit": AuditEvent.objects.count(),
    }


def test_a_second_run_creates_and_changes_nothing(seeded):
    before = _snapshot()
    summary = demo.demo_seed()
    assert _snapshot() == before
    assert summary.created == 0
    assert summary.organisations.existing == len(before["organisations"])
    assert summary.secretaries.existing == len(before["appointments"])
    assert summary.reports.existing == len(before["reports"])
    assert summary.users.existing == 3


def test_existing_users_keep_their_password(db):
    User.objects.create_user("demo", password="my-own-password")
    summary = demo.demo_seed()
    assert (summary.users.created, summary.users.existing) == (2, 1)
    assert User.objects.get(username="demo").check_password("my-own-password")


def test_demo_logins(seeded, client):
    assert client.login(username="demo", password="shuzhi-demo")
    assert client.login(username="shijia", password="shuzhi-demo")
    assert client.login(username="admin", password="shuzhi-admin")
    demo_user = User.objects.get(username="demo")
    assert demo_user.is_staff and not demo_user.is_superuser
    assert demo_user.get_full_name() == "组织部 演示"
    assert demo_user.staff_profile.organisation.code == "C"
    assert demo_user.groups.filter(name=STAFF_GROUP_NAME).exists()
    shijia = User.objects.get(username="shijia")
    assert shijia.staff_profile.organisation.code == "T01"
    assert shijia.groups.filter(name=STAFF_GROUP_NAME).exists()
    assert User.objects.get(username="admin").is_superuser


def test_command_seeds_and_reports(db):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert Organisation.objects.filter(code="C").exists()
    assert Session.objects.count() == 2
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert Session.objects.count() == 2


def test_if_empty_loads_into_an_empty_database(db):
    call_command("seed_demo", "--if-empty", stdout=io.StringIO())
    assert Organisation.objects.filter(code="C").exists()


def test_if_empty_skips_when_organisations_exist(db):
    make_org("X1", "中共别的县委员会", kind=OrganisationKind.COMMITTEE)
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert out.getvalue().strip()
    assert list(Organisation.objects.values_list("code", flat=True)) == ["X1"]
    assert (Person.objects.count(), Cycle.objects.count(), User.objects.count()) == (0, 0, 0)
