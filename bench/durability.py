"""Acknowledged ballots survive `kill -9` of every gunicorn process (issue 10: "keep it so").

  .venv/bin/python bench/durability.py [--rounds 4] [--codes 200] [--concurrency 20]

Each round: a fresh session with `--codes` codes, gunicorn (3 workers × 4 threads) on a throwaway
PostgreSQL, every delegate submits at once; part-way through, the whole gunicorn process group is killed
with SIGKILL. Every submit that was answered with a receipt must be held in the database afterwards, once;
nothing else may be. Prints acknowledged / held / lost per round. Loopback only; every loop is bounded.
"""

import argparse
import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ballots import GUNICORN, ROOT, Client, csrf_form, free_port, prepare, production_env, wait_for

RECEIPT = re.compile(rb'class="bl-receipt-code">([A-Z0-9-]+)<')


def one_round(url: str, env: dict, codes: int, concurrency: int, kill_after: float) -> tuple[int, int, int]:
    session, issued, bodies = prepare(url, codes)
    port = free_port()
    server = subprocess.Popen(
        [
            GUNICORN,
            "shuzhi.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "critical",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    wait_for(port)
    jobs = []
    for code, body in zip(issued, bodies, strict=True):
        client = Client(port)
        jobs.append((client, code, body | {"csrfmiddlewaretoken": csrf_form(client, code.token)}))
    acknowledged: list[str] = []
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not jobs:
                    return
                client, code, body = jobs.pop()
            client.conn.close()
            try:
                status, _, content = client.request(
                    "POST", f"/vote/{code.token}/submit/", body, {"Referer": f"http://127.0.0.1:{port}/vote/"}
                )
            except (OSError, http.client.HTTPException):
                continue  # the server died under this request: not acknowledged
            match = RECEIPT.search(content or b"")
            if status == 200 and match:
                with lock:
                    acknowledged.append(match.group(1).decode().replace("-", ""))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    time.sleep(kill_after)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=30)
    for t in threads:
        t.join(timeout=120)

    from django.db import connections

    from scoring.ballots.models import Ballot, PendingBallot

    connections.close_all()
    held = list(PendingBallot.objects.filter(session=session).values_list("receipt", flat=True))
    held += list(Ballot.objects.filter(session=session).values_list("receipt", flat=True))
    lost = set(acknowledged) - set(held)
    assert len(held) == len(set(held)), "a ballot stored twice"
    return len(acknowledged), len(held), len(lost)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--codes", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    pgdir = tempfile.mkdtemp(prefix="shuzhi-durability-pg.")
    pgport = free_port()
    subprocess.run([str(ROOT / "scripts" / "pg.sh"), "start", pgdir, str(pgport)], check=True)
    try:
        url = f"postgres://postgres@127.0.0.1:{pgport}/postgres"
        env = production_env(url)
        total_lost = 0
        for n in range(args.rounds):
            acknowledged, held, lost = one_round(
                url, env, args.codes, args.concurrency, kill_after=0.5 + 0.3 * n
            )
            total_lost += lost
            print(f"round {n + 1}: {acknowledged:4d} acknowledged, {held:4d} held, {lost} lost")
        print(f"lost in all: {total_lost}")
    finally:
        subprocess.run([str(ROOT / "scripts" / "pg.sh"), "stop", pgdir], check=False)


if __name__ == "__main__":
    main()
