"""A province in one deployment: 1 province → 100 counties → 15 townships → 100 villages ≈ 150,000 orgs.

Usage:
    .venv/bin/python bench/province.py --size 15k          (or SIZE=15k; 1.5k = one county, 15k, 150k)
    DATABASE_URL=postgres://postgres@127.0.0.1:5433/shuzhi .venv/bin/python bench/province.py --size 150k

Uses DATABASE_URL (default: a temp SQLite file; PostgreSQL from `scripts/pg.sh start DIR PORT`).

1. Builds the data fast, with bulk inserts in batches (COPY on PostgreSQL), paths computed in Python and
   no per-row service calls: the tree with one secretary per organisation, a cycle with one session per
   province, county and township (counties report in the province's session, townships in their county's,
   villages in their township's); the province's, the counties' and 3 in 4 townships' sessions scored
   (SCORED_CODES ballots stored directly), closed and published through the services, the others still
   being prepared; 3 findings and rectification items per organisation (a notice each) in mixed states
   with deadlines around today; staff at province, county and township scope. VACUUM ANALYZE on PostgreSQL.
   The 150k build takes ~5 minutes on a quiet PostgreSQL, most of it publishing (~0.2 s a session, the
   tally; 0.6–1 s on a loaded machine): --scored N (or SCORED=N) publishes at most N sessions,
   townships spread evenly, to keep a 150k run short; the table then under-states what grows with the
   published results (the dashboards), so say so next to the numbers.
2. Times the import of the same tree (another copy with other codes, openpyxl write-only workbook) through
   `reviews.orgs.imports` check + apply, rolled back afterwards (`run_import` is the one place to adapt).
3. For province, county and township staff: median / p95 / queries / HTML KB of the cycle dashboard, the
   dashboard with ?orgs=all, the rectification items list, the findings page, the 回头看 page and each
   export, through Django's test Client (RUNS runs after a warm-up, fewer when a page is slow; a request
   over TIMEOUT seconds is stopped and reported as such). URLs that do not exist yet are skipped.
4. Starts one gunicorn worker, requests the heaviest page through it and reports the worker's peak RSS
   (VmHWM), then stops it.
5. Prints a table shaped like issue 14's, one column for this size.

Knobs (environment): SIZE, SCORED, SCORED_CODES (6), RUNS (15), PAGE_BUDGET (s of timed runs per page,
60), TIMEOUT (s per request, 120), IMPORT_TIMEOUT (600), SKIP_IMPORT=1, SKIP_GUNICORN=1,
EXTRA_URLS="label=urlname,label2=urlname2" (names reversed with the cycle id, then without arguments).
"""

import argparse
import contextlib
import datetime
import inspect
import io
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuzhi.settings")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/province.sqlite3")
    import django

    django.setup()

from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from reviews.cycles.models import Cycle, Report, Session, SessionStatus
from reviews.findings.models import Finding, FindingSource
from reviews.orgs.models import (
    Appointment,
    Gender,
    Organisation,
    OrganisationKind,
    Person,
    Post,
    Sector,
    StaffProfile,
)
from reviews.rectification.models import (
    ProblemCategory,
    RectificationItem,
    RectificationNotice,
    RectificationStatus,
)
from scoring.ballots import services as ballots_services
from scoring.ballots.models import Ballot, Channel, Score
from scoring.codes import services as codes_services
from scoring.results import services as results_services
from scoring.schemes import services as schemes_services
from scoring.schemes.models import Criterion, EvaluatorGroup

SIZES = {
    # name: (counties, townships per county, villages per township)
    "tiny": (2, 2, 3),
    "1.5k": (1, 15, 100),
    "15k": (10, 15, 100),
    "150k": (100, 15, 100),
}
ITEMS_PER_ORG = 3
SCORED_CODES = int(
    os.environ.get("SCORED_CODES", 6)
)  # ballots per scored session (3 per group); the dashboard reads the published snapshot
BATCH = 5000
EXPORT_SUFFIXES = ("Excel)", "(PDF)")
SECTORS = [Sector.RURAL, Sector.RURAL, Sector.RURAL, Sector.COMMUNITY, Sector.SCHOOL, Sector.PRIVATE]
GRADES = ["good", "fairly_good", "average", "poor"]
GRADE_WEIGHTS = [40, 35, 20, 5]
STATUSES = [
    (RectificationStatus.PENDING, 20),
    (RectificationStatus.IN_PROGRESS, 30),
    (RectificationStatus.SUBMITTED, 10),
    (RectificationStatus.RETURNED, 5),
    (RectificationStatus.VERIFIED, 35),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# ---------------------------------------------------------------------------------------------------
# Fast inserts


def fast_insert(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert rows (values in the order of `names`, field attnames) in batches; other columns get defaults.

    PostgreSQL: COPY. SQLite: executemany of one INSERT. No model instances, no signals, no RETURNING:
    give explicit ids where they are needed later.
    """
    opts = model._meta
    given = [opts.get_field(name) for name in names]
    now = timezone.now()
    rest = []
    for f in opts.concrete_fields:
        if f.attname in names or (f.primary_key and isinstance(f, models.AutoField)):
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = now
        elif f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        elif f.empty_strings_allowed:
            value = ""
        else:
            raise ValueError(f"{model.__name__}.{f.attname} needs a value")
        rest.append((f, value))
    fields = given + [f for f, _value in rest]
    tail = tuple(value for _f, value in rest)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(opts.db_table)
    count = 0
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(tuple(row) + tail)
                count += 1
        return count
    adapters = [_sqlite_adapter(f) for f in fields]
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    batch = []
    with connection.cursor() as cursor:
        for row in rows:
            values = tuple(row) + tail
            batch.append(
                tuple(a(v) if a and v is not None else v for a, v in zip(adapters, values, strict=True))
            )
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _sqlite_adapter(f: models.Field) -> Callable | None:
    if f.is_relation:
        f = f.target_field
    if isinstance(f, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(f, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(f, models.UUIDField):
        return lambda value: value.hex
    if isinstance(f, models.DecimalField):
        return str
    if isinstance(f, models.JSONField):
        return lambda value: f.get_db_prep_value(value, connection)
    return None


def next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(n=models.Max("pk"))["n"] or 0) + 1


def reset_sequences(*model_list: type[models.Model]) -> None:
    """After inserts with explicit ids PostgreSQL's sequences lag behind; SQLite needs nothing."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


# ---------------------------------------------------------------------------------------------------
# The tree


@dataclass
class Node:
    pk: int
    code: str
    name: str
    kind: str
    sector: str
    parent: "Node | None"
    path: str
    depth: int
    children: list["Node"] = field(default_factory=list)


@dataclass
class Province:
    root: Node
    counties: list[Node]
    townships: list[Node]
    villages: list[Node]
    cycle: Cycle | None = None
    sessions: dict[int, Session] = field(default_factory=dict)  # host pk -> session
    staff: dict[str, User] = field(default_factory=dict)  # "province" / "county" / "township"

    @property
    def all(self) -> list[Node]:
        return [self.root, *self.counties, *self.townships, *self.villages]


def plan_tree(shape: tuple[int, int, int], *, tag: str, first_id: int) -> Province:
    """The tree in memory: ids from `first_id`, paths and depths computed here, parents before children."""
    counties_n, towns_n, villages_n = shape
    ids = iter(range(first_id, first_id + 10**9))
    sep, digits = Organisation.PATH_SEPARATOR, Organisation.PATH_DIGITS

    def node(code: str, name: str, kind: str, sector: str, parent: Node | None) -> Node:
        pk = next(ids)
        path = (parent.path if parent else sep) + f"{pk:0{digits}d}{sep}"
        made = Node(pk, code, name, kind, sector, parent, path, parent.depth + 1 if parent else 0)
        if parent:
            parent.children.append(made)
        return made

    root = node(f"{tag}P", f"中共{tag}省委员会", OrganisationKind.COMMITTEE, "", None)
    counties, towns, villages = [], [], []
    for c in range(1, counties_n + 1):
        county = node(f"{tag}C{c:03d}", f"中共第{c}县委员会", OrganisationKind.COMMITTEE, "", root)
        counties.append(county)
        for t in range(1, towns_n + 1):
            town = node(
                f"{county.code}T{t:02d}", f"中共第{c}县第{t}镇委员会", OrganisationKind.COMMITTEE, "", county
            )
            towns.append(town)
            for v in range(1, villages_n + 1):
                villages.append(
                    node(
                        f"{town.code}V{v:03d}",
                        f"第{c}县第{t}镇第{v}村党支部",
                        OrganisationKind.BRANCH,
                        SECTORS[v % len(SECTORS)],
                        town,
                    )
                )
    return Province(root, counties, towns, villages)


def person_name(i: int) -> str:
    return (
        SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES)) % len(GIVEN)] + GIVEN[(i * 7) % len(GIVEN)]
    )


def insert_tree(province: Province) -> None:
    nodes = province.all
    fast_insert(
        Organisation,
        ["id", "code", "name", "kind", "sector", "parent_id", "path", "depth"],
        (
            (n.pk, n.code, n.name, n.kind, n.sector, n.parent.pk if n.parent else None, n.path, n.depth)
            for n in nodes
        ),
    )
    first_person = next_id(Person)
    fast_insert(
        Person,
        ["id", "name", "gender"],
        (
            (first_person + i, person_name(i), Gender.MALE if i % 3 else Gender.FEMALE)
            for i in range(len(nodes))
        ),
    )
    start = datetime.date(2021, 1, 1)
    fast_insert(
        Appointment,
        ["person_id", "organisation_id", "post", "title", "start_date"],
        ((first_person + i, n.pk, Post.SECRETARY, "书记", start) for i, n in enumerate(nodes)),
    )
    reset_sequences(Organisation, Person, Appointment)


# ---------------------------------------------------------------------------------------------------
# The cycle: sessions, reports, scoring, results


def insert_sessions(province: Province, tag: str) -> None:
    cycle = Cycle.objects.create(year=2025, name=f"{tag} 2025年度抓基层党建工作述职评议")
    hosts = [province.root, *province.counties, *province.townships]
    sessions = Session.objects.bulk_create(
        (
            Session(
                cycle=cycle,
                host_id=host.pk,
                title=f"{host.name}述职评议会",
                date=datetime.date(2026, 1, 10) + datetime.timedelta(days=i % 20),
                status=SessionStatus.PREPARING,
            )
            for i, host in enumerate(hosts)
        ),
        batch_size=1000,
    )
    if sessions[0].pk is None:  # a backend that returns no ids from bulk inserts
        sessions = list(Session.objects.filter(cycle=cycle).order_by("pk"))
    province.cycle = cycle
    province.sessions = {host.pk: session for host, session in zip(hosts, sessions, strict=True)}
    fast_insert(
        Report,
        ["session_id", "organisation_id", "order"],
        (
            (province.sessions[host.pk].pk, child.pk, order)
            for host in hosts
            for order, child in enumerate(host.children, start=1)
        ),
    )


def score_and_publish(
    province: Province, staff: User, rng: random.Random, *, scored: int | None = None, progress=None
) -> tuple[int, int]:
    """Scheme, codes, ballots, close, publish for the province's and the counties' sessions and 3 in 4
    of the townships' (at most `scored` sessions in all, townships spread evenly over the counties).

    The others stay in preparation (no scheme yet). Ballots are stored directly as bench/seed.py does
    (one bulk insert of the marks per session); opening, closing and publishing go through the services,
    so the snapshots and their digests are the real ones. About 0.2 s a session on a quiet PostgreSQL
    (0.6–1 s on a loaded machine), most of it the tally: the 150k province's 1,226 take 4.5 minutes.
    """
    top = [province.root, *province.counties]
    towns = [t for i, t in enumerate(province.townships) if i % 4 != 3]
    if scored is not None and len(top) + len(towns) > scored:
        room = max(0, scored - len(top))
        towns = [towns[i * len(towns) // room] for i in range(room)] if room else []
    chosen = [*top, *towns][: scored if scored is not None else None]
    published = 0
    for i, host in enumerate(chosen):
        with transaction.atomic():  # one session at a time, as staff would run them
            score_one(province.sessions[host.pk], staff=staff, rng=rng)
        published += 1
        if progress:
            progress(i + 1, len(chosen))
    return published, len(province.sessions) - published


def score_one(session: Session, *, staff: User, rng: random.Random) -> None:
    """The default scheme, codes, ballots stored directly, close and publish."""
    scheme = schemes_services.scheme_create_default(actor=staff, session=session)
    leaders, members = EvaluatorGroup.objects.filter(scheme=scheme).order_by("order")
    half = SCORED_CODES // 2
    issued = codes_services.credentials_issue(actor=staff, session=session, group=leaders, count=half)
    issued += codes_services.credentials_issue(
        actor=staff, session=session, group=members, count=SCORED_CODES - half
    )
    ballots_services.scoring_open(actor=staff, session=session)
    criteria = list(Criterion.objects.filter(scheme=scheme).order_by("order").values_list("pk", flat=True))
    reports = list(Report.objects.filter(session=session).order_by("order").values_list("pk", flat=True))
    voters = issued[: rng.randint(SCORED_CODES - 1, SCORED_CODES)]
    ballots = Ballot.objects.bulk_create(
        Ballot(
            id=uuid.uuid4(),
            session=session,
            group_id=code.group.pk,
            channel=Channel.ELECTRONIC,
            receipt=code.short_code,
        )
        for code in voters
    )
    fast_insert(
        Score,
        ["id", "session_id", "ballot_id", "report_id", "criterion_id", "grade"],
        (
            (
                uuid.uuid4(),
                session.pk,
                ballot.pk,
                report,
                criterion,
                rng.choices(GRADES, GRADE_WEIGHTS)[0],
            )
            for ballot in ballots
            for report in reports
            for criterion in criteria
        ),
    )
    ballots_services.scoring_close(actor=staff, session=session)
    results_services.results_publish(actor=staff, session=session)


# ---------------------------------------------------------------------------------------------------
# Rectification


def insert_items(province: Province, staff: User, rng: random.Random) -> int:
    """A notice per reporting organisation with ITEMS_PER_ORG items, mixed states, deadlines around today."""
    today = timezone.localdate()
    issued_on = today - datetime.timedelta(days=120)
    now = timezone.now()
    categories = list(ProblemCategory.objects.values_list("pk", flat=True)) or [None]
    reporters = [*province.counties, *province.townships, *province.villages]
    first_notice = next_id(RectificationNotice)
    numbers: dict[int, int] = {}
    notices = []
    for i, org in enumerate(reporters):
        host = org.parent
        numbers[host.pk] = numbers.get(host.pk, 0) + 1
        notices.append(
            (
                first_notice + i,
                province.sessions[host.pk].pk,
                org.pk,
                host.pk,
                issued_on.year,
                numbers[host.pk],
            )
        )
    fast_insert(
        RectificationNotice,
        [
            "id",
            "session_id",
            "organisation_id",
            "host_id",
            "year",
            "number",
            "issuer",
            "issued_on",
            "issued_by_id",
        ],
        ((*n, f"{province.root.name}组织部", issued_on, staff.pk) for n in notices),
    )
    values, weights = zip(*STATUSES, strict=True)
    sources = [
        FindingSource.SUPERIOR,
        FindingSource.SELF_CHECK,
        FindingSource.PUBLIC,
        FindingSource.INSPECTION,
    ]
    # Every item comes from a finding (问题) of the organisation, recorded before the hand-over.
    first_finding = next_id(Finding)
    fast_insert(
        Finding,
        ["id", "cycle_id", "organisation_id", "source", "description", "created_by_id"],
        (
            (
                first_finding + i * ITEMS_PER_ORG + k - 1,
                province.cycle.pk,
                org.pk,
                sources[k % len(sources)],
                f"{org.name}问题{k}：组织生活不够规范，台账记录不全",
                staff.pk,
            )
            for i, org in enumerate(reporters)
            for k in range(1, ITEMS_PER_ORG + 1)
        ),
    )

    def rows():
        for i, ((notice_id, _s, org_id, _h, _y, _n), org) in enumerate(zip(notices, reporters, strict=True)):
            for k in range(1, ITEMS_PER_ORG + 1):
                status = rng.choices(values, weights)[0]
                deadline = today + datetime.timedelta(days=rng.randint(-60, 90))
                yield (
                    notice_id,
                    first_finding + i * ITEMS_PER_ORG + k - 1,
                    province.cycle.pk,
                    org_id,
                    k,
                    sources[k % len(sources)],
                    rng.choice(categories),
                    f"{org.name}问题{k}：组织生活不够规范，台账记录不全",
                    "制定整改措施并逐项落实",
                    "书记",
                    deadline,
                    deadline,
                    status,
                    now,
                    now if status == RectificationStatus.VERIFIED else None,
                )

    count = fast_insert(
        RectificationItem,
        [
            "notice_id",
            "finding_id",
            "cycle_id",
            "organisation_id",
            "number",
            "source",
            "category_id",
            "problem",
            "measures",
            "responsible",
            "deadline",
            "original_deadline",
            "status",
            "status_changed_at",
            "verified_at",
        ],
        rows(),
    )
    reset_sequences(Finding, RectificationNotice, RectificationItem)
    return count


def make_staff(province: Province, tag: str) -> None:
    scopes = {
        "province": province.root,
        "county": province.counties[0],
        "township": province.townships[0],
    }
    for label, node in scopes.items():
        # No password: the bench logs in with force_login, and hashing one costs a second.
        user = User.objects.create_user(f"{tag}-{label}", password=None, is_staff=True)
        StaffProfile.objects.create(user=user, organisation_id=node.pk)
        province.staff[label] = user


def load_latest() -> Province:
    """The province the last run built in this database (for --reuse: measure again without building)."""

    def nodes(queryset, parents: dict[int, Node]) -> list[Node]:
        made = []
        for org in queryset.order_by("path"):
            parent = parents.get(org.parent_id)
            node = Node(org.pk, org.code, org.name, org.kind, org.sector, parent, org.path, org.depth)
            if parent:
                parent.children.append(node)
            made.append(node)
        return made

    top = Organisation.objects.filter(depth=0, code__regex=r"^b[0-9]+P$").latest("pk")
    tag = top.code[:-1]
    (root,) = nodes(Organisation.objects.filter(pk=top.pk), {})
    tree = Organisation.objects.filter(path__startswith=root.path)
    counties = nodes(tree.filter(depth=1), {root.pk: root})
    townships = nodes(tree.filter(depth=2), {n.pk: n for n in counties})
    villages = nodes(tree.filter(depth=3), {n.pk: n for n in townships})
    province = Province(root, counties, townships, villages)
    province.cycle = Cycle.objects.get(name__startswith=f"{tag} ")
    province.sessions = {s.host_id: s for s in Session.objects.filter(cycle=province.cycle)}
    for label in ("province", "county", "township", "admin"):
        province.staff[label] = User.objects.get(username=f"{tag}-{label}")
    return province


def build(size: str, *, tag: str = "", seed: int = 2025, scored: int | None = None, timer=None) -> Province:
    """Build a province of the given size; every step is timed through `timer(label, func)` when given."""
    timer = timer or (lambda _label, func: func())
    tag = tag or f"b{random.randrange(10**5)}"
    rng = random.Random(seed)
    province = plan_tree(SIZES[size], tag=tag, first_id=next_id(Organisation))
    with transaction.atomic():
        timer(f"{len(province.all):,} organisations + secretaries (bulk)", lambda: insert_tree(province))
        make_staff(province, tag)
        timer("sessions and reports (bulk)", lambda: insert_sessions(province, tag))
        admin = User.objects.create_superuser(f"{tag}-admin", password=None)
    # Each session in its own transaction, as staff would run them.
    published, prepared = timer(
        f"{len(province.sessions):,} sessions: scored, closed, published (services)",
        lambda: score_and_publish(province, admin, rng, scored=scored, progress=Ticker("sessions")),
    )
    print(f"    {published:,} published, {prepared:,} still in preparation (no scheme yet)")
    with transaction.atomic():
        timer(
            f"{ITEMS_PER_ORG} rectification items per organisation (bulk)",
            lambda: insert_items(province, province.staff["province"], rng),
        )
    province.staff["admin"] = admin
    return province


# ---------------------------------------------------------------------------------------------------
# Measuring


class Ticker:
    """A progress(done, total) that prints a line every 10 % with the time so far."""

    def __init__(self, what: str):
        self.what, self.start, self.shown = what, time.perf_counter(), 0

    def __call__(self, done: int, total: int) -> None:
        tenth = done * 10 // total
        if tenth > self.shown and total >= 50:
            self.shown = tenth
            print(
                f"    {done:,} / {total:,} {self.what}, {time.perf_counter() - self.start:.0f} s", flush=True
            )


class TimedOut(BaseException):
    """Not an Exception: Django's handler would log it as a server error and answer 500."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Stop the block with TimedOut after `seconds` (main thread, SIGALRM); 0 = no limit."""
    if not seconds:
        yield
        return

    def fire(_signum, _frame):
        raise TimedOut

    previous = signal.signal(signal.SIGALRM, fire)
    # Again every 5 s: code that swallows the first one (a broad except) does not run on for hours.
    signal.setitimer(signal.ITIMER_REAL, seconds, 5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Measure:
    label: str
    scope: str
    url: str
    runs: list[float] = field(default_factory=list)  # ms
    queries: int = 0  # the usual count (a session save now and then adds a few)
    most_queries: int = 0
    size: int = 0
    status: int = 0
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.runs) if self.runs else 0

    @property
    def p95(self) -> float:
        ordered = sorted(self.runs)
        return ordered[max(0, round(len(ordered) * 0.95) - 1)] if ordered else 0

    def cell(self) -> str:
        if self.note:
            return self.note
        queries = f"{self.queries}" + (f"–{self.most_queries}" if self.most_queries > self.queries else "")
        return f"{seconds(self.median)} (p95 {seconds(self.p95)}, {queries} q, {kb(self.size)})"


def seconds(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms < 10000 else f"{ms / 1000:.1f} s"


def kb(size: int) -> str:
    return f"{size / 1024:,.0f} KB" if size < 10 * 1024 * 1024 else f"{size / 1024 / 1024:,.1f} MB"


def get(client: Client, url: str) -> tuple[float, int, int, int]:
    """(ms, queries, bytes, status) of one GET, streamed responses read to the end."""
    reset_queries()  # DEBUG keeps the last 9,000 queries: with a full log the capture would count 0
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        response = client.get(url)
        if response.streaming:
            size = sum(len(chunk) for chunk in response.streaming_content)
        else:
            size = len(response.content)
        elapsed = (time.perf_counter() - start) * 1000
    return elapsed, len(captured), size, response.status_code


def measure_job(client: Client, label: str, scope: str, url: str) -> Measure:
    """An export: the POST that starts its job, then the job run here as the worker would (once)."""
    from reviews.jobs import services as jobs_services
    from reviews.jobs.models import Job

    result = Measure(label, scope, url)
    timeout = env_int("JOB_TIMEOUT", 600)
    reset_queries()
    start = time.perf_counter()
    response = client.post(url)
    if response.status_code != 302 or "/jobs/" not in response["Location"]:
        result.note = "refused (limit)" if response.status_code == 302 else f"HTTP {response.status_code}"
        print(f"  {scope:<9} {label:<34} {result.note}")
        return result
    job_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    try:
        with time_limit(timeout), CaptureQueriesContext(connection) as captured:
            jobs_services.job_run(job_id=job_id)
    except TimedOut:
        connection.close()
        result.note = f"> {timeout} s (stopped)"
        print(f"  {scope:<9} {label:<34} stopped after {timeout} s")
        return result
    elapsed = (time.perf_counter() - start) * 1000
    job = Job.objects.get(pk=job_id)
    if job.status != "done":
        result.note = f"job {job.status}: {job.error[:60]}"
    else:
        result.runs, result.queries, result.most_queries = [elapsed], len(captured), len(captured)
        result.size, result.status = job.result.size, 200
        job.result.storage.delete(job.result.name)
    print(f"  {scope:<9} {label:<34} job {seconds(elapsed)}, {len(captured)} queries, {kb(result.size)}")
    return result


def measure(client: Client, label: str, scope: str, url: str) -> Measure:
    if label in JOB_EXPORTS:
        return measure_job(client, label, scope, url)
    result = Measure(label, scope, url)
    runs, budget, timeout = env_int("RUNS", 15), env_int("PAGE_BUDGET", 60), env_int("TIMEOUT", 120)
    try:
        with time_limit(timeout):
            first, result.queries, result.size, result.status = get(client, url)
    except TimedOut:
        result.note = f"> {timeout} s (stopped)"
        connection.close()  # whatever the stopped request left behind
        print(f"  {scope:<9} {label:<34} stopped after {timeout} s")
        return result
    if result.status != 200:
        result.note = f"HTTP {result.status}"
        print(f"  {scope:<9} {label:<34} HTTP {result.status}")
        return result
    runs = max(2, min(runs, int(budget * 1000 / max(first, 1))))
    counts = [result.queries]
    for _ in range(runs):
        elapsed, count, _size, _status = get(client, url)
        result.runs.append(elapsed)
        counts.append(count)
    result.queries, result.most_queries = statistics.mode(counts), max(counts)
    print(
        f"  {scope:<9} {label:<34} median {result.median:9.1f} ms  p95 {result.p95:9.1f} ms  "
        f"{result.queries:4d} queries (≤ {result.most_queries})  {kb(result.size):>9}  "
        f"({runs} runs; first {first:.0f} ms)"
    )
    return result


# Exports are background jobs: started by a POST, then run once in this process (bench/province.py runs
# the worker's function, so the time is the job's, not the page's).
JOB_EXPORTS = ("ledger export (整改台账 Excel)", "dashboard export (Excel)", "all notices (PDF)")


def pages(cycle: Cycle) -> list[tuple[str, str | None]]:
    """(label, url or None when the URL does not exist in this code yet)."""

    def url(*names: str, args=()) -> str | None:
        for name in names:
            for arguments in (args, ()):
                try:
                    return reverse(name, args=arguments)
                except NoReverseMatch:
                    continue
        return None

    cid = [cycle.pk]
    dashboard = url("dashboard:cycle", args=cid)
    listed = [
        ("cycle dashboard", dashboard),
        ("dashboard, all organisations", dashboard and dashboard + "?orgs=all"),
        ("rectification items list", url("rectification:cycle", args=cid)),
        ("findings page", url("findings:list", args=cid)),
        ("回头看 page", url("rectification:follow_ups")),
        ("ledger export (整改台账 Excel)", url("rectification:ledger", args=cid)),
        ("dashboard export (Excel)", url("dashboard:cycle_export", args=cid)),
        ("all notices (PDF)", url("rectification:notices_pdf", args=cid)),
    ]
    for pair in filter(None, os.environ.get("EXTRA_URLS", "").split(",")):
        label, name = pair.split("=", 1)
        listed.append((label, url(name, args=cid)))
    return listed


def measure_pages(province: Province) -> list[Measure]:
    results = []
    listed = pages(province.cycle)
    for label, url in listed:
        if url is None:
            print(f"  {label}: not available (no such URL in this code)")
    for scope in ("province", "county", "township"):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(province.staff[scope])
        for label, url in listed:
            if url is None:
                results.append(Measure(label, scope, "", note="not available"))
                continue
            results.append(measure(client, label, scope, url))
    return results


# ---------------------------------------------------------------------------------------------------
# The import


def import_workbook(province: Province, prefix: str, limit: int | None = None) -> tuple[bytes, int]:
    """The same tree under other codes as an import workbook (openpyxl write-only); (bytes, org rows)."""
    import openpyxl

    from reviews.orgs import imports

    workbook = openpyxl.Workbook(write_only=True)
    orgs = workbook.create_sheet(imports.ORG_SHEET)
    secretaries = workbook.create_sheet(imports.SECRETARY_SHEET)
    orgs.append(list(imports.ORG_HEADERS))
    secretaries.append(list(imports.SECRETARY_HEADERS))
    kinds = {value: word for word, value in imports.KIND_WORDS.items()}
    sectors = {value: word for word, value in imports.SECTOR_WORDS.items()}
    nodes = province.all if limit is None else subtree_rows(province, limit)
    start = datetime.date(2021, 1, 1)
    for i, node in enumerate(nodes):
        parent = prefix + node.parent.code if node.parent and (limit is None or node is not nodes[0]) else ""
        orgs.append(
            [prefix + node.code, node.name, "", parent, kinds[node.kind], sectors.get(node.sector, "")]
        )
        secretaries.append([prefix + node.code, person_name(i), "男" if i % 3 else "女", "书记", start])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), len(nodes)


def subtree_rows(province: Province, limit: int) -> list[Node]:
    """About `limit` rows: the first county and its townships and villages (a county-sized sample)."""
    county = province.counties[0]
    rows = [county]
    for town in county.children:
        rows += [town, *town.children]
    return rows[:limit]


class _RollBack(Exception):
    pass


IMPORT_PROGRESS: dict[str, tuple[int, int] | float] = {}  # what a stopped import had done


def run_import(data: bytes, actor) -> tuple[float, float, str]:
    """Check + apply through reviews.orgs.imports, rolled back; (check s, apply s, summary or problem).

    The one place to adapt when the import changes (a progress callback is passed when apply accepts one).
    """
    from reviews.orgs import imports

    timings = {}
    outcome = ""
    IMPORT_PROGRESS.clear()

    def progress(done: int, total: int) -> None:
        IMPORT_PROGRESS["apply"] = (done, total)

    try:
        with transaction.atomic():
            start = time.perf_counter()
            plan = imports.parse_workbook(data, actor=actor)
            timings["check"] = IMPORT_PROGRESS["check"] = time.perf_counter() - start
            if plan.problems:
                outcome = f"refused: {plan.problems[0]}"
                raise _RollBack
            kwargs = {}
            if "progress" in inspect.signature(imports.apply_plan).parameters:
                kwargs["progress"] = progress
            start = time.perf_counter()
            summary = imports.apply_plan(plan, actor=actor, **kwargs)
            timings["apply"] = time.perf_counter() - start
            outcome = str(summary)
            raise _RollBack
    except _RollBack:
        pass
    return timings.get("check", 0), timings.get("apply", 0), outcome


def measure_import(province: Province) -> str:
    actor = province.staff["admin"]
    timeout = env_int("IMPORT_TIMEOUT", 600)
    data, rows = import_workbook(province, "I")
    print(f"  workbook: {rows:,} organisations + {rows:,} secretaries, {len(data) / 1024 / 1024:.1f} MB")
    try:
        with time_limit(timeout):
            check, apply, outcome = run_import(data, actor)
    except TimedOut:
        connection.close()
        done = ""
        if "check" in IMPORT_PROGRESS:
            done = f"; check took {IMPORT_PROGRESS['check']:.1f} s"
        if "apply" in IMPORT_PROGRESS:
            done += ", apply had written {:,} of {:,}".format(*IMPORT_PROGRESS["apply"])
        print(f"  stopped after {timeout} s{done}")
        return f"> {timeout} s (stopped{done})"
    print(f"  check {check:.1f} s, apply {apply:.1f} s: {outcome[:200]}")
    if not outcome.startswith("refused"):
        return f"{check + apply:.1f} s (check {check:.1f} + apply {apply:.1f})"
    # Refused (the old row limit): time a county-sized sample to give the rate.
    sample, sample_rows = import_workbook(province, "S", limit=1600)
    try:
        with time_limit(timeout):
            check, apply, outcome = run_import(sample, actor)
    except TimedOut:
        connection.close()
        return f"refused; a {sample_rows:,}-row sample > {timeout} s"
    if outcome.startswith("refused"):
        return f"refused ({outcome[9:120]})"
    total = check + apply
    estimate = total * rows / sample_rows
    print(f"  sample of {sample_rows:,} rows: check {check:.1f} s, apply {apply:.1f} s")
    return f"refused at {rows:,} rows; {sample_rows:,}-row sample {total:.1f} s → ≈ {estimate / 60:.0f} min"


# ---------------------------------------------------------------------------------------------------
# One gunicorn worker: peak RSS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def worker_pid(master: int, deadline: float) -> int:
    while time.time() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children")
        if children.exists() and (text := children.read_text().split()):
            return int(text[0])
        time.sleep(0.2)
    raise RuntimeError("gunicorn started no worker")


def measure_gunicorn(province: Province, heaviest: Measure) -> str:
    """Start one gunicorn worker, GET the heaviest page twice as its staff, report the worker's VmHWM."""
    root = Path(__file__).resolve().parent.parent
    gunicorn = Path(sys.executable).with_name("gunicorn")
    port = free_port()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(province.staff[heaviest.scope])
    cookie = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
    timeout = env_int("TIMEOUT", 120)
    log = Path(tempfile.mkdtemp(prefix="province-gunicorn-")) / "gunicorn.log"
    process = subprocess.Popen(
        [str(gunicorn), "shuzhi.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", str(timeout * 3)],
        cwd=root,
        env=os.environ.copy(),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        worker = worker_pid(process.pid, time.time() + 30)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=5).read()
                break
            except OSError:
                time.sleep(0.2)
        idle = status_kb(worker, "VmRSS")
        times = []
        for _ in range(2):
            request = urllib.request.Request(base + heaviest.url, headers={"Cookie": cookie})
            start = time.perf_counter()
            with urllib.request.urlopen(request, timeout=timeout * 3) as response:
                size = len(response.read())
            times.append(time.perf_counter() - start)
        peak, now = status_kb(worker, "VmHWM"), status_kb(worker, "VmRSS")
    except Exception as error:  # report it and move on: the table is still worth printing
        print(f"  gunicorn run failed: {error!r} (log: {log})")
        return f"failed ({error.__class__.__name__})"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    print(
        f"  {heaviest.scope} {heaviest.label}: {times[0]:.1f} s / {times[1]:.1f} s through gunicorn, "
        f"{kb(size)}; RSS idle {idle / 1024:.0f} MB, then {now / 1024:.0f} MB, peak {peak / 1024:.0f} MB"
    )
    return f"{now / 1024:.0f} MB (peak {peak / 1024:.0f} MB; page {times[1]:.1f} s through gunicorn)"


# ---------------------------------------------------------------------------------------------------


def load() -> str:
    return " / ".join(f"{n:.1f}" for n in os.getloadavg())


def timed(label: str, func):
    start = time.perf_counter()
    result = func()
    print(f"  {label:<64} {time.perf_counter() - start:7.1f} s")
    return result


def table(size: str, database: str, results: list[Measure], import_cell: str, rss_cell: str) -> str:
    by = {(m.label, m.scope): m for m in results}
    rows = [
        (
            "ledger export (整改台账 Excel), province staff",
            by.get(("ledger export (整改台账 Excel)", "province")),
        ),
        ("`import_orgs` (check + apply)", import_cell),
        ("cycle dashboard, province staff", by.get(("cycle dashboard", "province"))),
        ("dashboard, all organisations listed", by.get(("dashboard, all organisations", "province"))),
        ("gunicorn worker after the heaviest page", rss_cell),
        ("findings page, province staff", by.get(("findings page", "province"))),
        ("回头看 page, province staff", by.get(("回头看 page", "province"))),
        ("items list, province staff", by.get(("rectification items list", "province"))),
        (
            "county / township dashboards",
            " / ".join(
                by[("cycle dashboard", s)].cell()
                for s in ("county", "township")
                if ("cycle dashboard", s) in by
            ),
        ),
    ]
    lines = [f"| what | {size} orgs ({database}) |", "|---|---|"]
    for label, value in rows:
        cell = value.cell() if isinstance(value, Measure) else (value or "—")
        lines.append(f"| {label} | {cell} |")
    lines += ["", f"Every page and scope ({size}, {database}): median (p95, queries, size)", ""]
    lines += ["| page | province staff | county staff | township staff |", "|---|---|---|---|"]
    for label in dict.fromkeys(m.label for m in results):
        cells = [
            by[(label, s)].cell() if (label, s) in by else "—" for s in ("province", "county", "township")
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    warnings.filterwarnings("ignore", "Limit for query logging exceeded")  # the import's 100,000s of queries
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default=os.environ.get("SIZE", "1.5k"), choices=list(SIZES))
    parser.add_argument(
        "--scored",
        type=int,
        default=int(os.environ["SCORED"]) if os.environ.get("SCORED") else None,
        help="score and publish at most this many sessions (default: all but 1 in 4 townships')",
    )
    parser.add_argument("--reuse", action="store_true", help="measure the province built last, build nothing")
    args = parser.parse_args()
    database = connection.vendor
    print(f"database: {database}; size {args.size} {SIZES[args.size]}; load average {load()}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if args.reuse:
        province = load_latest()
        print(f"reusing the province built last ({province.root.code}):")
    else:
        print("building:")
        province = build(args.size, scored=args.scored, timer=timed)
    if database == "postgresql":
        # Fresh bulk inserts have no planner statistics and no visibility map yet (index-only scans need
        # it): autovacuum would do both within minutes of the inserts.
        timed("VACUUM ANALYZE", lambda: connection.cursor().execute("VACUUM ANALYZE"))
    counts = {
        "organisations": Organisation.objects.filter(path__startswith=province.root.path).count(),
        "sessions": Session.objects.filter(cycle=province.cycle).count(),
        "reports": Report.objects.filter(session__cycle=province.cycle).count(),
        "items": RectificationItem.objects.filter(cycle=province.cycle).count(),
    }
    print("  " + ", ".join(f"{n:,} {what}" for what, n in counts.items()))
    print(f"  built in {time.perf_counter() - started:.0f} s")

    import_cell = "skipped"
    if not os.environ.get("SKIP_IMPORT"):
        print("import (check + apply of the same tree under other codes, rolled back):")
        import_cell = measure_import(province)

    print(f"pages (test Client, up to {env_int('RUNS', 15)} runs after a warm-up):")
    results = measure_pages(province)

    rss_cell = "skipped"
    # The heaviest page, not a download: the issue's row is the worker after the dashboard.
    timed_pages = [m for m in results if m.runs and m.url and not m.label.endswith(EXPORT_SUFFIXES)]
    if not os.environ.get("SKIP_GUNICORN") and timed_pages:
        heaviest = max(timed_pages, key=lambda m: m.median)
        print(f"gunicorn (one worker) on the heaviest page: {heaviest.scope} {heaviest.label}")
        rss_cell = measure_gunicorn(province, heaviest)

    print(f"\ntotal {time.perf_counter() - started:.0f} s; load average {load()} (2 cores)\n")
    print(table(args.size, database, results, import_cell, rss_cell))


if __name__ == "__main__":
    main()
