"""The cycle dashboard on a province tree (province → counties → townships → villages), built with
varied random data: the database's aggregates equal a straightforward Python computation, the queries
and the HTML do not grow with the data, long lists are paginated and searchable, levels come from the
tree, and the Excel export carries the same figures.
"""

from __future__ import annotations

import datetime
import io
import random
from collections import Counter, defaultdict
from fractions import Fraction

import openpyxl
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from reviews.cycles.models import Cycle, Report, Session
from reviews.findings.models import Finding
from reviews.jobs.models import Job
from reviews.orgs.models import Organisation, OrganisationKind, Sector
from reviews.rectification import selectors as review_selectors
from reviews.rectification import services as rect
from reviews.rectification.models import (
    OWING_STATUSES,
    ProblemCategory,
    RectificationItem,
    RectificationNotice,
    RectificationStatus,
)
from scoring.dashboard import exports
from scoring.dashboard import selectors as dashboard
from scoring.dashboard import views as dashboard_views
from scoring.results.models import ResultSnapshot
from tests.conftest import make_org, make_staff
from tests.scoring.dashboard.test_dashboard import publish_by_hand

TODAY = datetime.date(2026, 5, 20)
PROVINCE_LEVELS = ["province", "county", "township", "village"]
SECTORS = [Sector.RURAL, Sector.RURAL, Sector.COMMUNITY, Sector.SCHOOL, ""]
GRADES = ["good", "fairly_good", "average", "poor", None, ""]
QUERY_BOUND = 20
HTML_BOUND = 500 * 1024


class Province:
    """A province with `counties` counties of `townships` townships of `villages` villages; a session at
    every committee (its children report), most published with random grades, ranks with ties and gaps;
    0–4 items per organisation in random states, sectors, categories and deadlines."""

    def __init__(self, counties: int, townships: int, villages: int, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.cycle = Cycle.objects.create(year=2025, name="2025年度全省述职评议")
        self.province = make_org("P", "中共某省委员会", kind=OrganisationKind.COMMITTEE)
        self.categories = [ProblemCategory.objects.create(name=f"类别{i}", order=i) for i in range(4)]
        self.committees: list[Organisation] = [self.province]
        self.children: dict[int, list[Organisation]] = {}
        self.grow(counties, townships, villages, rng, tag="a")
        self.staff = make_staff("province-staff", self.province)

    def grow(self, counties: int, townships: int, villages: int, rng: random.Random, tag: str) -> None:
        new_committees = []
        for c in range(counties):
            county = make_org(
                f"{tag}C{c}", f"中共{tag}{c}县委员会", self.province, kind=OrganisationKind.COMMITTEE
            )
            self.children.setdefault(self.province.pk, []).append(county)
            new_committees.append(county)
            for t in range(townships):
                town = make_org(
                    f"{tag}C{c}T{t}", f"中共{tag}{c}县{t}镇委员会", county, kind=OrganisationKind.COMMITTEE
                )
                self.children.setdefault(county.pk, []).append(town)
                new_committees.append(town)
                self.children[town.pk] = [
                    make_org(
                        f"{tag}C{c}T{t}V{v}",
                        f"{tag}{c}县{t}镇{v}村党支部",
                        town,
                        sector=SECTORS[rng.randrange(len(SECTORS))],
                    )
                    for v in range(villages)
                ]
        hosts = new_committees + ([self.province] if tag == "a" else [])
        for host in hosts:
            self._session(host, rng)
        for org in new_committees + [v for h in new_committees for v in self.children.get(h.pk, [])]:
            self._items(org, rng)
        if tag == "a":
            self._items(self.province, rng)

    def _session(self, host: Organisation, rng: random.Random) -> None:
        session = Session.objects.create(
            cycle=self.cycle,
            host=host,
            title=f"{host.name}述职评议会",
            date=TODAY - datetime.timedelta(days=90),
        )
        reporters = [
            Report.objects.create(session=session, organisation=org, order=i)
            for i, org in enumerate(Organisation.objects.filter(parent=host).order_by("path"), start=1)
        ]
        if reporters and rng.random() < 0.75:
            ranks: list[int] = []
            for i in range(len(reporters)):
                if i and rng.random() < 0.3:
                    ranks.append(ranks[-1])  # a tie shares the rank
                else:
                    ranks.append(i + 1)
            rows = [
                (
                    report,
                    f"{rng.randint(500, 1000) / 10}" if rank is not None else None,
                    rng.choice(GRADES),
                    rank if rng.random() < 0.9 else None,
                )
                for report, rank in zip(reporters, ranks, strict=True)
            ]
            publish_by_hand(session, rows)

    def _items(self, org: Organisation, rng: random.Random) -> None:
        count = rng.randint(0, 4)
        if not count:
            return
        session = Session.objects.filter(cycle=self.cycle).first()
        notice = RectificationNotice.objects.create(
            session=session,
            organisation=org,
            host=session.host,
            year=2025,
            number=RectificationNotice.objects.count() + 1,
            issuer="组织部",
            issued_on=TODAY - datetime.timedelta(days=80),
        )
        statuses = list(RectificationStatus.values)
        findings = Finding.objects.bulk_create(
            Finding(cycle=self.cycle, organisation=org, source="superior", description=f"问题{n}")
            for n in range(1, count + 1)
        )
        RectificationItem.objects.bulk_create(
            RectificationItem(
                notice=notice,
                finding=findings[n - 1],
                cycle=self.cycle,
                organisation=org,
                number=n,
                source="superior",
                category=rng.choice([*self.categories, None]),
                problem=f"{org.name}问题{n}",
                measures="措施",
                responsible="书记",
                deadline=(deadline := TODAY + datetime.timedelta(days=rng.randint(-40, 40))),
                original_deadline=deadline,
                status=(status := rng.choice(statuses)),
                verified_at=timezone.now() if status == RectificationStatus.VERIFIED else None,
            )
            for n in range(1, count + 1)
        )


@pytest.fixture
def province(db, settings, monkeypatch) -> Province:
    settings.TREE_LEVELS = PROVINCE_LEVELS
    monkeypatch.setattr(rect, "today", lambda: TODAY)
    return Province(counties=2, townships=2, villages=3)


def _get(client, user, url):
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(url)
    assert response.status_code == 200
    return response


def _url(cycle, query: str = "") -> str:
    return reverse("dashboard:cycle", args=[cycle.pk]) + (f"?{query}" if query else "")


# ---------------------------------------------------------------------------------------------------
# The straightforward computation the database's aggregates must equal


def _expected_by_organisation(items) -> dict[int, dict]:
    rows: dict[int, dict] = defaultdict(Counter)
    for item in items:
        row = rows[item.organisation_id]
        row["items"] += 1
        row[item.status] += 1
        row["overdue"] += item.status in OWING_STATUSES and item.deadline < TODAY
    return rows


def _figures(c) -> tuple:
    return (c.items, c.pending, c.in_progress, c.submitted, c.returned, c.verified, c.overdue)


def _expected_figures(row: Counter) -> tuple:
    s = RectificationStatus
    return (
        row["items"],
        row[s.PENDING],
        row[s.IN_PROGRESS],
        row[s.SUBMITTED],
        row[s.RETURNED],
        row[s.VERIFIED],
        row["overdue"],
    )


def _sum(rows) -> Counter:
    total: Counter = Counter()
    for row in rows:
        total.update(row)
    return total


def test_rectification_aggregates_equal_a_python_computation(province):
    items = list(RectificationItem.objects.filter(cycle=province.cycle).select_related("organisation"))
    assert len(items) > 40
    orgs = {o.pk: o for o in Organisation.objects.all()}
    by_org = _expected_by_organisation(items)
    queryset = RectificationItem.objects.filter(cycle=province.cycle)
    scope = dashboard.ItemScope(province.cycle.pk)

    overview = dashboard.rectification_overview(scope, TODAY)
    assert _figures(overview.total) == _expected_figures(_sum(by_org.values()))
    assert dashboard.count_organisations(scope) == len(by_org)
    rows, page = dashboard.organisation_page(scope, TODAY, 2, size=5)
    assert (page.number, page.count, len(rows)) == (2, len(by_org), 5)
    rows, page = dashboard.organisation_page(scope, TODAY, 999, size=5)
    assert page.number == page.pages == -(-len(by_org) // 5) and rows
    by_sector: dict[str, Counter] = defaultdict(Counter)
    for pk, row in by_org.items():
        by_sector[orgs[pk].sector].update(row)
    assert {s.key: _figures(s) for s in overview.sectors} == {
        k: _expected_figures(v) for k, v in by_sector.items()
    }

    counties = province.children[province.province.pk]
    subtrees = dashboard.completion_by_subtree(scope, counties, TODAY, parent=province.province)
    expected = [
        _expected_figures(_sum(row for pk, row in by_org.items() if orgs[pk].path.startswith(county.path)))
        for county in counties
    ]
    own = by_org.get(province.province.pk)
    assert [_figures(s) for s in subtrees] == expected + ([_expected_figures(own)] if own else [])
    assert [s.key for s in subtrees[: len(counties)]] == [c.pk for c in counties]
    # The same as the Python roll-up the dashboard used before.
    old = review_selectors.completion_by_subtree(queryset, counties, TODAY, parent=province.province)
    assert [_figures(s) for s in subtrees] == [_figures(s) for s in old]

    def order(pk):
        row = by_org[pk]
        return (-row["overdue"], Fraction(row[RectificationStatus.VERIFIED], row["items"]), orgs[pk].path)

    paged = []
    for offset in range(0, len(by_org), 7):
        paged += dashboard.completion_by_organisation(scope, TODAY, offset=offset, limit=7)
    assert [r.key for r in paged] == sorted(by_org, key=order)
    assert [_figures(r) for r in paged] == [_expected_figures(by_org[r.key]) for r in paged]
    assert [r.key for r in dashboard.iter_organisation_completion(scope, TODAY, chunk_size=5)] == [
        r.key for r in paged
    ]

    for minimum in (1, 3, 6):
        mine = dashboard.shared_problems(scope, minimum, names=3)
        from_overview = dashboard.shared_problems(scope, minimum, names=3, categories=overview.categories)
        theirs = review_selectors.shared_problems(queryset, minimum, names=3)
        assert mine == from_overview == theirs


def test_session_aggregates_equal_a_python_computation(province):
    sessions = Session.objects.filter(cycle=province.cycle)
    summaries = dashboard.level_summaries(sessions)
    expected_sessions: Counter = Counter()
    expected_published: Counter = Counter()
    expected_grades: dict[int, Counter] = defaultdict(Counter)
    for session in sessions.select_related("host"):
        level = dashboard.level_of(session.host.depth)
        expected_sessions[level] += 1
        snapshot = ResultSnapshot.objects.filter(session=session).first()
        if snapshot is None:
            continue
        expected_published[level] += 1
        for reporter in snapshot.data["reporters"]:
            expected_grades[level][reporter["grade"] or "-"] += 1
    assert [(s.level, s.sessions, s.published) for s in summaries] == [
        (level, expected_sessions[level], expected_published[level]) for level in sorted(expected_sessions)
    ]
    assert [s.label for s in summaries] == ["省级", "县级", "乡镇级"]
    for summary in summaries:
        grades = expected_grades[summary.level]
        if summary.grades is None:
            assert not expected_published[summary.level]
            continue
        assert [summary.grades.count(g) for g in ("good", "fairly_good", "average", "poor")] == [
            grades["good"],
            grades["fairly_good"],
            grades["average"],
            grades["poor"],
        ]
        assert summary.grades.ungraded == grades["-"]

    rows = []
    for offset in range(0, sessions.count(), 4):
        rows += dashboard.session_rows(sessions, offset=offset, limit=4)
    assert [r.session.pk for r in rows] == list(
        sessions.order_by("host__depth", "host__path", "date", "pk").values_list("pk", flat=True)
    )
    for row in rows:
        snapshot = ResultSnapshot.objects.filter(session=row.session).first()
        assert row.reporters == Report.objects.filter(session=row.session).count()
        assert row.published == (snapshot is not None)
        if snapshot is None:
            assert row.top == []
            continue
        ranking, _all = dashboard._snapshot_reporters(snapshot.data)
        top = dashboard._top(ranking, dashboard.TOP)
        assert [(r.rank, r.grade) for r in row.top] == [(r["rank"], r["grade"] or "") for r in top]
        assert [r.composite for r in row.top] == [dashboard._composite_text(r["composite"]) for r in top]
        assert row.quorum_met is True


# ---------------------------------------------------------------------------------------------------
# The page


def test_the_province_page_shows_levels_from_the_tree(client, province):
    response = _get(client, province.staff, _url(province.cycle))
    ctx = response.context
    assert [s.label for s in ctx["level_summaries"]] == ["Province level", "County level", "Township level"]
    assert ctx["levels"][0].label == "Province level"
    assert ctx["levels"][0].sessions[0].session.host == province.province
    assert ctx["subtrees_heading"] == "Rectification by county"
    html = response.content.decode()
    assert "Province level" in html and "County level" in html
    county = province.children[province.province.pk][0]
    county_staff = make_staff("county-staff", county)
    ctx = _get(client, county_staff, _url(province.cycle)).context
    assert ctx["subtrees_heading"] == "Rectification by township"
    assert [s.label for s in ctx["level_summaries"]] == ["County level", "Township level"]
    assert {r.key for r in ctx["subtrees"]} <= {t.pk for t in province.children[county.pk]} | {county.pk}


def _page_cost(client, user, url, django_assert_max_num_queries) -> tuple[int, int]:
    client.force_login(user)
    with django_assert_max_num_queries(QUERY_BOUND) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), len(response.content)


@pytest.mark.parametrize("query", ["", "orgs=all", "orgs=all&oq=村&op=2&sq=镇&sp=2"])
def test_queries_and_html_do_not_grow_with_the_province(
    client, province, monkeypatch, django_assert_max_num_queries, query
):
    monkeypatch.setattr(dashboard_views, "SESSIONS_SHOWN", 4)
    monkeypatch.setattr(dashboard_views, "ORGANISATIONS_SHOWN", 6)
    monkeypatch.setattr(dashboard_views, "OVERDUE_SHOWN", 5)
    url = _url(province.cycle, query)
    small_queries, small_html = _page_cost(client, province.staff, url, django_assert_max_num_queries)
    before = Organisation.objects.count(), Session.objects.count(), RectificationItem.objects.count()
    province.grow(3, 3, 5, random.Random(11), tag="b")
    after = Organisation.objects.count(), Session.objects.count(), RectificationItem.objects.count()
    assert after[0] >= 3 * before[0] and after[1] >= 2 * before[1] and after[2] >= 3 * before[2]
    large_queries, large_html = _page_cost(client, province.staff, url, django_assert_max_num_queries)
    assert large_queries == small_queries
    assert large_html < HTML_BOUND
    # One page of each list: the page grows by the three new counties' rows, not with the organisations.
    assert large_html < small_html * 1.5


def test_sessions_are_paginated_and_searchable(client, province, monkeypatch):
    monkeypatch.setattr(dashboard_views, "SESSIONS_SHOWN", 3)
    total = Session.objects.filter(cycle=province.cycle).count()
    first = _get(client, province.staff, _url(province.cycle)).context
    assert (first["session_page"].count, first["session_page"].pages) == (total, -(-total // 3))
    shown = [r.session.pk for lv in first["levels"] for r in lv.sessions]
    second = _get(client, province.staff, _url(province.cycle, "sp=2")).context
    shown2 = [r.session.pk for lv in second["levels"] for r in lv.sessions]
    assert len(shown) == len(shown2) == 3 and not set(shown) & set(shown2)
    assert "sp=3" in second["session_pages"]["next"] and "sp=1" in second["session_pages"]["previous"]
    last = _get(client, province.staff, _url(province.cycle, "sp=999")).context
    assert last["session_page"].number == last["session_page"].pages
    found = _get(client, province.staff, _url(province.cycle, "sq=a0县1镇")).context
    assert [r.session.title for lv in found["levels"] for r in lv.sessions] == ["中共a0县1镇委员会述职评议会"]
    assert found["session_page"].count == 1
    none = _get(client, province.staff, _url(province.cycle, "sq=不存在"))
    assert none.context["levels"] == [] and "No session matches." in none.content.decode()


def test_all_organisations_is_a_paginated_searchable_table(client, province, monkeypatch):
    monkeypatch.setattr(dashboard_views, "ORGANISATIONS_SHOWN", 5)
    first = _get(client, province.staff, _url(province.cycle))
    with_items = first.context["organisation_count"]
    assert len(first.context["organisations"]) == 5 < with_items
    assert "?orgs=all&amp;min=3" in first.content.decode()
    pages = -(-with_items // 5)
    seen = []
    for number in range(1, pages + 1):
        ctx = _get(client, province.staff, _url(province.cycle, f"orgs=all&op={number}")).context
        seen += [r.key for r in ctx["organisations"]]
    scope = dashboard.ItemScope(province.cycle.pk)
    assert seen == [r.key for r in dashboard.iter_organisation_completion(scope, TODAY)]
    response = _get(client, province.staff, _url(province.cycle, "orgs=all&oq=a1县0镇2村"))
    found = response.context["organisations"]
    village = Organisation.objects.get(name="a1县0镇2村党支部")
    has_items = RectificationItem.objects.filter(organisation=village).exists()
    assert [r.key for r in found] == ([village.pk] if has_items else [])
    assert 'id="sz-organisation-search"' in response.content.decode()


# ---------------------------------------------------------------------------------------------------
# The Excel export


def _sheet_rows(content: bytes, title: str) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [tuple(row) for row in book[title].iter_rows(values_only=True)]


def test_the_export_carries_every_row_and_reports_progress(province):
    translation.activate("en")
    calls = []
    sessions = Session.objects.filter(cycle=province.cycle)
    content = exports.dashboard_workbook(
        cycle=province.cycle,
        user=province.staff,
        parent=province.province,
        roots=province.children[province.province.pk],
        today=TODAY,
        progress=lambda done, total: calls.append((done, total)),
    )
    rows = _sheet_rows(content, "Review sessions")
    assert len(rows) == 1 + sessions.count()
    organisations = _sheet_rows(content, "By organisation")
    scope = dashboard.ItemScope(province.cycle.pk)
    expected = list(dashboard.iter_organisation_completion(scope, TODAY))
    assert [r[0] for r in organisations[1:]] == [r.label for r in expected]
    assert [r[1:8] for r in organisations[1:]] == [
        (r.items, r.verified, r.submitted, r.in_progress, r.pending, r.returned, r.overdue) for r in expected
    ]
    overview = dashboard.rectification_overview(scope, TODAY)
    assert len(_sheet_rows(content, "Overdue items")) == 1 + overview.total.overdue
    assert _sheet_rows(content, "By sector")[-1][1] == overview.total.items
    assert (
        calls
        and calls[-1][0]
        == calls[-1][1]
        == sessions.count() + dashboard.count_organisations(scope) + overview.total.overdue
    )
    assert [done for done, _total in calls] == sorted(done for done, _total in calls)

    out = io.BytesIO()
    assert (
        exports.dashboard_workbook(
            cycle=province.cycle, user=province.staff, parent=None, roots=[], today=TODAY, out=out
        )
        is None
    )
    assert _sheet_rows(out.getvalue(), "Review sessions") == rows


def test_the_export_is_a_job_whose_workbook_is_scoped_to_the_user(client, province, run_jobs):
    county = province.children[province.province.pk][0]
    county_staff = make_staff("county-staff", county)
    client.force_login(county_staff)
    page = client.get(_url(province.cycle)).content.decode()
    export_url = reverse("dashboard:cycle_export", args=[province.cycle.pk])
    assert f'action="{export_url}"' in page and 'name="min" value="3"' in page
    assert client.get(export_url).status_code == 405  # starting a job is a POST
    response = client.post(export_url, {"min": "3"})
    job = Job.objects.get(kind="dashboard.export")
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.created_by == county_staff and job.organisation == county
    run_jobs()
    job.refresh_from_db()
    assert job.status == "done", job.error
    download = client.get(reverse("jobs:download", args=[job.pk]))
    content = b"".join(download.streaming_content) if download.streaming else download.content
    assert "attachment" in download["Content-Disposition"]
    rows = _sheet_rows(content, openpyxl.load_workbook(io.BytesIO(content)).sheetnames[1])
    hosts = {r[2] for r in rows[1:]}
    inside = {o.display_name for o in Organisation.objects.filter(path__startswith=county.path)}
    assert hosts and hosts <= inside
    other = make_staff("other-county-staff", province.children[province.province.pk][1])
    client.force_login(other)
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404
    client.logout()
    assert client.post(export_url, {"min": "3"}).status_code == 302
    assert Job.objects.count() == 1


def test_the_items_list_filters_by_the_tree_levels(province):
    from reviews.orgs.levels import Level
    from reviews.rectification.forms import ItemFilterForm

    items = RectificationItem.objects.filter(cycle=province.cycle)
    choices = [value for value, _label in ItemFilterForm(cycle=province.cycle).fields["level"].choices]
    assert choices == ["", "-2", "0", "1", "2"]
    for level, depths in (
        (Level.PROVINCE, {0}),
        (Level.COUNTY, {1}),
        (Level.TOWNSHIP, {2}),
        (Level.VILLAGE, {3}),
    ):
        form = ItemFilterForm({"level": str(int(level))}, cycle=province.cycle)
        found = form.apply(items, TODAY)
        assert found.count() == items.filter(organisation__depth__in=depths).count() > 0
    city = ItemFilterForm({"level": "-1"}, cycle=province.cycle)  # no city in this province: ignored
    assert city.apply(items, TODAY).count() == items.count()


def test_the_rectification_figures_can_be_cached_for_a_while(client, province, settings):
    from django.core.cache import cache

    cache.clear()
    settings.DASHBOARD_CACHE_SECONDS = 60
    url = _url(province.cycle)
    first = _get(client, province.staff, url)
    total = first.context["total"].items
    assert "may be up to 60 seconds old" in first.content.decode()
    RectificationItem.objects.filter(cycle=province.cycle).first().delete()
    client.force_login(province.staff)
    with CaptureQueriesContext(connection) as cached:
        again = client.get(url)
    assert again.context["total"].items == total  # the figures of a minute ago
    county_staff = make_staff("county-staff", province.children[province.province.pk][0])
    assert _get(client, county_staff, url).context["total"].items < total  # another scope: its own figures
    lost = make_staff("lost", None)  # staff without a scope see nothing, cached or not
    assert _get(client, lost, url).context["total"].items == 0
    root = make_staff("root", None, superuser=True)
    assert _get(client, root, url).context["total"].items == total - 1
    cache.clear()
    settings.DASHBOARD_CACHE_SECONDS = 0
    client.force_login(province.staff)
    with CaptureQueriesContext(connection) as fresh:
        latest = client.get(url)
    assert latest.context["total"].items == total - 1
    assert len(cached) < len(fresh)
    assert "seconds old" not in latest.content.decode()
