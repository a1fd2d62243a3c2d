"""The 整改台账 ledger and the all-notices PDF at province scale: time and peak memory against the items.

Usage:
  .venv/bin/python bench/ledger.py                  seed (if empty) and export every size below
  .venv/bin/python bench/ledger.py seed             only seed
  .venv/bin/python bench/ledger.py ledger 45000     one ledger export of the first 45,000 items
  .venv/bin/python bench/ledger.py notices 1000     one all-notices PDF of the first 1,000 notices
  .venv/bin/python bench/ledger.py notices 100 20  the same, 20 notices per WeasyPrint render
(uses DATABASE_URL; default a SQLite file in /tmp kept between runs, BENCH_DB to name another)

Seeds, with bulk inserts (no services: they are not what is measured here), a province: 1 province →
100 counties → 15 townships each → 100 villages each (151,601 organisations), a secretary for each, one
cycle with one session per township (1,500), and for each village one notice of 3 items (450,000 items,
each from its own finding), 40 % of the items with a progress report, statuses mixed, deadlines around
today. Each export then runs in a fresh process (so its peak RSS is its own) on the first N items in pk
order, written to a temporary file as the command does, and prints the time, the rows per second and the
process's peak RSS (the Django process alone is ~70 MB). Targets: 450,000 items in < 120 s and < 300 MB.
"""

import datetime
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuzhi.settings")
os.environ.setdefault(
    "DATABASE_URL", "sqlite:///" + os.environ.get("BENCH_DB", f"{tempfile.gettempdir()}/bench-ledger.sqlite3")
)

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from reviews.cycles.models import Cycle, Session  # noqa: E402
from reviews.findings.models import Finding, FindingSource  # noqa: E402
from reviews.orgs.models import Appointment, Organisation, OrganisationKind, Person, Post  # noqa: E402
from reviews.rectification.models import (  # noqa: E402
    ProblemCategory,
    RectificationEvent,
    RectificationEventKind,
    RectificationItem,
    RectificationNotice,
    RectificationStatus,
)

COUNTIES = 100
TOWNSHIPS = 15
VILLAGES = 100
ITEMS_PER_NOTICE = 3
LEDGER_SIZES = [2_250, 4_500, 9_000, 45_000, 450_000]
NOTICE_SIZES = [100, 1_000]
BATCH = 5_000
CYCLE_NAME = "bench-ledger 2025年度抓基层党建工作述职评议"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _path(parent_path: str, pk: int) -> str:
    return f"{parent_path}{pk:0{Organisation.PATH_DIGITS}d}/"


def seed() -> None:
    call_command("migrate", verbosity=0)
    if Cycle.objects.filter(name=CYCLE_NAME).exists():
        print("already seeded")
        return
    start = time.perf_counter()
    rng = random.Random(2025)
    today = timezone.localdate()
    with transaction.atomic():
        first = (Organisation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        ids = iter(range(first, first + 10**7))
        orgs, townships, villages = [], [], []
        province = Organisation(
            id=next(ids), code="BL-P", name="中共基准省委", kind=OrganisationKind.COMMITTEE, depth=0
        )
        province.path = _path("/", province.id)
        orgs.append(province)
        for c in range(COUNTIES):
            county = Organisation(
                id=next(ids), code=f"BL-C{c:03d}", name=f"中共第{c}县委", kind=OrganisationKind.COMMITTEE
            )
            county.parent_id, county.path, county.depth = province.id, _path(province.path, county.id), 1
            orgs.append(county)
            for t in range(TOWNSHIPS):
                town = Organisation(
                    id=next(ids),
                    code=f"BL-C{c:03d}T{t:02d}",
                    name=f"中共第{c}县第{t}镇委员会",
                    kind=OrganisationKind.COMMITTEE,
                )
                town.parent_id, town.path, town.depth = county.id, _path(county.path, town.id), 2
                orgs.append(town)
                townships.append(town)
                for v in range(VILLAGES):
                    village = Organisation(
                        id=next(ids),
                        code=f"BL-C{c:03d}T{t:02d}V{v:03d}",
                        name=f"第{c}县第{t}镇第{v}村党支部",
                        kind=OrganisationKind.BRANCH,
                    )
                    village.parent_id, village.depth = town.id, 3
                    village.path = _path(town.path, village.id)
                    orgs.append(village)
                    villages.append((town, village))
        Organisation.objects.bulk_create(orgs, batch_size=BATCH)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('reviews_organisation', 'id'), %s)",
                    [max(o.id for o in orgs)],
                )
        print(f"  {len(orgs)} organisations {time.perf_counter() - start:.0f} s", flush=True)

        people = Person.objects.bulk_create(
            (Person(name=f"书记{n:06d}") for n in range(len(villages))), batch_size=BATCH
        )
        Appointment.objects.bulk_create(
            (
                Appointment(
                    person=person,
                    organisation=village,
                    post=Post.SECRETARY,
                    start_date=datetime.date(2021, 1, 1),
                )
                for person, (_town, village) in zip(people, villages, strict=True)
            ),
            batch_size=BATCH,
        )
        print(f"  secretaries {time.perf_counter() - start:.0f} s", flush=True)

        cycle = Cycle.objects.create(year=2025, name=CYCLE_NAME)
        sessions = Session.objects.bulk_create(
            (
                Session(
                    cycle=cycle, host=town, title=f"{town.name}述职评议会", date=datetime.date(2026, 1, 16)
                )
                for town in townships
            ),
            batch_size=BATCH,
        )
        session_of = {session.host_id: session for session in sessions}
        categories = list(ProblemCategory.objects.all()) or [None]
        issued_on = today - datetime.timedelta(days=120)
        numbers: dict[int, int] = {}
        notices = []
        for town, village in villages:
            numbers[town.id] = numbers.get(town.id, 0) + 1
            notices.append(
                RectificationNotice(
                    session=session_of[town.id],
                    organisation=village,
                    host=town,
                    year=issued_on.year,
                    number=numbers[town.id],
                    issuer=town.name,
                    issued_on=issued_on,
                )
            )
        notices = RectificationNotice.objects.bulk_create(notices, batch_size=BATCH)
        print(f"  {len(notices)} notices {time.perf_counter() - start:.0f} s", flush=True)

        findings = Finding.objects.bulk_create(
            (
                Finding(
                    cycle=cycle,
                    organisation_id=notice.organisation_id,
                    source=FindingSource.SUPERIOR,
                    description=f"问题{k}：三会一课记录不全，组织生活会流于形式",
                )
                for notice in notices
                for k in range(ITEMS_PER_NOTICE)
            ),
            batch_size=BATCH,
        )
        print(f"  {len(findings)} findings {time.perf_counter() - start:.0f} s", flush=True)
        statuses = [
            s for s, w in zip(RectificationStatus.values, [20, 30, 10, 35, 5], strict=True) for _ in range(w)
        ]
        now = timezone.now()

        def item(n: int, notice: RectificationNotice, finding: Finding) -> RectificationItem:
            status = rng.choice(statuses)
            deadline = issued_on + datetime.timedelta(days=rng.randint(30, 180))
            extended = rng.random() < 0.1
            return RectificationItem(
                notice=notice,
                cycle=cycle,
                organisation_id=notice.organisation_id,
                finding=finding,
                number=n + 1,
                source=FindingSource.SUPERIOR,
                category=rng.choice(categories),
                problem=finding.description,
                measures="制定整改措施并逐项落实，建立长效机制",
                responsible="书记",
                deadline=deadline + datetime.timedelta(days=30) if extended else deadline,
                original_deadline=deadline,
                status=status,
                status_changed_at=now,
                verified_at=now if status == RectificationStatus.VERIFIED else None,
            )

        items = RectificationItem.objects.bulk_create(
            (
                item(k, notice, findings[i * ITEMS_PER_NOTICE + k])
                for i, notice in enumerate(notices)
                for k in range(ITEMS_PER_NOTICE)
            ),
            batch_size=BATCH,
        )
        print(f"  {len(items)} items {time.perf_counter() - start:.0f} s", flush=True)
        RectificationEvent.objects.bulk_create(
            (
                RectificationEvent(
                    item=it, kind=RectificationEventKind.PROGRESS, text="已召开专题组织生活会，整改推进中"
                )
                for it in items
                if rng.random() < 0.4
            ),
            batch_size=BATCH,
        )
        print(f"  progress events {time.perf_counter() - start:.0f} s", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"seeded in {time.perf_counter() - start:.0f} s ({connection.vendor})", flush=True)


def cycle_items(n: int):
    from reviews.rectification import exports as exports_rectification
    from reviews.rectification import services as services_rectification

    cycle = Cycle.objects.get(name=CYCLE_NAME)
    first = RectificationItem.objects.filter(cycle=cycle).order_by("pk").values_list("pk", flat=True)[0]
    today = services_rectification.today()
    items = RectificationItem.objects.filter(cycle=cycle, pk__lt=first + n)
    return cycle, exports_rectification.ordered(items, today), today


def export_ledger(n: int) -> None:
    from reviews.rectification import exports as exports_rectification

    cycle, items, today = cycle_items(n)
    reports = []
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        exports_rectification.ledger_workbook(
            items,
            exports_rectification.ledger_title_lines(cycle, [], today),
            today,
            out=out,
            progress=lambda done, total: reports.append((done, total)),
        )
        size = out.tell()
    elapsed = time.perf_counter() - start
    done, total = reports[-1]
    assert done == total == n, (done, total, n)
    print(
        f"ledger {n:>8,} items  {elapsed:7.1f} s  {n / elapsed:8,.0f} rows/s"
        f"  peak RSS {peak_rss_mb():6.0f} MB"
        f"  {size / 2**20:6.1f} MiB  {len(reports)} progress calls  ({connection.vendor})",
        flush=True,
    )


def export_notices(n: int) -> None:
    from reviews.handover import documents as documents_handover

    cycle = Cycle.objects.get(name=CYCLE_NAME)
    first = (
        RectificationNotice.objects.filter(session__cycle=cycle)
        .order_by("pk")
        .values_list("pk", flat=True)[0]
    )
    notices = RectificationNotice.objects.filter(session__cycle=cycle, pk__lt=first + n)
    reports = []
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        documents_handover.cycle_notices_pdf(
            cycle, notices=notices, out=out, progress=lambda done, total: reports.append((done, total))
        )
        size = out.tell()
    elapsed = time.perf_counter() - start
    print(
        f"notices {n:>7,}  {elapsed:7.1f} s  {elapsed / n * 1000:6.0f} ms a notice"
        f"  peak RSS {peak_rss_mb():6.0f} MB"
        f"  {size / 2**20:6.1f} MiB  {len(reports)} progress calls  ({connection.vendor})",
        flush=True,
    )


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["seed"]:
        seed()
    elif args[:1] == ["ledger"]:
        export_ledger(int(args[1]))
    elif args[:1] == ["notices"]:
        if len(args) > 2:  # the notices per render, to try another
            from reviews.handover import documents as documents_handover

            documents_handover.NOTICES_PER_RENDER = int(args[2])
        export_notices(int(args[1]))
    else:
        seed()
        for kind, sizes in (("ledger", LEDGER_SIZES), ("notices", NOTICE_SIZES)):
            for n in sizes:
                subprocess.run([sys.executable, __file__, kind, str(n)], check=True)


if __name__ == "__main__":
    main()
