"""A meeting's burst of ballots over HTTP: 300 delegates submit 40 reporters × 6 items at concurrency 20.

  .venv/bin/python bench/ballots.py [--backend postgres|sqlite|two-servers|both|all] [--codes 300]
                                    [--concurrency 20] [--workers 3] [--threads 4]

PostgreSQL: a throwaway cluster (scripts/pg.sh) and gunicorn (gthread). Then, on the same server, a
bare view inserting the same rows with one bulk_create (the ORM's ceiling) for the ratio.
SQLite: the embedded default as `make run` serves it (runserver, WAL, IMMEDIATE transactions).
Two servers: the same burst split between two gunicorns (each --workers × --threads) on one PostgreSQL,
production settings (the database cache), delegates alternating between the servers.
Targets: every ballot stored exactly once; PostgreSQL throughput ≥ 0.5× the bare view; p95 < 250 ms.
Only loopback addresses are used; every loop is bounded.
"""

import argparse
import http.client
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


def prepare(database_url: str, codes: int):
    """Migrate and seed in this process; return what the clients need."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from bench.seed import big_session, random_marks

    call_command("migrate", verbosity=0)
    tag = f"b{random.randrange(10**6)}"
    session, issued, criteria, reports, _ = big_session(reporters=40, codes=codes, tag=tag)
    rng = random.Random(7)
    bodies = [
        {f"m-{r}-{c}": g for (r, c), g in random_marks(reports, criteria, rng).items()}
        | {"submission": f"s{i}"}
        for i in range(len(issued))
    ]
    connections.close_all()
    return session, issued, bodies


class Client:
    """One delegate's browser: a keep-alive connection and the CSRF cookie from the ballot page."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.headers, content


def csrf_form(client: Client, token: str) -> str:
    status, _, content = client.request("GET", f"/vote/{token}/")
    if status != 200:
        raise RuntimeError(f"ballot page answered {status}")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)
    return match.group(1).decode()


def burst(jobs: list, concurrency: int) -> tuple[list[float], list[int], float]:
    """Run (method, path, body, headers, client) jobs on `concurrency` threads; latencies in seconds."""
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    queue = list(jobs)

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                method, path, body, client = queue.pop()
            client.conn.close()  # the page was fetched long ago: a fresh connection, as a phone would
            start = time.perf_counter()
            referer = f"http://127.0.0.1:{client.conn.port}{path}"
            status, _, _ = client.request(method, path, body, {"Referer": referer})
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                statuses.append(status)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return latencies, statuses, time.perf_counter() - start


def report(label: str, latencies: list[float], wall: float) -> float:
    qs = statistics.quantiles(latencies, n=100)
    throughput = len(latencies) / wall
    print(
        f"{label:<34} {len(latencies):4d} req  {throughput:7.1f} req/s   "
        f"p50 {qs[49] * 1000:6.1f} ms  p95 {qs[94] * 1000:6.1f} ms  p99 {qs[98] * 1000:6.1f} ms"
    )
    return throughput


def check_stored(session_id: int, expected: int, marks_per_ballot: int) -> None:
    """Every submit held once; then the close's release (timed) counts them all, with every mark."""
    from django.db import connections, transaction

    from reviews.cycles.models import Session
    from scoring.ballots.models import Ballot, PendingBallot, Score
    from scoring.ballots.services import ballots_release
    from scoring.codes.models import Credential

    connections.close_all()
    held = PendingBallot.objects.filter(session_id=session_id).count()
    used = Credential.objects.filter(session_id=session_id, used=True).count()
    session = Session.objects.select_related("scheme").get(pk=session_id)
    start = time.perf_counter()
    with transaction.atomic():
        ballots_release(session=session, scheme=session.scheme)
    released = time.perf_counter() - start
    ballots = Ballot.objects.filter(session_id=session_id).count()
    scores = Score.objects.filter(session_id=session_id).count()
    ok = held == ballots == used == expected and scores == expected * marks_per_ballot
    print(
        f"{'stored':<34} {held} held → {ballots} ballots, {scores} marks, {used} codes used: "
        f"{'ok' if ok else 'MISMATCH'}"
    )
    print(f"{'release at the close (shuffled)':<34} {released * 1000:.0f} ms")


def run_app_burst(ports: list[int], session, issued, bodies, concurrency: int) -> float:
    """Each delegate talks to one server (they alternate when there are several), as behind a balancer."""
    clients = [Client(ports[i % len(ports)]) for i in range(len(issued))]
    jobs = []
    for client, code, body in zip(clients, issued, bodies, strict=True):
        token = csrf_form(client, code.token)
        jobs.append(("POST", f"/vote/{code.token}/submit/", body | {"csrfmiddlewaretoken": token}, client))
    latencies, statuses, wall = burst(jobs, concurrency)
    bad = [s for s in statuses if s != 200]  # the receipt page itself
    if bad:
        print(f"unexpected statuses: {sorted(set(bad))} ×{len(bad)}")
    label = "ballot_submit (delegate page)" if len(ports) == 1 else f"ballot_submit over {len(ports)} servers"
    throughput = report(label, latencies, wall)
    check_stored(session.pk, len(issued), len(bodies[0]) - 1)
    return throughput


def production_env(url: str) -> dict[str, str]:
    """The server's environment: production settings; the same key as this process (codes are keyed)."""
    static_root = tempfile.mkdtemp(prefix="shuzhi-bench-static.")
    env = os.environ | {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": static_root,
    }
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    return env


def gunicorn(port: int, workers: int, threads: int) -> list[str]:
    return [
        GUNICORN,
        "shuzhi.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--log-level",
        "warning",
    ]


def two_servers(codes: int, concurrency: int, workers: int, threads: int) -> None:
    print(
        f"== Two servers on one PostgreSQL, gunicorn {workers} workers × {threads} threads each, "
        f"concurrency {concurrency}"
    )
    pgdir = tempfile.mkdtemp(prefix="shuzhi-bench-pg.")
    pgport = free_port()
    subprocess.run([str(ROOT / "scripts" / "pg.sh"), "start", pgdir, str(pgport)], check=True)
    servers = []
    try:
        url = f"postgres://postgres@127.0.0.1:{pgport}/postgres"
        session, issued, bodies = prepare(url, codes)
        env = production_env(url)
        ports = [free_port(), free_port()]
        servers = [subprocess.Popen(gunicorn(p, workers, threads), cwd=ROOT, env=env) for p in ports]
        for p in ports:
            wait_for(p)
        run_app_burst(ports, session, issued, bodies, concurrency)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        subprocess.run([str(ROOT / "scripts" / "pg.sh"), "stop", pgdir], check=False)


def postgres(codes: int, concurrency: int, workers: int, threads: int) -> None:
    print(f"== PostgreSQL, gunicorn {workers} workers × {threads} threads, concurrency {concurrency}")
    pgdir = tempfile.mkdtemp(prefix="shuzhi-bench-pg.")
    pgport = free_port()
    subprocess.run([str(ROOT / "scripts" / "pg.sh"), "start", pgdir, str(pgport)], check=True)
    server = None
    try:
        url = f"postgres://postgres@127.0.0.1:{pgport}/postgres"
        session, issued, bodies = prepare(url, codes)
        port = free_port()
        env = production_env(url)
        server = subprocess.Popen(gunicorn(port, workers, threads), cwd=ROOT, env=env)
        wait_for(port)
        app = run_app_burst([port], session, issued, bodies, concurrency)
        group = issued[0].group.pk
        bare_jobs = [("POST", f"/bench/bare/{session.pk}/{group}/", body, Client(port)) for body in bodies]
        latencies, _, wall = burst(bare_jobs, concurrency)
        bare = report("bare bulk_create view", latencies, wall)
        print(f"{'ratio (target ≥ 0.5)':<34} {app / bare:.2f}")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        subprocess.run([str(ROOT / "scripts" / "pg.sh"), "stop", pgdir], check=False)


def sqlite(codes: int, concurrency: int) -> None:
    print(f"== SQLite (make run: runserver, WAL, IMMEDIATE), concurrency {concurrency}")
    tmp = tempfile.mkdtemp(prefix="shuzhi-bench-sqlite.")
    url = f"sqlite:///{tmp}/db.sqlite3"
    server = None
    try:
        session, issued, bodies = prepare(url, codes)
        port = free_port()
        env = os.environ | {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        server = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for(port)
        run_app_burst([port], session, issued, bodies, concurrency)
    finally:
        if server:
            server.terminate()
            _, errors = server.communicate(timeout=30)
            locked = errors.count("database is locked")
            label = '"database is locked" in server log'
            print(f"{label:<34} {locked}")
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--backend", choices=["postgres", "sqlite", "two-servers", "both", "all"], default="both"
    )
    parser.add_argument("--codes", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    # Each backend needs its own Django setup: run the second one in a child process.
    if args.backend in ("both", "all"):
        backends = ("postgres", "sqlite") + (("two-servers",) if args.backend == "all" else ())
        for backend in backends:
            subprocess.run(
                [
                    PYTHON,
                    __file__,
                    "--backend",
                    backend,
                    "--codes",
                    str(args.codes),
                    "--concurrency",
                    str(args.concurrency),
                    "--workers",
                    str(args.workers),
                    "--threads",
                    str(args.threads),
                ],
                check=True,
            )
        return
    if args.backend == "postgres":
        postgres(args.codes, args.concurrency, args.workers, args.threads)
    elif args.backend == "two-servers":
        two_servers(args.codes, args.concurrency, args.workers, args.threads)
    else:
        sqlite(args.codes, args.concurrency)


if __name__ == "__main__":
    main()
