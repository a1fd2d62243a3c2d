"""Real app servers for the deployment tests: gunicorn on production settings against the test database.

    with AppServers(database_url, shared_dir) as servers:
        a, b = servers.start_web(), servers.start_web()     # two gunicorns, each on a free loopback port
        HttpClient(a).get("/vote/")

`processes(env)` beside the web servers is the one place other long-running processes are listed: the job
worker (`manage.py db_worker`) joins as one more line there once it exists. Every process gets the
same environment: DEBUG off, a real SECRET_KEY (the test process must use it too: codes and sessions are
keyed by it), the database cache, private files in a directory all of them share (as an NFS volume would
be in production), static files collected once with whitenoise's manifest.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import ssl
import subprocess
import time
import urllib.parse
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
SERVER_SECRET_KEY = "test-servers-" + "k" * 50  # not the development key, which DEBUG off refuses


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url_of_tests() -> str:
    """The URL of the database this test process uses (the test database, not the configured one)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = urllib.parse.quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + urllib.parse.quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def production_env(database_url: str, shared: Path, static_root: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_ALLOW_ASYNC"))
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "shuzhi.settings",
        "DEBUG": "false",
        "SECRET_KEY": SERVER_SECRET_KEY,
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(shared / "media"),
        "PRIVATE_MEDIA_ROOT": str(shared / "private"),
        # Plain HTTP on loopback (no nginx here): cookies without the Secure flag, the connection's
        # address is the client unless a test sends X-Forwarded-For through the one trusted proxy.
        "SECURE_COOKIES": "false",
        "TRUSTED_PROXY_COUNT": "1",
        "DB_CONN_MAX_AGE": "0",  # the test database is flushed between tests: hold no idle connections
        "LOG_LEVEL": "WARNING",
    }
    return env | extra


def collectstatic(static_root: Path) -> None:
    env = production_env(f"sqlite:///{static_root.parent}/unused.sqlite3", static_root.parent, static_root)
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def wait_for(port: int, process: subprocess.Popen, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start within {seconds} s")


def gunicorn(port: int, workers: int = 2, threads: int = 4) -> list[str]:
    """The command of deploy/shuzhi-web.service, on a loopback port."""
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
        "--logger-class",
        "shuzhi.logfilters.GunicornLogger",
        "--log-level",
        "warning",
        "--graceful-timeout",
        "2",
    ]


def processes(env: dict[str, str]) -> list[tuple[str, list[str]]]:
    """Long-running processes started beside the web servers (deploy/shuzhi-worker.service's command)."""
    return [
        ("worker", [PYTHON, "manage.py", "db_worker"]),
    ]


class AppServers:
    def __init__(self, database_url: str, shared: Path, static_root: Path, **extra_env: str):
        self.env = production_env(database_url, shared, static_root, **extra_env)
        self.running: list[subprocess.Popen] = []

    def __enter__(self) -> AppServers:
        for _name, argv in processes(self.env):
            self.running.append(subprocess.Popen(argv, cwd=ROOT, env=self.env))
        return self

    def start_web(self, workers: int = 2, threads: int = 4) -> int:
        """Start one gunicorn on a free port (its own address is the SITE_URL on slips) and wait for it."""
        port = free_port()
        env = {"SITE_URL": f"http://127.0.0.1:{port}"} | self.env
        process = subprocess.Popen(gunicorn(port, workers, threads), cwd=ROOT, env=env)
        self.running.append(process)
        wait_for(port, process)
        for _ in range(workers * 2):  # the first request of a worker imports the views: not in a test's time
            HttpClient(port).get("/accounts/login/")
        return port

    def __exit__(self, *exc) -> None:
        for process in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


class HttpClient:
    """One browser without a browser: a cookie jar, CSRF from the pages, forms and files posted."""

    def __init__(
        self, port: int, *, forwarded_for: str = "", cookies: dict[str, str] | None = None, tls: bool = False
    ):
        self.port = port
        self.forwarded_for = forwarded_for
        self.cookies: dict[str, str] = dict(cookies or {})
        self.tls = tls  # HTTPS with a self-signed certificate (nginx in front)
        self.origin = f"{'https' if tls else 'http'}://127.0.0.1:{port}"

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        if self.tls:
            unverified = ssl._create_unverified_context()  # the test's own self-signed certificate
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=60, context=unverified)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.headers, content

    def get(self, path: str, **headers):
        return self.request("GET", path, headers=headers)

    def csrf_token(self, path: str) -> str:
        status, _, content = self.get(path)
        assert status == 200, (path, status)
        return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)[1].decode()

    def post(self, path: str, data: dict, files: dict[str, tuple[str, bytes, str]] | None = None, **headers):
        headers.setdefault("Referer", f"{self.origin}{path}")
        if files:
            boundary = "shuzhi" + secrets.token_hex(8)
            parts = []
            for name, value in data.items():
                disposition = f'Content-Disposition: form-data; name="{name}"'
                parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
            for name, (filename, content, content_type) in files.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                    f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                    + content
                    + b"\r\n"
                )
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self.request("POST", path, body, headers)
