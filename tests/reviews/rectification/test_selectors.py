"""Rectification statistics (reviews.rectification.selectors) against a hand-computed ledger.

The ledger (TODAY = 2026-05-01; D = 2026-04-20, L = 2026-05-20, items marked * are overdue):

    organisation        sector     item  category  deadline        status
    石匣乡 (T01)         —          S1    组织生活   D               verified
                                   S2    集体经济   L               in progress
                                   S3    责任落实   D → 04-25 ext.  pending *      (6 days)
    辽阳镇 (T02)         —          L1    党员队伍   D               submitted
                                   L2    组织生活   D               verified
    石匣村 (T01V01)      rural      V1    阵地建设   D               returned *     (11 days)
    东庄村 (T01V02)      rural      E1    组织生活   D               verified
                                   E2    集体经济   D               in progress *  (11 days)
    辽阳社区 (T02V01)    community  C1    组织生活   04-10           pending *      (21 days)
                                   C2    组织生活   L               pending
    西沟村 (T02V02)      rural      W1    集体经济   L               pending
                                   W2    阵地建设   D               verified

12 items, 4 verified (rate 1/3), 4 overdue; S1 relapsed at the follow-up review.
"""

import datetime
from fractions import Fraction

import pytest
from django.utils import timezone

from reviews.cycles.models import Cycle, Report, Session
from reviews.findings.models import FindingSource
from reviews.handover import services as handover_services
from reviews.orgs.models import OrganisationKind, Sector
from reviews.rectification import selectors
from reviews.rectification import services as rectification_services
from reviews.rectification.models import RectificationItem, RectificationStatus
from reviews.scope import restrict
from tests.conftest import Rectified, make_org

TODAY = datetime.date(2026, 5, 1)
D = Rectified.DEADLINE
L = handover_services.add_months(D, 1)


class Ledger:
    """The Rectified world with three more villages' notices and every item moved to a known state."""

    def __init__(self, rectified: Rectified):
        self.r = r = rectified
        self.w = w = rectified.world
        self.cycle = w.cycle
        cats = r.categories
        Report.objects.create(session=w.shijia_session, organisation=w.shijia_v2, order=2)
        Report.objects.create(session=w.liaoyang_session, organisation=w.liaoyang_v1, order=1)
        Report.objects.create(session=w.liaoyang_session, organisation=w.liaoyang_v2, order=2)

        def issue(actor, session, org, rows):
            notice = handover_services.notice_issue(
                actor=actor,
                session=session,
                organisation=org,
                items=[
                    handover_services.ItemDraft(
                        problem=text,
                        measures="整改措施",
                        responsible="书记",
                        deadline=deadline,
                        source=FindingSource.SUPERIOR,
                        category=cats[category],
                    )
                    for text, category, deadline in rows
                ],
                issued_on=Rectified.ISSUED_ON,
            )
            return list(notice.items.order_by("number"))

        self.S1, self.S2, self.S3 = r.shijia_items
        self.L1, self.L2 = r.liaoyang_items
        self.V1 = r.village_item
        self.E1, self.E2 = issue(
            w.shijia_staff,
            w.shijia_session,
            w.shijia_v2,
            [("东庄村组织生活不规范", "组织生活", D), ("东庄村集体经济薄弱", "集体经济", D)],
        )
        self.C1, self.C2 = issue(
            w.liaoyang_staff,
            w.liaoyang_session,
            w.liaoyang_v1,
            [("社区支部学习走过场", "组织生活", D), ("社区组织生活会缺记录", "组织生活", L)],
        )
        self.W1, self.W2 = issue(
            w.liaoyang_staff,
            w.liaoyang_session,
            w.liaoyang_v2,
            [("西沟村集体经济无增收项目", "集体经济", L), ("西沟村活动室被占用", "阵地建设", D)],
        )
        # States are set directly (the statistics read only the stored status and deadlines; the
        # transitions' own rules are tested with the services).
        for item in (self.S1, self.L2, self.E1, self.W2):
            self._set(item, RectificationStatus.VERIFIED)
        self._set(self.S2, RectificationStatus.IN_PROGRESS)
        # S3's deadline extended by five days (延期): the later deadline counts, the original stays.
        RectificationItem.objects.filter(pk=self.S3.pk).update(deadline=datetime.date(2026, 4, 25))
        self._set(self.L1, RectificationStatus.SUBMITTED)
        self._set(self.V1, RectificationStatus.RETURNED)
        self._set(self.E2, RectificationStatus.IN_PROGRESS)
        RectificationItem.objects.filter(pk=self.C1.pk).update(
            deadline=datetime.date(2026, 4, 10), original_deadline=datetime.date(2026, 4, 10)
        )
        review = rectification_services.follow_up_start(
            actor=w.county_staff, cycle=self.cycle, scope=w.county
        )
        rectification_services.follow_up_mark(
            actor=w.county_staff, review=review, item=self.S1, outcome="relapsed", note="记录又不全了"
        )
        rectification_services.follow_up_mark(
            actor=w.county_staff, review=review, item=self.L2, outcome="held"
        )

    @staticmethod
    def _set(item: RectificationItem, status: str) -> None:
        extra = {"verified_at": timezone.now()} if status == RectificationStatus.VERIFIED else {}
        RectificationItem.objects.filter(pk=item.pk).update(status=status, **extra)

    def items(self, user=None):
        qs = RectificationItem.objects.filter(cycle=self.cycle)
        return restrict(qs, user, via="organisation") if user is not None else qs


@pytest.fixture
def ledger(rectified) -> Ledger:
    return Ledger(rectified)


def _figures(row: selectors.Completion) -> tuple:
    return (row.items, row.pending, row.in_progress, row.submitted, row.returned, row.verified, row.overdue)


def test_the_overall_completion(ledger):
    total = selectors.completion_total(ledger.items(), TODAY)
    assert _figures(total) == (12, 4, 2, 1, 1, 4, 4)
    assert total.rate == Fraction(1, 3)
    assert total.rate_text == "33.3%"
    assert total.owing == 7
    # The sum of the organisation rows is the same figure without another query.
    assert _figures(selectors.total_of(selectors.completion_by_organisation(ledger.items(), TODAY))) == (
        12,
        4,
        2,
        1,
        1,
        4,
        4,
    )


def test_overdue_depends_on_the_day(ledger):
    # The day before the first deadline nothing is overdue; after the last one every owed item is.
    assert selectors.completion_total(ledger.items(), datetime.date(2026, 4, 10)).overdue == 0
    assert selectors.completion_total(ledger.items(), datetime.date(2026, 4, 11)).overdue == 1
    assert selectors.completion_total(ledger.items(), datetime.date(2026, 6, 1)).overdue == 7


def test_by_organisation_overdue_first(ledger):
    w = ledger.w
    rows = selectors.completion_by_organisation(ledger.items(), TODAY)
    assert [r.key for r in rows] == [
        w.shijia_v1.pk,  # overdue, rate 0, first in the tree
        w.liaoyang_v1.pk,  # overdue, rate 0
        w.shijia.pk,  # overdue, 1/3
        w.shijia_v2.pk,  # overdue, 1/2
        w.liaoyang.pk,  # not overdue, 1/2
        w.liaoyang_v2.pk,  # not overdue, 1/2
    ]
    by_key = {r.key: r for r in rows}
    assert _figures(by_key[w.shijia.pk]) == (3, 1, 1, 0, 0, 1, 1)
    assert by_key[w.shijia.pk].rate == Fraction(1, 3)
    assert _figures(by_key[w.liaoyang.pk]) == (2, 0, 0, 1, 0, 1, 0)
    assert _figures(by_key[w.shijia_v1.pk]) == (1, 0, 0, 0, 1, 0, 1)
    assert _figures(by_key[w.liaoyang_v1.pk]) == (2, 2, 0, 0, 0, 0, 1)
    assert by_key[w.liaoyang_v1.pk].rate == 0
    assert by_key[w.liaoyang_v2.pk].label == "西沟村党支部"
    assert by_key[w.liaoyang_v2.pk].sector == Sector.RURAL


def test_by_township_subtree(ledger):
    w = ledger.w
    rows = selectors.completion_by_subtree(ledger.items(), [w.shijia, w.liaoyang], TODAY, parent=w.county)
    assert [r.key for r in rows] == [w.shijia.pk, w.liaoyang.pk]  # the county has no items of its own
    shijia, liaoyang = rows
    assert _figures(shijia) == (6, 1, 2, 0, 1, 2, 3)
    assert _figures(liaoyang) == (6, 3, 0, 1, 0, 2, 1)
    assert shijia.rate == liaoyang.rate == Fraction(1, 3)
    # A township with no item still has its (empty) row.
    empty = make_org("T03", "中共空白镇委员会", w.county, kind=OrganisationKind.COMMITTEE)
    rows = selectors.completion_by_subtree(ledger.items(), [w.shijia, empty], TODAY)
    assert [(r.label, r.items) for r in rows] == [("中共石匣乡委员会", 6), ("中共空白镇委员会", 0)]
    assert rows[1].rate is None and rows[1].rate_text == "—"


def test_by_village_for_a_township_with_its_own_items(ledger):
    w = ledger.w
    items = ledger.items(w.shijia_staff)
    rows = selectors.completion_by_subtree(items, [w.shijia_v1, w.shijia_v2], TODAY, parent=w.shijia)
    assert [r.key for r in rows] == [w.shijia_v1.pk, w.shijia_v2.pk, w.shijia.pk]
    assert [_figures(r) for r in rows] == [
        (1, 0, 0, 0, 1, 0, 1),
        (2, 0, 1, 0, 0, 1, 1),
        (3, 1, 1, 0, 0, 1, 1),
    ]
    assert "中共石匣乡委员会" in rows[2].label


def test_by_sector(ledger):
    rows = selectors.completion_by_sector(ledger.items(), TODAY)
    assert [r.key for r in rows] == [Sector.RURAL, Sector.COMMUNITY, ""]
    rural, community, unset = rows
    assert _figures(rural) == (5, 1, 1, 0, 1, 2, 2)
    assert rural.rate == Fraction(2, 5)
    assert _figures(community) == (2, 2, 0, 0, 0, 0, 1)
    assert _figures(unset) == (5, 1, 1, 1, 0, 2, 1)


def test_overdue_items_most_overdue_first(ledger):
    rows = selectors.overdue_items(ledger.items(), TODAY)
    assert [r.pk for r in rows] == [ledger.C1.pk, ledger.V1.pk, ledger.E2.pk, ledger.S3.pk]
    assert [r.days_overdue for r in rows] == [21, 11, 11, 6]
    assert rows[0].organisation == "辽阳社区党支部"
    assert rows[0].category == "组织生活"
    assert rows[3].deadline == datetime.date(2026, 4, 25)  # the extended deadline counts
    assert [r.pk for r in selectors.overdue_items(ledger.items(), TODAY, limit=2)] == [
        ledger.C1.pk,
        ledger.V1.pk,
    ]


def test_shared_problems_with_a_threshold(ledger):
    three = selectors.shared_problems(ledger.items())
    assert [(p.category, p.organisations, p.items) for p in three] == [("组织生活", 4, 5), ("集体经济", 3, 3)]
    assert three[0].organisation_names == [
        "中共石匣乡委员会",
        "东庄村党支部",
        "中共辽阳镇委员会",
        "辽阳社区党支部",
    ]
    assert three[0].more == 0
    two = selectors.shared_problems(ledger.items(), min_organisations=2, names=2)
    assert [(p.category, p.organisations, p.items) for p in two] == [
        ("组织生活", 4, 5),
        ("集体经济", 3, 3),
        ("阵地建设", 2, 2),
    ]
    assert two[0].organisation_names == ["中共石匣乡委员会", "东庄村党支部"]
    assert two[0].more == 2
    assert selectors.shared_problems(ledger.items(), min_organisations=5) == []


def test_shared_problems_within_a_township(ledger):
    rows = selectors.shared_problems(ledger.items(ledger.w.shijia_staff), min_organisations=2)
    assert [(p.category, p.organisations, p.items) for p in rows] == [("组织生活", 2, 2), ("集体经济", 2, 2)]


def test_organisation_record_counts_relapses(ledger):
    w = ledger.w
    record = selectors.organisation_record(w.shijia, TODAY)
    assert list(record) == [ledger.cycle.pk]
    shijia = record[ledger.cycle.pk]
    assert (shijia.items, shijia.verified, shijia.overdue, shijia.relapsed) == (3, 1, 1, 1)
    liaoyang = selectors.organisation_record(w.liaoyang, TODAY)[ledger.cycle.pk]
    assert (liaoyang.items, liaoyang.verified, liaoyang.overdue, liaoyang.relapsed) == (2, 1, 0, 0)
    assert liaoyang.rate_text == "50.0%"
    assert selectors.organisation_record(w.county, TODAY) == {}


def test_organisation_record_by_cycle(ledger):
    w = ledger.w
    earlier = Cycle.objects.create(year=2024, name="2024年度抓基层党建工作述职评议")
    session = Session.objects.create(cycle=earlier, host=w.county, title="2024年度述职评议会", date=D)
    Report.objects.create(session=session, organisation=w.shijia, order=1)
    handover_services.notice_issue(
        actor=w.county_staff,
        session=session,
        organisation=w.shijia,
        items=[
            handover_services.ItemDraft(
                problem="2024年问题",
                measures="措施",
                responsible="书记",
                deadline=D,
                source=FindingSource.PUBLIC,
            )
        ],
        issued_on=Rectified.ISSUED_ON,
    )
    record = selectors.organisation_record(w.shijia, TODAY)
    assert {pk: (r.items, r.verified, r.overdue) for pk, r in record.items()} == {
        ledger.cycle.pk: (3, 1, 1),
        earlier.pk: (1, 0, 1),
    }


def test_each_statistic_is_one_query(ledger, django_assert_num_queries):
    items = ledger.items()
    with django_assert_num_queries(1):
        selectors.completion_by_organisation(items, TODAY)
    with django_assert_num_queries(1):
        selectors.completion_by_sector(items, TODAY)
    with django_assert_num_queries(1):
        selectors.overdue_items(items, TODAY)
    with django_assert_num_queries(2):
        selectors.shared_problems(items, 2)
    with django_assert_num_queries(1):
        selectors.organisation_record(ledger.w.shijia, TODAY)


def test_percent_text_rounds_half_up():
    assert selectors.percent_text(Fraction(2, 3)) == "66.7%"
    assert selectors.percent_text(Fraction(1, 8)) == "12.5%"
    assert selectors.percent_text(Fraction(1, 1600)) == "0.1%"  # 0.0625 % rounds up
    assert selectors.percent_text(Fraction(1)) == "100.0%"
    assert selectors.percent_text(None) == "—"
