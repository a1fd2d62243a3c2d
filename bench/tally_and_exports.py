"""Tally, Excel export and slip PDF timings for a big session (40 reporters × 300 ballots × 6 items).

Usage: .venv/bin/python bench/tally_and_exports.py   (uses DATABASE_URL, default a temp SQLite file)
Targets: tally < 0.5 s including the query; Excel export < 2 s; 300 code slips as PDF < 10 s.
"""

import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuzhi.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.seed import big_session, store_ballots_directly  # noqa: E402
from scoring import selectors  # noqa: E402


def timed(label: str, func, target: float):
    start = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - start
    verdict = "ok" if elapsed < target else "OVER TARGET"
    print(f"{label:<44} {elapsed * 1000:9.1f} ms   (target < {target * 1000:.0f} ms: {verdict})")
    return result


def main() -> None:
    print(f"database: {connection.vendor}")
    call_command("migrate", verbosity=0)
    session, issued, criteria, reports, _ = big_session(
        reporters=40, codes=300, tag=f"b{random.randrange(10**6)}"
    )
    timed(
        "store 300 ballots × 240 marks directly",
        lambda: store_ballots_directly(session, issued, criteria, reports, random.Random(1)),
        60,
    )
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        result = timed("tally 72,000 marks (queries included)", lambda: selectors.session_tally(session), 0.5)
    print(f"{'  queries for the tally':<44} {len(queries):9d}")
    print(f"{'  ranked reporters':<44} {len([r for r in result.result.ranking if r.rank]):9d}")
    try:
        from scoring.codes import documents as codes_documents
        from scoring.results import documents as results_documents
        from scoring.results import exports
    except ImportError as exc:
        print(f"exports not available yet: {exc}")
        return
    timed("Excel results workbook", lambda: exports.ResultsWorkbook().render(session), 2)
    timed("300 code slips as PDF", lambda: codes_documents.code_slips_pdf(session, issued), 10)
    timed("result bulletin PDF", lambda: results_documents.results_bulletin_pdf(result), 10)


if __name__ == "__main__":
    main()
