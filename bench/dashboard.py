"""The cycle dashboard for a whole county: 20 townships, ~1,500 organisations, ~4,500 rectification items.

Usage: .venv/bin/python bench/dashboard.py   (uses DATABASE_URL, default a temp SQLite file)

Seeds a county with TOWNSHIPS townships of VILLAGES villages each, one cycle with a county session (the
townships report) and one session per township (its villages report), every session scored with real
ballots (the default scheme, CODES codes, one ballot per code stored directly), closed and published
through the services, and a notice of 3 items per organisation (issued through the service), the
items then set to mixed states; deadlines spread around today.
Then times GET /dashboard/cycle/<id>/ with Django's test Client as county staff (RUNS runs after one
warm-up) and prints median / p95 in ms and the queries per request; the same for township staff and for
one organisation's year-over-year page. Target: dashboard < 1 s, and a query count that does not grow
with the data (the test suite checks the same with small and large data).
"""

import datetime
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuzhi.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.seed import store_ballots_directly  # noqa: E402
from reviews.cycles.models import Cycle, Report, Session  # noqa: E402
from reviews.findings.models import FindingSource  # noqa: E402
from reviews.handover import services as handover_services  # noqa: E402
from reviews.orgs.models import Organisation, OrganisationKind, Sector, StaffProfile  # noqa: E402
from reviews.rectification import services as rectification_services  # noqa: E402
from reviews.rectification.models import ProblemCategory, RectificationItem, RectificationStatus  # noqa: E402
from scoring.ballots import services as ballots_services  # noqa: E402
from scoring.codes import services as codes_services  # noqa: E402
from scoring.results import services as results_services  # noqa: E402
from scoring.schemes import services as schemes_services  # noqa: E402
from scoring.schemes.models import Criterion, EvaluatorGroup  # noqa: E402

TOWNSHIPS = 20
VILLAGES = 74  # 1 county + 20 townships + 1,480 villages = 1,501 organisations
ITEMS_PER_ORG = 3  # ~4,500 items
CODES = 12  # per session, 6 per group
RUNS = 15
TARGET_MS = 1000
SECTORS = [Sector.RURAL, Sector.RURAL, Sector.RURAL, Sector.COMMUNITY, Sector.SCHOOL, Sector.PRIVATE]


def timed(label: str, func):
    start = time.perf_counter()
    result = func()
    print(f"  {label:<56} {time.perf_counter() - start:7.1f} s")
    return result


def _with_paths(orgs: list[Organisation], parent: Organisation | None) -> None:
    for org in orgs:
        org.path = (parent.path if parent else Organisation.PATH_SEPARATOR) + f"{org.pk:08d}/"
        org.depth = org.path.count(Organisation.PATH_SEPARATOR) - 2
    Organisation.objects.bulk_update(orgs, ["path", "depth"], batch_size=500)


def seed_tree(tag: str) -> tuple[Organisation, list[Organisation], dict[int, list[Organisation]]]:
    county = Organisation.objects.create(code=f"{tag}-C", name="基准县委", kind=OrganisationKind.COMMITTEE)
    _with_paths([county], None)
    towns = Organisation.objects.bulk_create(
        Organisation(
            code=f"{tag}-T{t:02d}", name=f"中共第{t}镇委员会", kind=OrganisationKind.COMMITTEE, parent=county
        )
        for t in range(1, TOWNSHIPS + 1)
    )
    _with_paths(towns, county)
    villages = {}
    for town in towns:
        villages[town.pk] = Organisation.objects.bulk_create(
            Organisation(
                code=f"{town.code}V{v:03d}",
                name=f"{town.name[2:-3]}第{v}村党支部",
                kind=OrganisationKind.BRANCH,
                sector=SECTORS[v % len(SECTORS)],
                parent=town,
            )
            for v in range(1, VILLAGES + 1)
        )
        _with_paths(villages[town.pk], town)
    return county, towns, villages


def scored_session(staff, cycle, host, reporters, rng: random.Random, publish: bool) -> Session:
    session = Session.objects.create(
        cycle=cycle, host=host, title=f"{host.name}述职评议会", date=datetime.date(2026, 1, 16)
    )
    Report.objects.bulk_create(
        Report(session=session, organisation=org, order=i) for i, org in enumerate(reporters, start=1)
    )
    scheme = schemes_services.scheme_create_default(actor=staff, session=session)
    leaders, members = EvaluatorGroup.objects.filter(scheme=scheme).order_by("order")
    issued = codes_services.credentials_issue(actor=staff, session=session, group=leaders, count=CODES // 2)
    issued += codes_services.credentials_issue(actor=staff, session=session, group=members, count=CODES // 2)
    ballots_services.scoring_open(actor=staff, session=session)
    criteria = list(Criterion.objects.filter(scheme=scheme).order_by("order"))
    # Not every delegate turns up: between 9 and 12 ballots of 12 codes.
    voters = issued[: rng.randint(CODES - 3, CODES)]
    store_ballots_directly(session, voters, criteria, list(session.reports.order_by("order")), rng)
    ballots_services.scoring_close(actor=staff, session=session)
    if publish:
        results_services.results_publish(actor=staff, session=session)
    return session


def seed_items(
    staff, sessions_by_org: dict[int, Session], orgs: list[Organisation], rng: random.Random
) -> int:
    """Notices issued through the service (ITEMS_PER_ORG items each), then statuses set directly."""
    today = rectification_services.today()
    issued_on = today - datetime.timedelta(days=120)
    categories = list(ProblemCategory.objects.all())
    statuses = [
        (RectificationStatus.PENDING, 20),
        (RectificationStatus.IN_PROGRESS, 30),
        (RectificationStatus.SUBMITTED, 10),
        (RectificationStatus.RETURNED, 5),
        (RectificationStatus.VERIFIED, 35),
    ]
    values, weights = zip(*statuses, strict=True)
    by_status: dict[str, list[int]] = {value: [] for value in values}
    total = 0
    for org in orgs:
        notice = handover_services.notice_issue(
            actor=staff,
            session=sessions_by_org[org.pk],
            organisation=org,
            items=[
                handover_services.ItemDraft(
                    problem=f"{org.name}问题{k}",
                    measures="制定整改措施并逐项落实",
                    responsible="书记",
                    deadline=issued_on + datetime.timedelta(days=rng.randint(30, 180)),
                    source=FindingSource.SUPERIOR,
                    category=rng.choice(categories),
                )
                for k in range(ITEMS_PER_ORG)
            ],
            issued_on=issued_on,
        )
        for pk in notice.items.values_list("pk", flat=True):
            by_status[rng.choices(values, weights)[0]].append(pk)
        total += ITEMS_PER_ORG
    now = timezone.now()
    for status, pks in by_status.items():
        extra = {"verified_at": now} if status == RectificationStatus.VERIFIED else {}
        RectificationItem.objects.filter(pk__in=pks).update(status=status, status_changed_at=now, **extra)
    return total


def measure(client: Client, url: str, label: str) -> None:
    first_ms, first_queries, size = request(client, url)
    times, queries = [], []
    for _ in range(RUNS):
        elapsed, count, _size = request(client, url)
        times.append(elapsed)
        queries.append(count)
    times.sort()
    median = statistics.median(times)
    p95 = times[max(0, round(len(times) * 0.95) - 1)]
    verdict = "ok" if p95 < TARGET_MS else "OVER TARGET"
    print(
        f"{label:<36} median {median:7.1f} ms   p95 {p95:7.1f} ms   queries/request {max(queries):3d}"
        f"   (first {first_ms:7.1f} ms, {first_queries} queries; {size // 1024} KiB)   {verdict}"
    )


def request(client: Client, url: str) -> tuple[float, int, int]:
    reset_queries()  # DEBUG keeps the last 9,000 queries: a full log would make the capture count 0
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed, len(captured), len(response.content)


def main() -> None:
    print(f"database: {connection.vendor}; {RUNS} runs per page after one warm-up")
    call_command("migrate", verbosity=0)
    rng = random.Random(2025)
    tag = f"d{random.randrange(10**6)}"
    print("seeding:")
    with transaction.atomic():
        county, towns, villages = timed("organisations (tree, bulk)", lambda: seed_tree(tag))
        staff = User.objects.create_user(f"{tag}-county", password="bench-password", is_staff=True)
        StaffProfile.objects.create(user=staff, organisation=county)
        town_staff = User.objects.create_user(f"{tag}-town", password="bench-password", is_staff=True)
        StaffProfile.objects.create(user=town_staff, organisation=towns[0])
        cycle = Cycle.objects.create(year=2025, name=f"{tag} 2025年度抓基层党建工作述职评议")

        def sessions():
            # The county and 3 in 4 townships have published; the others have closed scoring only.
            county_session = scored_session(staff, cycle, county, towns, rng, publish=True)
            by_org = {town.pk: county_session for town in towns}
            for i, town in enumerate(towns):
                session = scored_session(staff, cycle, town, villages[town.pk], rng, publish=i % 4 != 3)
                by_org.update({v.pk: session for v in villages[town.pk]})
            return by_org

        by_org = timed("21 sessions scored (ballots stored), 16 published", sessions)
        orgs = towns + [v for town in towns for v in villages[town.pk]]
        count = timed(
            "notices issued (service), item states set", lambda: seed_items(staff, by_org, orgs, rng)
        )
    if connection.vendor == "postgresql":
        # Fresh bulk inserts have no planner statistics yet (autovacuum gathers them within a minute);
        # without them PostgreSQL picks nested loops over 4,500 rows: ~0.5 s a page instead of ~0.1 s.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print("  planner statistics gathered (ANALYZE), as autovacuum would after the import")
    overdue = RectificationItem.objects.filter(cycle=cycle).overdue(rectification_services.today()).count()
    organisations = Organisation.objects.filter(path__startswith=county.path).count()
    sessions_count = Session.objects.filter(cycle=cycle).count()
    reporters = Report.objects.filter(session__cycle=cycle).count()
    print(
        f"  {organisations} organisations, {sessions_count} sessions, {reporters} reporters, "
        f"{count} items ({overdue} overdue)"
    )

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(staff)
    url = reverse("dashboard:cycle", args=[cycle.pk])
    measure(client, url, "dashboard, county staff")
    measure(client, url + "?orgs=all", "dashboard, all 1,500 organisations")
    client.force_login(town_staff)
    measure(client, url, "dashboard, township staff")
    client.force_login(staff)
    measure(
        client,
        reverse("dashboard:organisation", args=[villages[towns[0].pk][0].pk]),
        "organisation year over year",
    )


if __name__ == "__main__":
    main()
