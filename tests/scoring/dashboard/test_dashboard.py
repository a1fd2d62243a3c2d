"""The cycle dashboard (/dashboard/cycle/<id>/) and an organisation's record (/dashboard/org/<id>/).

The world: the county session scored and published through the services (石匣乡 all Good → 100.00 好,
辽阳镇 all Average → 60.00 一般; 11 ballots of 12 codes), the 石匣乡 session published from a hand-made
snapshot (东庄村 1st 好, 石匣村 2nd 差), the 辽阳镇 session not published; rectification as in the
hand-computed ledger of tests/reviews/test_rectification_selectors.py (12 items, 4 verified, 4 overdue).
"""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.cycles.models import Cycle, Report, Session, SessionStatus
from reviews.findings.models import FindingSource
from reviews.handover import services as handover
from reviews.orgs.models import OrganisationKind, Sector
from reviews.rectification import services as rect
from reviews.rectification.models import RectificationItem, RectificationStatus
from scoring.ballots import services as ballots_services
from scoring.results import services as results_services
from scoring.results.models import ResultSnapshot
from scoring.selectors import report_key
from tests.conftest import Rectified, make_org
from tests.reviews.rectification.test_selectors import TODAY, Ledger

QUERY_BOUND = 20  # 17 today: login and scope 4, cycle 1, subtree roots 1, sessions 6, rectification 5


def snapshot_data(rows: list[tuple[Report, str | None, str | None, int | None]]) -> dict:
    """A snapshot shaped as TallyResult.to_dict(); rows: (report, composite, grade, rank) in rank order."""
    reporters = [
        {
            "reporter": report_key(report.pk),
            "group_scores": {},
            "onsite": composite,
            "composite": composite,
            "grade": grade,
            "grade_reasons": [],
            "rank": rank,
            "good_share": "0",
            "missing_groups": [],
            "missing_components": [],
            "grade_counts": {},
            "valid_votes": 10,
            "needs_talk": grade in ("average", "poor"),
            "renormalised": False,
        }
        for report, composite, grade, rank in rows
    ]
    return {
        "reporters": reporters,
        "ranking": [r["reporter"] for r in reporters],
        "groups": [],
        "quorum_met": True,
        "ballots_received": 10,
        "ballots_counted": 10,
        "codes_issued": 12,
        "digest": "0" * 64,
    }


def publish_by_hand(session: Session, rows) -> ResultSnapshot:
    session.status = SessionStatus.PUBLISHED
    session.save(update_fields=["status"])
    return ResultSnapshot.objects.create(session=session, digest="0" * 64, data=snapshot_data(rows))


class Dashboard(Ledger):
    def __init__(self, scored):
        super().__init__(Rectified(scored))
        w = scored
        for i, code in enumerate(w.leader_codes[:5] + w.delegate_codes):
            ballots_services.ballot_submit(
                code=code.token, marks=w.marks("good", r2="average"), submission_key=f"k{i}"
            )
        ballots_services.scoring_close(actor=w.county_staff, session=w.county_session)
        results_services.results_publish(actor=w.county_staff, session=w.county_session)
        self.shijia_v2_report = Report.objects.get(session=w.shijia_session, organisation=w.shijia_v2)
        publish_by_hand(
            w.shijia_session,
            [(self.shijia_v2_report, "91.5", "good", 1), (self.r.village_report, "58", "poor", 2)],
        )


@pytest.fixture
def dash(scored, monkeypatch) -> Dashboard:
    monkeypatch.setattr(rect, "today", lambda: TODAY)
    return Dashboard(scored)


def _url(cycle, **params) -> str:
    url = reverse("dashboard:cycle", args=[cycle.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def _org_url(org) -> str:
    return reverse("dashboard:organisation", args=[org.pk])


def _get(client, user, url, english=True):
    client.force_login(user)
    if english:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.get(url)


def _figures(row) -> tuple:
    return (row.items, row.verified, row.overdue)


# ---------------------------------------------------------------------------------------------------
# The figures


def test_county_rectification_figures(client, dash):
    w = dash.w
    response = _get(client, w.county_staff, _url(dash.cycle))
    assert response.status_code == 200
    ctx = response.context
    total = ctx["total"]
    assert (total.items, total.verified, total.rate_text, total.overdue) == (12, 4, "33.3%", 4)
    assert [(r.key, *_figures(r), r.rate_text) for r in ctx["subtrees"]] == [
        (w.shijia.pk, 6, 2, 3, "33.3%"),
        (w.liaoyang.pk, 6, 2, 1, "33.3%"),
    ]
    assert [(r.key, *_figures(r)) for r in ctx["sectors"]] == [
        (Sector.RURAL, 5, 2, 2),
        (Sector.COMMUNITY, 2, 0, 1),
        ("", 5, 2, 1),
    ]
    assert [r.key for r in ctx["organisations"]] == [
        w.shijia_v1.pk,
        w.liaoyang_v1.pk,
        w.shijia.pk,
        w.shijia_v2.pk,
        w.liaoyang.pk,
        w.liaoyang_v2.pk,
    ]
    assert [(i.pk, i.days_overdue) for i in ctx["overdue"]] == [
        (dash.C1.pk, 21),
        (dash.V1.pk, 11),
        (dash.E2.pk, 11),
        (dash.S3.pk, 6),
    ]
    assert [(p.category, p.organisations, p.items) for p in ctx["shared"]] == [
        ("组织生活", 4, 5),
        ("集体经济", 3, 3),
    ]
    html = response.content.decode()
    assert '<div class="sz-dash-value" id="sz-total-rate">33.3%</div>' in html
    assert f'href="{_org_url(w.shijia_v1)}"' in html  # the organisation table links each record
    assert 'id="sz-overdue-more"' not in html  # all four overdue items are listed
    assert "Shared problems" in html and "Overdue items" in html


def test_shared_problems_threshold_from_the_query_string(client, dash):
    w = dash.w
    two = _get(client, w.county_staff, _url(dash.cycle, min=2)).context
    assert two["min_organisations"] == 2
    assert [p.category for p in two["shared"]] == ["组织生活", "集体经济", "阵地建设"]
    assert _get(client, w.county_staff, _url(dash.cycle, min=4)).context["shared"][0].category == "组织生活"
    assert len(_get(client, w.county_staff, _url(dash.cycle, min=4)).context["shared"]) == 1
    assert _get(client, w.county_staff, _url(dash.cycle, min=9)).context["shared"] == []
    assert _get(client, w.county_staff, _url(dash.cycle, min="x")).context["min_organisations"] == 3
    assert _get(client, w.county_staff, _url(dash.cycle, min=0)).context["min_organisations"] == 1


def test_sessions_by_level_with_turnout_and_published_ranking(client, dash):
    w = dash.w
    ctx = _get(client, w.county_staff, _url(dash.cycle)).context
    levels = ctx["levels"]
    assert [(lv.level, [r.session.pk for r in lv.sessions]) for lv in levels] == [
        (0, [w.county_session.pk]),
        (1, [w.shijia_session.pk, w.liaoyang_session.pk]),
    ]
    county = levels[0].sessions[0]
    assert (county.reporters, county.issued, county.received, county.share_text) == (2, 12, 11, "91.7%")
    assert county.session.get_status_display() == "Published"
    assert [(r.rank, r.name, r.composite, r.grade) for r in county.top] == [
        (1, "中共石匣乡委员会", "100.00", "good"),
        (2, "中共辽阳镇委员会", "60.00", "average"),
    ]
    assert county.results_url == reverse("scoring:results", args=[w.county_session.pk])
    shijia, liaoyang = levels[1].sessions
    assert [(r.rank, r.name, r.composite, r.grade_label) for r in shijia.top] == [
        (1, "东庄村党支部", "91.50", "Good"),
        (2, "石匣村党支部", "58.00", "Poor"),
    ]
    assert (liaoyang.published, liaoyang.reporters, liaoyang.issued, liaoyang.share_text) == (
        False,
        2,
        0,
        "—",
    )
    html = _get(client, w.county_staff, _url(dash.cycle)).content.decode()
    assert html.count('class="text-body-secondary sz-unpublished">Not published<') == 1
    assert f'href="{county.results_url}"' in html


def test_top_three_only(client, dash):
    w = dash.w
    extra = [make_org(f"T02V1{i}", f"新村{i}党支部", w.liaoyang, sector=Sector.RURAL) for i in range(3)]
    reports = [
        Report.objects.create(session=w.liaoyang_session, organisation=org, order=10 + i)
        for i, org in enumerate(extra)
    ]
    publish_by_hand(
        w.liaoyang_session,
        [
            (reports[0], "90", "good", 1),
            (reports[1], "80", "fairly_good", 2),
            (reports[2], "80", "fairly_good", 2),
        ]
        + [(r, None, None, None) for r in Report.objects.filter(session=w.liaoyang_session, order__lt=10)],
    )
    ctx = _get(client, w.county_staff, _url(dash.cycle)).context
    liaoyang = ctx["levels"][1].sessions[1]
    assert [(r.rank, r.name) for r in liaoyang.top] == [
        (1, "新村0党支部"),
        (2, "新村1党支部"),
        (2, "新村2党支部"),
    ]
    assert liaoyang.reporters == 5
    township = next(g for g in ctx["grades"] if g.level == 1)
    assert (township.count("good"), township.count("fairly_good"), township.count("poor")) == (2, 2, 1)
    assert township.ungraded == 2


def test_grade_distribution_by_level(client, dash):
    w = dash.w
    response = _get(client, w.county_staff, _url(dash.cycle))
    grades = response.context["grades"]
    assert [(g.level, [b.count for b in g.bars], g.sessions) for g in grades] == [
        (0, [1, 0, 1, 0], 1),  # 好, 较好, 一般, 差
        (1, [1, 0, 0, 1], 1),
    ]
    assert [b.width for b in grades[0].bars] == [50, 0, 50, 0]
    html = response.content.decode()
    assert 'id="sz-grade-chart"' in html
    assert '<span data-grade="good">Good 1</span>' in html


def test_the_page_prints_its_bars(client, dash):
    html = _get(client, dash.w.county_staff, _url(dash.cycle)).content.decode()
    assert "scoring/dashboard.css" in html
    assert 'class="sz-seg-verified" style="width: 33%"' in html  # each township: 2 of 6 verified
    css = (settings.BASE_DIR / "static" / "scoring" / "dashboard.css").read_text(encoding="utf-8")
    print_rules = css[css.index("@media print") :]
    assert "print-color-adjust: exact" in print_rules
    assert "nav," in print_rules


def test_overdue_list_is_capped_with_a_link_to_the_ledger(client, dash, monkeypatch):
    from scoring.dashboard import views as views_dashboard

    monkeypatch.setattr(views_dashboard, "OVERDUE_SHOWN", 2)
    response = _get(client, dash.w.county_staff, _url(dash.cycle))
    assert [i.pk for i in response.context["overdue"]] == [dash.C1.pk, dash.V1.pk]
    html = response.content.decode()
    assert 'id="sz-overdue-more"' in html
    assert f'href="/rectification/cycle/{dash.cycle.pk}/?overdue=yes"' in html


# ---------------------------------------------------------------------------------------------------
# Scope


def test_township_staff_see_their_subtree_only(client, dash):
    w = dash.w
    response = _get(client, w.shijia_staff, _url(dash.cycle))
    assert response.status_code == 200
    ctx = response.context
    assert [r.session.pk for lv in ctx["levels"] for r in lv.sessions] == [w.shijia_session.pk]
    assert (ctx["total"].items, ctx["total"].verified, ctx["total"].overdue) == (6, 2, 3)
    assert [(r.key, r.items) for r in ctx["subtrees"]] == [
        (w.shijia_v1.pk, 1),
        (w.shijia_v2.pk, 2),
        (w.shijia.pk, 3),
    ]
    assert [i.pk for i in ctx["overdue"]] == [dash.V1.pk, dash.E2.pk, dash.S3.pk]
    assert {r.key for r in ctx["organisations"]} == {w.shijia.pk, w.shijia_v1.pk, w.shijia_v2.pk}
    assert [g.level for g in ctx["grades"]] == [1]
    html = response.content.decode()
    for outside in ("辽阳", w.county_session.title):
        assert outside not in html


def test_staff_without_scope_see_nothing(client, dash):
    lost = User.objects.create_user("lost", password="pw-lost", is_staff=True)
    ctx = _get(client, lost, _url(dash.cycle)).context
    assert ctx["levels"] == [] and ctx["total"].items == 0 and ctx["subtrees"] == []


def test_superuser_sees_the_whole_county(client, dash):
    ctx = _get(client, dash.w.superuser, _url(dash.cycle)).context
    assert ctx["total"].items == 12
    assert ctx["scope"] == dash.w.county
    assert [r.key for r in ctx["subtrees"]] == [dash.w.shijia.pk, dash.w.liaoyang.pk]


def test_non_staff_are_refused(client, dash):
    w = dash.w
    plain = User.objects.create_user("plain", password="pw-plain")
    for user in (plain, dash.r.wang):  # 王建国 is 石匣乡's secretary, not staff
        client.force_login(user)
        assert client.get(_url(dash.cycle)).status_code == 403
        assert client.get(reverse("dashboard:index")).status_code == 403
    client.force_login(plain)
    assert client.get(_org_url(w.shijia)).status_code == 403
    client.logout()
    for url in (_url(dash.cycle), _org_url(w.shijia)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_organisation_page_scope(client, dash):
    w = dash.w
    assert _get(client, w.liaoyang_staff, _org_url(w.shijia)).status_code == 404
    assert _get(client, w.shijia_staff, _org_url(w.liaoyang_v1)).status_code == 404
    assert _get(client, w.shijia_staff, _org_url(w.shijia_v1)).status_code == 200
    assert _get(client, w.county_staff, _org_url(w.shijia)).status_code == 200
    assert _get(client, w.county_staff, reverse("dashboard:organisation", args=[999999])).status_code == 404


def test_a_secretary_sees_their_own_organisation_only(client, dash):
    w = dash.w
    response = _get(client, dash.r.wang, _org_url(w.shijia))
    assert response.status_code == 200
    entry = response.context["years"][0].sessions[0]
    assert (entry.rank, entry.results_url) == (1, "")  # no link to a staff page
    assert _get(client, dash.r.wang, _org_url(w.liaoyang)).status_code == 403


def test_township_staff_get_no_link_to_the_county_results(client, dash):
    w = dash.w
    response = _get(client, w.shijia_staff, _org_url(w.shijia))
    entry = response.context["years"][0].sessions[0]
    assert entry.session == w.county_session and entry.results_url == ""
    village = _get(client, w.shijia_staff, _org_url(w.shijia_v1)).context["years"][0].sessions[0]
    assert village.results_url == reverse("scoring:results", args=[w.shijia_session.pk])


# ---------------------------------------------------------------------------------------------------
# Year over year


def _earlier_cycle(dash) -> Cycle:
    """2024: the county session ranked 辽阳镇 first and 石匣乡 second (78.50 较好); one item, verified."""
    w = dash.w
    earlier = Cycle.objects.create(year=2024, name="2024年度抓基层党建工作述职评议")
    session = Session.objects.create(
        cycle=earlier, host=w.county, title="2024年度乡镇党委书记述职评议会", date=datetime.date(2025, 1, 10)
    )
    shijia = Report.objects.create(session=session, organisation=w.shijia, order=1)
    liaoyang = Report.objects.create(session=session, organisation=w.liaoyang, order=2)
    publish_by_hand(session, [(liaoyang, "88.25", "good", 1), (shijia, "78.5", "fairly_good", 2)])
    notice = handover.notice_issue(
        actor=w.county_staff,
        session=session,
        organisation=w.shijia,
        items=[
            handover.ItemDraft(
                problem="党建阵地标识不规范",
                measures="统一更换标识",
                responsible="书记",
                deadline=datetime.date(2025, 4, 10),
                source=FindingSource.SUPERIOR,
            )
        ],
        issued_on=datetime.date(2025, 1, 15),
    )
    Ledger._set(notice.items.get(), RectificationStatus.VERIFIED)
    return earlier


def test_year_over_year_across_two_cycles(client, dash):
    w = dash.w
    earlier = _earlier_cycle(dash)
    response = _get(client, w.county_staff, _org_url(w.shijia))
    assert response.status_code == 200
    years = response.context["years"]
    assert [y.cycle.pk for y in years] == [dash.cycle.pk, earlier.pk]
    this, last = years
    assert [(e.session.pk, e.rank, e.reporters, e.composite, e.grade) for e in this.sessions] == [
        (w.county_session.pk, 1, 2, "100.00", "good")
    ]
    assert (this.record.items, this.record.verified, this.record.overdue, this.record.relapsed) == (
        3,
        1,
        1,
        1,
    )
    assert [(e.rank, e.reporters, e.composite, e.grade_label) for e in last.sessions] == [
        (2, 2, "78.50", "Fairly good")
    ]
    assert (last.record.items, last.record.verified, last.record.overdue, last.record.relapsed) == (
        1,
        1,
        0,
        0,
    )
    html = response.content.decode()
    assert html.index("2025年度抓基层党建工作述职评议") < html.index("2024年度抓基层党建工作述职评议")
    assert "78.50" in html and "Fairly good" in html


def test_year_over_year_unpublished_and_items_without_a_report(client, dash):
    w = dash.w
    # 辽阳社区 reported in the 辽阳镇 session, which is not published.
    response = _get(client, w.county_staff, _org_url(w.liaoyang_v1))
    (year,) = response.context["years"]
    (entry,) = year.sessions
    assert (entry.published, entry.rank, entry.reporters) == (False, None, 2)
    assert (year.record.items, year.record.overdue) == (2, 1)
    assert "Not published" in response.content.decode()
    # A cycle with items but no report of the organisation still has its row.
    other = Cycle.objects.create(year=2023, name="2023年度述职评议")
    session = Session.objects.create(
        cycle=other, host=w.county, title="2023年度述职评议会", date=datetime.date(2024, 1, 5)
    )
    Report.objects.create(session=session, organisation=w.liaoyang, order=1)
    handover.notice_issue(
        actor=w.county_staff,
        session=session,
        organisation=w.liaoyang,
        items=[
            handover.ItemDraft(
                problem="旧问题",
                measures="措施",
                responsible="书记",
                deadline=datetime.date(2024, 3, 1),
                source="public",
            )
        ],
        issued_on=datetime.date(2024, 1, 10),
    )
    Report.objects.filter(session=session).delete()
    years = _get(client, w.county_staff, _org_url(w.liaoyang)).context["years"]
    assert [(y.cycle.pk, len(y.sessions), y.record.items if y.record else 0) for y in years] == [
        (dash.cycle.pk, 1, 2),
        (other.pk, 0, 1),
    ]


# ---------------------------------------------------------------------------------------------------
# Bounded queries


def _queries(client, user, url) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _grow(dash, townships: int = 8, villages: int = 6, items_per_village: int = 3) -> None:
    """Many more townships, villages, sessions (published), notices and items in every state."""
    w = dash.w
    statuses = list(RectificationStatus.values)
    categories = list(dash.r.categories.values())
    for t in range(townships):
        town = make_org(f"X{t:02d}", f"中共扩展{t}镇委员会", w.county, kind=OrganisationKind.COMMITTEE)
        orgs = [
            make_org(f"X{t:02d}V{v:02d}", f"扩展{t}-{v}村党支部", town, sector=Sector.RURAL)
            for v in range(villages)
        ]
        session = Session.objects.create(
            cycle=dash.cycle, host=town, title=f"扩展{t}镇述职评议会", date=TODAY
        )
        reports = Report.objects.bulk_create(
            Report(session=session, organisation=org, order=i) for i, org in enumerate(orgs, start=1)
        )
        if t % 2 == 0:
            publish_by_hand(
                session,
                [(r, str(90 - i), "good" if i < 2 else "average", i + 1) for i, r in enumerate(reports)],
            )
        for n, org in enumerate(orgs, start=1):
            notice = handover.notice_issue(
                actor=w.county_staff,
                session=session,
                organisation=org,
                items=[
                    handover.ItemDraft(
                        problem=f"问题{k}",
                        measures="措施",
                        responsible="书记",
                        deadline=datetime.date(2026, 3, 1) + datetime.timedelta(days=20 * k + n),
                        source=FindingSource.SUPERIOR,
                        category=categories[(n + k) % len(categories)],
                    )
                    for k in range(items_per_village)
                ],
                issued_on=Rectified.ISSUED_ON,
            )
            for k, item in enumerate(notice.items.order_by("number")):
                Ledger._set(item, statuses[(n + k + t) % len(statuses)])


def test_dashboard_queries_are_bounded_whatever_the_size(client, dash):
    w = dash.w
    small = _queries(client, w.county_staff, _url(dash.cycle))
    before = RectificationItem.objects.count(), Session.objects.count()
    _grow(dash)
    after = RectificationItem.objects.count(), Session.objects.count()
    assert after[0] >= before[0] + 140 and after[1] >= before[1] + 8
    large = _queries(client, w.county_staff, _url(dash.cycle))
    assert small <= QUERY_BOUND and large <= QUERY_BOUND
    assert large == small
    township = _queries(client, w.shijia_staff, _url(dash.cycle))
    assert township <= QUERY_BOUND
    ctx = client.get(_url(dash.cycle)).context
    assert len(ctx["subtrees"]) == 2 + 1  # shijia's villages and its own items, unchanged by the growth
    county = _get(client, w.county_staff, _url(dash.cycle)).context
    assert len(county["subtrees"]) == 10 and county["total"].items == after[0]


def test_dashboard_within_the_bound_via_the_pytest_helper(client, dash, django_assert_max_num_queries):
    _grow(dash, townships=3, villages=4)
    client.force_login(dash.w.county_staff)
    with django_assert_max_num_queries(QUERY_BOUND):
        assert client.get(_url(dash.cycle)).status_code == 200


def test_organisation_page_queries_do_not_grow_with_cycles(client, dash):
    w = dash.w
    one = _queries(client, w.county_staff, _org_url(w.shijia))
    _earlier_cycle(dash)
    for year in (2021, 2022, 2023):
        cycle = Cycle.objects.create(year=year, name=f"{year}年度述职评议")
        session = Session.objects.create(
            cycle=cycle, host=w.county, title=f"{year}述职评议会", date=datetime.date(year + 1, 1, 5)
        )
        report = Report.objects.create(session=session, organisation=w.shijia, order=1)
        publish_by_hand(session, [(report, "80", "fairly_good", 1)])
    many = _queries(client, w.county_staff, _org_url(w.shijia))
    assert len(client.get(_org_url(w.shijia)).context["years"]) == 5
    assert many <= one + 1  # + the cycles that have items but no report, read once
    assert many <= 10


def test_index_lists_the_cycles(client, dash):
    response = _get(client, dash.w.county_staff, reverse("dashboard:index"))
    assert response.status_code == 200
    assert f'href="{_url(dash.cycle)}"' in response.content.decode()
