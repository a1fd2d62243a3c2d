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

Province scale: BENCH_ORGS=15000 or 150000 (or 1500) seeds, by bulk inserts only, a province (TREE_LEVELS
province,county,township,village) of BENCH_ORGS/1,500 counties of 15 townships of 100 villages, a session
at every committee (1,601 at 150,000: the counties report to the province, townships to their county,
villages to their township), 3 in 4 published with a realistic snapshot, 12 codes and 9–12 ballots each,
3 items per organisation (450,000) in mixed states. The pages are then measured in a fresh process (so
its peak RSS is a worker's, not the seeder's): province, county and township staff, ?orgs=all and its
last page and a search, and the Excel export.
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
RUNS = int(os.getenv("BENCH_RUNS", "15"))
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


# ---------------------------------------------------------------------------------------------------
# Province scale (BENCH_ORGS): bulk inserts only, then measurement in a fresh process

TOWNSHIPS_PER_COUNTY = 15
VILLAGES_PER_TOWNSHIP = 100
BATCH = 5000


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def _snapshot(reports: list[Report], rng: random.Random) -> dict:
    """Shaped as TallyResult.to_dict() for the default scheme (two groups, grades)."""
    scored = sorted(((rng.randint(550, 1000) / 10, r) for r in reports), key=lambda x: -x[0])
    reporters, rank, previous = [], 0, None
    for i, (score, report) in enumerate(scored, start=1):
        rank = rank if score == previous else i
        previous = score
        grade = (
            "good" if score >= 85 else "fairly_good" if score >= 75 else "average" if score >= 60 else "poor"
        )
        counts = {"good": rng.randint(0, 12), "fairly_good": rng.randint(0, 6), "average": 1, "poor": 0}
        reporters.append(
            {
                "reporter": f"r{report.pk}",
                "group_scores": {
                    str(g): {
                        "mean": f"{score:.2f}",
                        "valid_votes": 6,
                        "grade_counts": counts,
                        "hidden": False,
                    }
                    for g in ("g1", "g2")
                },
                "onsite": f"{score:.2f}",
                "composite": f"{score:.2f}",
                "grade": grade,
                "grade_reasons": [],
                "rank": rank,
                "good_share": "0.5",
                "missing_groups": [],
                "missing_components": [],
                "grade_counts": counts,
                "valid_votes": 12,
                "needs_talk": grade in ("average", "poor"),
                "renormalised": False,
            }
        )
    return {
        "reporters": reporters,
        "ranking": [r["reporter"] for r in reporters],
        "groups": [],
        "quorum_met": True,
        "ballots_received": 11,
        "ballots_counted": 11,
        "codes_issued": 12,
        "digest": "0" * 64,
    }


def seed_province(counties: int, tag: str):
    """The tree, sessions, schemes, codes, ballots, snapshots and items, all by bulk insert."""
    import secrets

    from reviews.findings.models import Finding
    from reviews.rectification.models import RectificationNotice
    from scoring.ballots.models import Ballot, Channel
    from scoring.codes.models import Credential
    from scoring.results.models import ResultSnapshot
    from scoring.schemes.models import Scheme

    rng = random.Random(2025)
    next_id = _next_id(Organisation)
    orgs: list[Organisation] = []

    def add(name, kind, parent, sector=""):
        nonlocal next_id
        pk, next_id = next_id, next_id + 1
        path = (parent.path if parent else "/") + f"{pk:08d}/"
        org = Organisation(
            id=pk,
            code=f"{tag}-{pk}",
            name=name,
            kind=kind,
            parent=parent,
            sector=sector,
            path=path,
            depth=path.count("/") - 2,
        )
        orgs.append(org)
        return org

    province = add("中共基准省委员会", OrganisationKind.COMMITTEE, None)
    children: dict[int, list[Organisation]] = {province.pk: []}
    for c in range(1, counties + 1):
        county = add(f"中共第{c}县委员会", OrganisationKind.COMMITTEE, province)
        children[province.pk].append(county)
        children[county.pk] = []
        for t in range(1, TOWNSHIPS_PER_COUNTY + 1):
            town = add(f"中共{c}县第{t}镇委员会", OrganisationKind.COMMITTEE, county)
            children[county.pk].append(town)
            children[town.pk] = [
                add(f"{c}县{t}镇第{v}村党支部", OrganisationKind.BRANCH, town, SECTORS[v % len(SECTORS)])
                for v in range(1, VILLAGES_PER_TOWNSHIP + 1)
            ]
    Organisation.objects.bulk_create(orgs, batch_size=BATCH)
    print(f"  {len(orgs)} organisations")

    cycle = Cycle.objects.create(year=2025, name=f"{tag} 2025年度全省述职评议")
    hosts = [o for o in orgs if children.get(o.pk)]
    sessions = Session.objects.bulk_create(
        [
            Session(
                cycle=cycle,
                host=h,
                title=f"{h.name}述职评议会",
                date=datetime.date(2026, 1, 16),
                status="published" if i % 4 != 3 else "finished",
            )
            for i, h in enumerate(hosts)
        ],
        batch_size=BATCH,
    )
    session_of: dict[int, Session] = {}
    reports = []
    for session in sessions:
        for order, org in enumerate(children[session.host_id], start=1):
            session_of[org.pk] = session
            reports.append(Report(session=session, organisation=org, order=order))
    reports = Report.objects.bulk_create(reports, batch_size=BATCH)
    by_session: dict[int, list[Report]] = {}
    for report in reports:
        by_session.setdefault(report.session_id, []).append(report)
    schemes = Scheme.objects.bulk_create([Scheme(session=s) for s in sessions], batch_size=BATCH)
    groups = EvaluatorGroup.objects.bulk_create(
        [
            EvaluatorGroup(scheme=sc, name=n, weight=w, order=i)
            for sc in schemes
            for i, (n, w) in enumerate([("上级", 60), ("代表", 40)], start=1)
        ],
        batch_size=BATCH,
    )
    group_of = {}
    for g in groups:
        group_of.setdefault(g.scheme_id, []).append(g)
    credentials, ballots = [], []
    for session, scheme in zip(sessions, schemes, strict=True):
        received = rng.randint(CODES - 3, CODES)
        for serial in range(1, CODES + 1):
            group = group_of[scheme.pk][serial % 2]
            credentials.append(
                Credential(
                    session=session,
                    group=group,
                    serial=serial,
                    token_hash=secrets.token_hex(32),
                    short_hash=secrets.token_hex(32),
                    used=serial <= received,
                )
            )
            if serial <= received:
                ballots.append(
                    Ballot(
                        session=session, group=group, channel=Channel.ELECTRONIC, receipt=secrets.token_hex(4)
                    )
                )
    Credential.objects.bulk_create(credentials, batch_size=BATCH)
    Ballot.objects.bulk_create(ballots, batch_size=BATCH)
    snapshots = [
        ResultSnapshot(session=s, digest="0" * 64, data=_snapshot(by_session.get(s.pk, []), rng))
        for s in sessions
        if s.status == "published"
    ]
    for snapshot in snapshots:
        snapshot.fill_figures()  # the dashboard's stored grade counts and quorum (bulk_create skips save())
    ResultSnapshot.objects.bulk_create(snapshots, batch_size=500)
    print(f"  {len(sessions)} sessions, {len(reports)} reporters, {len(ballots)} ballots")

    today = rectification_services.today()
    issued_on = today - datetime.timedelta(days=120)
    categories = list(ProblemCategory.objects.all())
    statuses = [
        RectificationStatus.PENDING,
        RectificationStatus.IN_PROGRESS,
        RectificationStatus.SUBMITTED,
        RectificationStatus.RETURNED,
        RectificationStatus.VERIFIED,
    ]
    weights = [20, 30, 10, 5, 35]
    now = timezone.now()
    numbers: dict[int, int] = {}
    members = [o for o in orgs if o.pk in session_of]
    items = 0
    for start in range(0, len(members), BATCH):
        chunk = members[start : start + BATCH]
        notices = []
        for org in chunk:
            host_id = session_of[org.pk].host_id
            numbers[host_id] = numbers.get(host_id, 0) + 1
            notices.append(
                RectificationNotice(
                    session=session_of[org.pk],
                    organisation=org,
                    host_id=host_id,
                    year=2025,
                    number=numbers[host_id],
                    issuer="组织部",
                    issued_on=issued_on,
                )
            )
        notices = RectificationNotice.objects.bulk_create(notices, batch_size=BATCH)
        findings = Finding.objects.bulk_create(
            [
                Finding(
                    cycle=cycle,
                    organisation=org,
                    source=FindingSource.SUPERIOR,
                    description=f"{org.name}问题{k}",
                )
                for org in chunk
                for k in range(ITEMS_PER_ORG)
            ],
            batch_size=BATCH,
        )
        rows = []
        for i, (org, notice) in enumerate(zip(chunk, notices, strict=True)):
            for k in range(ITEMS_PER_ORG):
                status = rng.choices(statuses, weights)[0]
                deadline = issued_on + datetime.timedelta(days=rng.randint(30, 180))
                rows.append(
                    RectificationItem(
                        notice=notice,
                        cycle=cycle,
                        organisation=org,
                        finding=findings[i * ITEMS_PER_ORG + k],
                        number=k + 1,
                        source=FindingSource.SUPERIOR,
                        category=rng.choice(categories),
                        problem=f"{org.name}问题{k}",
                        measures="制定整改措施并逐项落实",
                        responsible="书记",
                        deadline=deadline,
                        original_deadline=deadline,
                        status=status,
                        status_changed_at=now,
                        verified_at=now if status == RectificationStatus.VERIFIED else None,
                    )
                )
        RectificationItem.objects.bulk_create(rows, batch_size=BATCH)
        items += len(rows)
    print(f"  {items} items")
    return province, children, cycle


def province_main(size: int) -> None:
    import json
    import subprocess

    counties = max(1, round(size / (TOWNSHIPS_PER_COUNTY * VILLAGES_PER_TOWNSHIP)))
    print(
        f"database: {connection.vendor}; province of {counties} counties (~{counties * 1500:,} organisations)"
    )
    call_command("migrate", verbosity=0)
    tag = f"p{random.randrange(10**6)}"
    with transaction.atomic():
        province, children, cycle = timed("seeded by bulk inserts", lambda: seed_province(counties, tag))
        county = children[province.pk][0]
        town = children[county.pk][0]
        users = {}
        for label, org in (("province", province), ("county", county), ("township", town)):
            user = User.objects.create_user(f"{tag}-{label}", password="bench-password", is_staff=True)
            StaffProfile.objects.create(user=user, organisation=org)
            users[label] = user.pk
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    job = {"cycle": cycle.pk, "users": users}
    env = dict(
        os.environ, DATABASE_URL=os.environ["DATABASE_URL"], TREE_LEVELS="province,county,township,village"
    )
    subprocess.run([sys.executable, __file__, "--measure", json.dumps(job)], env=env, check=True)


def measure_main(job: dict) -> None:
    """In a fresh process: the pages, then the export; prints the peak RSS of this process."""
    import resource

    from scoring.dashboard import exports
    from scoring.dashboard.selectors import subtree_roots

    url = reverse("dashboard:cycle", args=[job["cycle"]])
    client = Client(HTTP_HOST="127.0.0.1")
    province = User.objects.get(pk=job["users"]["province"])
    client.force_login(province)
    measure(client, url, "dashboard, province staff")
    rss_page = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    measure(client, url + "?orgs=all", "?orgs=all (first page)")
    measure(client, url + "?orgs=all&op=3000", "?orgs=all, page 3000")
    measure(
        client, url + "?orgs=all&oq=%E7%AC%AC7%E9%95%87%E7%AC%AC1%E6%9D%91", "?orgs=all, search 第7镇第1村"
    )
    measure(client, url + "?sq=%E7%AC%AC3%E9%95%87&sp=2", "sessions search 第3镇, page 2")
    for label in ("county", "township"):
        client.force_login(User.objects.get(pk=job["users"][label]))
        measure(client, url, f"dashboard, {label} staff")
    rss_pages = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    if os.getenv("BENCH_NO_EXPORT"):
        print(f"peak RSS: {rss_page} MB after the first page, {rss_pages} MB after all pages")
        return
    parent, roots = subtree_roots(province)
    calls = []
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        exports.dashboard_workbook(
            cycle=Cycle.objects.get(pk=job["cycle"]),
            user=province,
            parent=parent,
            roots=roots,
            today=rectification_services.today(),
            out=out,
            progress=lambda d, t: calls.append(d),
        )
        size = out.tell()
    elapsed = time.perf_counter() - start
    rss_export = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"export (.xlsx, province staff): {elapsed:.1f} s, {size // 1024} KiB, {len(calls)} progress calls")
    print(
        f"peak RSS: {rss_page} MB after the first page, {rss_pages} MB after all pages, "
        f"{rss_export} MB after the export"
    )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        import json

        measure_main(json.loads(sys.argv[2]))
    elif os.getenv("BENCH_ORGS"):
        province_main(int(os.environ["BENCH_ORGS"]))
    else:
        main()
