"""deploy/nginx/shuzhi.conf in front of gunicorn: HTTPS, the client address, static files, a token-free log.

The site file is used as it is, with only what differs on a test machine replaced (ports, certificate,
log and static paths — each replacement must match exactly once, so the file cannot drift from the test),
inside a minimal nginx.conf with its pid and temp files in tmp. Debian's nginx (scripts/system-deps.sh).
"""

import subprocess
from types import SimpleNamespace

import pytest

from scoring.codes import throttle
from scoring.codes import tokens as codes
from tests.scoring.conftest import ScoredWorld
from tests.servers import ROOT, AppServers, HttpClient, database_url_of_tests, free_port, wait_for

SITE = ROOT / "deploy" / "nginx" / "shuzhi.conf"


def _render(tmp, *, http_port, https_port, app_port, static_root) -> str:
    site = SITE.read_text()
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "server 127.0.0.1:8001;": f"server 127.0.0.1:{app_port};",
        "/etc/nginx/tls/shuzhi.crt": str(tmp / "tls.crt"),
        "/etc/nginx/tls/shuzhi.key": str(tmp / "tls.key"),
        "/var/log/nginx/shuzhi.access.log": str(tmp / "access.log"),
        "/var/log/nginx/shuzhi.error.log": str(tmp / "site-error.log"),
        "alias /srv/shuzhi/staticfiles/;": f"alias {static_root}/;",
    }
    for old, new in replacements.items():
        assert site.count(old) >= 1, old
        site = site.replace(old, new)
    return site


def _nginx_conf(tmp, site: str) -> str:
    (tmp / "shuzhi.conf").write_text(site)
    temp = {name: tmp / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    return f"""
daemon off;
user root;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {tmp}/shuzhi.conf;
}}
"""


@pytest.fixture(scope="module")
def nginx_front(django_db_setup, static_root, tmp_path_factory):
    """nginx with the deploy site in front of one gunicorn on production settings: .https, .http, .tmp."""
    tmp_path = tmp_path_factory.mktemp("nginx")
    https_port, http_port = free_port(), free_port()
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1"),
            *("-keyout", str(tmp_path / "tls.key"), "-out", str(tmp_path / "tls.crt")),
        ],
        check=True,
        capture_output=True,
    )
    env = {"BEHIND_HTTPS_PROXY": "true", "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{https_port}"}
    with AppServers(database_url_of_tests(), tmp_path / "shared", static_root, **env) as servers:
        app_port = servers.start_web(workers=1)
        site = _render(
            tmp_path, http_port=http_port, https_port=https_port, app_port=app_port, static_root=static_root
        )
        conf = tmp_path / "nginx.conf"
        conf.write_text(_nginx_conf(tmp_path, site))
        checked = subprocess.run(["nginx", "-t", "-c", str(conf)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        nginx = subprocess.Popen(["nginx", "-c", str(conf)], stderr=subprocess.PIPE, text=True)
        try:
            wait_for(https_port, nginx, seconds=10)
            HttpClient(https_port, tls=True).get("/accounts/login/")
            yield SimpleNamespace(https=https_port, http=http_port, tmp=tmp_path)
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)


@pytest.fixture
def behind_nginx(transactional_db, server_key, nginx_front):
    return nginx_front


def test_a_guesser_forging_x_forwarded_for_per_request_through_nginx_is_refused_at_the_41st(behind_nginx):
    port = behind_nginx.https
    ScoredWorld(codes_per_group=1)

    def guess(n: int) -> int:
        guesser = HttpClient(port, tls=True, forwarded_for=f"198.51.100.{n % 250}")  # a new claim each time
        csrf = guesser.csrf_token("/vote/")
        wrong = "".join(codes.SHORT_ALPHABET[(n * 7 + i) % 31] for i in range(codes.SHORT_LENGTH))
        status, _, _ = guesser.post("/vote/", {"code": wrong, "csrfmiddlewaretoken": csrf})
        return status

    assert [guess(n) for n in range(throttle.GUESS_ALLOWANCE)] == [200] * 40
    assert guess(40) == 429


def test_static_files_are_served_by_nginx_from_the_collected_root_for_ever(behind_nginx, static_root):
    port = behind_nginx.https
    status, _, page = HttpClient(port, tls=True).get("/accounts/login/")
    stylesheet = next(
        part.split('"')[0] for part in page.decode().split('href="')[1:] if part.startswith("/static/")
    )
    status, headers, body = HttpClient(port, tls=True).get(stylesheet)
    assert status == 200 and body == (static_root / stylesheet.removeprefix("/static/")).read_bytes()
    # nginx's header (whitenoise would say "max-age=315360000, public, immutable"), nginx's ETag.
    assert headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]
    assert headers["Server"].startswith("nginx")


def test_plain_http_is_sent_to_https_and_the_access_log_holds_no_code(behind_nginx):
    world = ScoredWorld(codes_per_group=1)
    token = world.leader_codes[0].token
    status, headers, _ = HttpClient(behind_nginx.http).get(f"/vote/{token}/")
    assert status == 301 and headers["Location"].startswith("https://")
    status, _, _ = HttpClient(behind_nginx.https, tls=True).get(f"/vote/{token}/")
    assert status == 200
    log = (behind_nginx.tmp / "access.log").read_text()
    # nginx escapes the "…" of the map's "/vote/…" in its log: \xE2\x80\xA6.
    assert '"GET /vote/\\xE2\\x80\\xA6 HTTP/1.1" 200' in log and token not in log
