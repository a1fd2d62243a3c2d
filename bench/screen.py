"""The big screen's state endpoint under a projector's polling, for a big session (40 reporters, 300 ballots).

Usage: .venv/bin/python bench/screen.py   (uses DATABASE_URL, default a temp SQLite file)
Times GET /screen/<token>/state/ in each mode with Django's test Client (N requests per mode) and prints
mean / p95 in ms and the queries per request. Target: < 50 ms per poll in every mode.
"""

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

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.seed import big_session, store_ballots_directly  # noqa: E402
from reviews.cycles.models import ScreenMode  # noqa: E402
from reviews.meeting import services as review_services  # noqa: E402
from scoring.ballots import services as ballots_services  # noqa: E402
from scoring.meeting import services as meeting_services  # noqa: E402
from scoring.results import services as results_services  # noqa: E402

N = 200
TARGET_MS = 50


def measure(client: Client, url: str, label: str) -> None:
    first_ms, first_queries = poll(client, url)
    times, queries = [], []
    for _ in range(N):
        elapsed, count = poll(client, url)
        times.append(elapsed)
        queries.append(count)
    times.sort()
    mean, p95 = statistics.fmean(times), times[int(len(times) * 0.95) - 1]
    verdict = "ok" if p95 < TARGET_MS else "OVER TARGET"
    print(
        f"{label:<28} mean {mean:6.1f} ms   p95 {p95:6.1f} ms   queries/request {max(queries):2d}"
        f"   (first poll {first_ms:6.1f} ms, {first_queries} queries)   {verdict}"
    )


def poll(client: Client, url: str) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed, len(captured)


def main() -> None:
    print(f"database: {connection.vendor}; {N} polls per mode")
    call_command("migrate", verbosity=0)
    cache.clear()
    session, issued, criteria, reports, staff = big_session(
        reporters=40, codes=300, tag=f"s{random.randrange(10**6)}"
    )
    store_ballots_directly(session, issued, criteria, reports, random.Random(1))
    client = Client(HTTP_HOST="127.0.0.1")
    url = reverse("screen:state", args=[session.screen_token])

    measure(client, url, "order (scoring open)")
    review_services.meeting_next(actor=staff, session=session, version=None)
    measure(client, url, "report (scoring open)")
    review_services.meeting_show(actor=staff, session=session, mode=ScreenMode.BLANK, version=None)
    measure(client, url, "blank")
    ballots_services.scoring_close(actor=staff, session=session)
    meeting_services.results_reveal(actor=staff, session=session, version=None)
    measure(client, url, "results, 1 row revealed")
    meeting_services.results_reveal(actor=staff, session=session, everything=True, version=None)
    measure(client, url, "results, all 40 revealed")
    results_services.results_publish(actor=staff, session=session)
    measure(client, url, "results, published snapshot")


if __name__ == "__main__":
    main()
