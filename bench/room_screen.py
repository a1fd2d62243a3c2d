"""The big screen's poll under load of data: 40 reporters, 300 ballots; each mode, 200 polls.

Usage: .venv/bin/python bench/room_screen.py   (DATABASE_URL, default a temp SQLite file)
Target: < 50 ms per poll, a fixed number of queries. Prints mean/p95 ms and queries per poll.
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

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.seed import big_session, store_ballots_directly  # noqa: E402
from reviews import services as review_services  # noqa: E402
from reviews.models import ScreenMode, Session  # noqa: E402
from scoring import services  # noqa: E402

POLLS = 200


def poll(client: Client, url: str, label: str) -> None:
    timings, queries = [], []
    for _ in range(POLLS):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code in (200, 204), response.status_code
        queries.append(len(captured))
    p95 = statistics.quantiles(timings, n=20)[18]
    verdict = "ok" if p95 < 50 else "OVER TARGET"
    print(
        f"{label:<34} mean {statistics.mean(timings):6.1f} ms  p95 {p95:6.1f} ms  "
        f"queries {min(queries)}–{max(queries)}  ({verdict})"
    )


def main() -> None:
    print(f"database: {connection.vendor}")
    call_command("migrate", verbosity=0)
    session, issued, criteria, reports, staff = big_session(tag=f"s{random.randrange(10**6)}")
    store_ballots_directly(session, issued, criteria, reports, random.Random(3))
    client = Client(HTTP_HOST="127.0.0.1")
    state = reverse("room:screen_state", args=[Session.objects.get(pk=session.pk).screen_token])

    def fresh() -> Session:
        return Session.objects.get(pk=session.pk)

    review_services.meeting_next(actor=staff, session=fresh(), version=fresh().meeting_version)
    poll(client, state, "report mode, full render")
    digest = client.get(state).content.decode().split("?v=")[1].split('"')[0]
    poll(client, f"{state}?v={digest}", "report mode, unchanged (204)")
    review_services.meeting_show(
        actor=staff, session=fresh(), mode=ScreenMode.ORDER, version=fresh().meeting_version
    )
    poll(client, state, "order mode, full render")
    services.scoring_close(actor=staff, session=fresh())
    services.results_reveal(actor=staff, session=fresh(), everything=True, version=fresh().meeting_version)
    poll(client, state, "results mode (40 rows), full render")


if __name__ == "__main__":
    main()
