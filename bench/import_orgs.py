"""The organisation import at county and province size: check + apply times, queries and peak RSS.

Usage: .venv/bin/python bench/import_orgs.py [ROWS ...]   (default 1500 15000 150000; uses DATABASE_URL,
default a temp SQLite file)

For each size, in a fresh database: writes a workbook (openpyxl write-only) of a province → counties →
townships → villages tree with ROWS organisations and a secretary for each, then times
- import_check and import_apply of it (new data),
- the same file again (nothing changes: check only, apply finds nothing to write),
- a file with 10 % of the rows changed (names of organisations, titles of secretaries),
and prints seconds, queries and the peak RSS of this process. Targets (issue 14): 150,000 rows in under
2 minutes on PostgreSQL and 5 on SQLite, under 500 MB.
"""

import datetime
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuzhi.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ.setdefault("IMPORT_MAX_BYTES", str(64 * 1024 * 1024))
os.environ.setdefault("PRIVATE_MEDIA_ROOT", tempfile.mkdtemp())

import django

django.setup()

import openpyxl  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from reviews.orgs.imports import (  # noqa: E402
    ORG_HEADERS,
    ORG_SHEET,
    SECRETARY_HEADERS,
    SECRETARY_SHEET,
    import_apply,
    import_check,
)
from reviews.orgs.models import Appointment, Organisation  # noqa: E402


def tree(rows: int) -> list[tuple]:
    """1 province, 100 counties, ~15 townships each, villages for the rest (~100 a township)."""
    counties = min(100, max(rows // 1500, 1))
    townships = min(15 * counties, max(rows // 100, 1))
    orgs = [("P", "中共示范省委员会", "省委", "", "党委", "")]
    orgs += [(f"C{c:03d}", f"中共第{c}县委员会", "", "P", "党委", "") for c in range(counties)]
    orgs += [
        (f"C{t % counties:03d}T{t:04d}", f"中共第{t}镇委员会", "", f"C{t % counties:03d}", "党委", "")
        for t in range(townships)
    ]
    town_codes = [row[0] for row in orgs[1 + counties :]]
    v = 0
    while len(orgs) < rows:
        town = town_codes[v % len(town_codes)]
        orgs.append((f"{town}V{v:06d}", f"第{v}村党支部", "", town, "党支部", "农村"))
        v += 1
    return orgs


def write_workbook(path: Path, orgs: list[tuple], *, changed: float = 0.0) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(ORG_SHEET)
    sheet.append(list(ORG_HEADERS))
    every = int(1 / changed) if changed else 0
    for i, row in enumerate(orgs):
        if every and i % every == 1:
            row = (row[0], row[1] + "（改）", *row[2:])
        sheet.append(list(row))
    secretaries = book.create_sheet(SECRETARY_SHEET)
    secretaries.append(list(SECRETARY_HEADERS))
    start = datetime.date(2021, 1, 1)
    for i, row in enumerate(orgs):
        title = "书记" if not (every and i % every == 2) else "党组织书记"
        secretaries.append([row[0], f"书记{i}", "男" if i % 3 else "女", title, start])
    book.save(path)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, function, *args, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = function(*args, **kwargs)
        elapsed = time.perf_counter() - started
    print(
        f"  {label:<28} {elapsed:8.1f} s {len(queries):6d} queries  peak RSS {rss_mb():6.0f} MB", flush=True
    )
    return result, elapsed


def flush() -> None:
    Appointment.objects.all().delete()
    Organisation.objects.filter(depth__gte=3).delete()
    for depth in (2, 1, 0):
        Organisation.objects.filter(depth=depth).delete()


def main(sizes: list[int]) -> None:
    call_command("migrate", verbosity=0)
    connection.force_debug_cursor = False
    print(f"database: {connection.vendor}")
    folder = Path(tempfile.mkdtemp())
    for rows in sizes:
        flush()
        orgs = tree(rows)
        first, changed = folder / f"orgs-{rows}.xlsx", folder / f"orgs-{rows}-changed.xlsx"
        write_workbook(first, orgs)
        write_workbook(changed, orgs, changed=0.1)
        print(f"{rows} organisations + {rows} secretaries ({first.stat().st_size / 1e6:.1f} MB file)")
        plan, check = timed("check (new)", import_check, first)
        assert plan.is_valid, plan.problems[:3]
        del plan  # as in the admin or a job: the check's plan is gone when the apply runs
        summary, apply = timed("apply (new, checks again)", import_apply, first, actor=None)
        print(f"  new: check + apply = {check + apply:.1f} s; {summary}")
        plan, check = timed("check (same file again)", import_check, first)
        assert not plan.has_changes
        del plan
        summary, apply = timed("apply (same file again)", import_apply, first, actor=None)
        print(f"  again: check + apply = {check + apply:.1f} s; {summary}")
        plan, check = timed("check (10 % changed)", import_check, changed)
        del plan
        summary, apply = timed("apply (10 % changed)", import_apply, changed, actor=None)
        print(f"  10 %: check + apply = {check + apply:.1f} s; {summary}")
    print(f"peak RSS of the process: {rss_mb():.0f} MB")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1500, 15000, 150000])
