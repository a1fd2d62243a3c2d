"""The deployment files agree with the settings: proxy header, body size, log map, gunicorn."""

import re

from django.conf import settings

from shuzhi.settings import BASE_DIR

README = (BASE_DIR / "README.md").read_text()
NGINX = (BASE_DIR / "deploy" / "nginx" / "shuzhi.conf").read_text()
WEB_UNIT = (BASE_DIR / "deploy" / "shuzhi-web.service").read_text()


def test_nginx_appends_the_client_address_for_the_throttle():
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in NGINX
    assert "| `TRUSTED_PROXY_COUNT` |" in README


def test_nginx_accepts_the_largest_upload_the_app_accepts():
    size = re.search(r"client_max_body_size (\d+)m;", NGINX)
    assert size is not None
    largest = max(settings.UPLOAD_MAX_BYTES, settings.IMPORT_MAX_BYTES)
    assert largest < int(size[1]) * 1024 * 1024 <= largest + 2 * 1024 * 1024


def test_the_access_log_map_cuts_every_secret_path():
    rules = re.findall(r'^\s*~(\S+)\s+"([^"]*)";', NGINX, re.M)
    uri_rules = [(re.compile(pattern), value) for pattern, value in rules if pattern.startswith("^")]

    def logged(uri: str) -> str:
        return next((value for pattern, value in uri_rules if pattern.search(uri)), uri)

    assert logged("/vote/Zk3v0x7Qp9R2sTuVw8yXaBcDeFgHiJ/receipt/ABCDEFGHJK/") == "/vote/…"
    assert logged("/screen/abcdef0123456789/state/") == "/screen/…"
    assert logged("/topics/p/abcdef0123/thanks/") == "/topics/p/…"
    assert logged("/vote/") == "/vote/" and logged("/topics/12/") == "/topics/12/"
    assert "$shuzhi_uri" in NGINX and "$shuzhi_referer" in NGINX and "access_log" in NGINX


def test_gunicorn_runs_with_the_redacting_logger():
    assert "--logger-class shuzhi.logfilters.GunicornLogger" in WEB_UNIT
    assert "shuzhi.logfilters.GunicornLogger" in README
