"""shuzhi/logfilters.py: secret-bearing paths cut to their prefix, in Django's and gunicorn's logs."""

import datetime
import logging
import sys
from types import SimpleNamespace

import pytest
from django.conf import settings
from gunicorn.config import Config

from shuzhi.logfilters import GunicornLogger, RedactSecretPaths, redact

TOKEN = "Zk3v0x7Qp9R2s-T_uVw8yXaBcDeFgHiJ"


@pytest.mark.parametrize(
    ("line", "clean"),
    [
        (f"Not Found: /vote/{TOKEN}/", "Not Found: /vote/…"),
        ("Too Many Requests: /vote/ABCDEFGHJK/review/", "Too Many Requests: /vote/…"),
        (f'"POST /vote/{TOKEN}/receipt/ABCDEFGHJK/ HTTP/1.1" 200', '"POST /vote/… HTTP/1.1" 200'),
        (f"GET /screen/{TOKEN}/state/?t=1 200", "GET /screen/… 200"),
        (f"https://x.example/topics/p/{TOKEN}/thanks/", "https://x.example/topics/p/…"),
        ("Not Found: /vote/?code=ABCDEFGHJK", "Not Found: /vote/…"),
        ("Forbidden: /manage/scoring/12/codes/", "Forbidden: /manage/scoring/12/codes/"),
        ("POST /vote/ 200", "POST /vote/ 200"),
        ("GET /topics/12/ 200", "GET /topics/12/ 200"),
    ],
)
def test_it_cuts_secret_paths_to_their_prefix(line, clean):
    assert redact(line) == clean


def _record(msg, *args, **extra):
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_the_filter_rewrites_message_and_drops_the_request_of_a_secret_path():
    request = SimpleNamespace(path=f"/vote/{TOKEN}/")
    record = _record("%s: %s", "Not Found", request.path, request=request, status_code=404)
    assert RedactSecretPaths().filter(record) is True
    assert record.getMessage() == "Not Found: /vote/…" and not hasattr(record, "request")
    kept = _record("%s: %s", "Not Found", "/manage/", request=SimpleNamespace(path="/manage/"))
    RedactSecretPaths().filter(kept)
    assert kept.getMessage() == "Not Found: /manage/" and kept.request.path == "/manage/"


def test_a_traceback_is_redacted_too():
    try:
        raise ValueError(f"bad /vote/{TOKEN}/")
    except ValueError:
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    RedactSecretPaths().filter(record)
    text = logging.Formatter().format(record)
    assert "ValueError: bad /vote/…" in text and TOKEN not in text


def test_settings_put_the_filter_where_paths_are_logged():
    logging_settings = settings.LOGGING
    for name in ("django.request", "django.security.csrf", "django.server"):
        assert "secret_paths" in logging_settings["loggers"][name]["filters"]
        assert any(isinstance(f, RedactSecretPaths) for f in logging.getLogger(name).filters)
    for handler in ("console", "django.server"):
        assert "secret_paths" in logging_settings["handlers"][handler]["filters"]


def test_gunicorn_access_and_error_logs_are_redacted(tmp_path):
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    cfg = Config()
    cfg.set("accesslog", str(access))
    cfg.set("errorlog", str(errors))
    log = GunicornLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/vote/{TOKEN}/receipt/ABCDEFGHJK/",
        "PATH_INFO": f"/vote/{TOKEN}/receipt/ABCDEFGHJK/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://x.example/vote/{TOKEN}/review/",
        "HTTP_USER_AGENT": "phone",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    log.access(response, SimpleNamespace(headers=[]), environ, datetime.timedelta(milliseconds=5))
    log.error("Error handling request %s", f"/vote/{TOKEN}/submit/")
    for handler in log.access_log.handlers + log.error_log.handlers:
        handler.flush()
    written = access.read_text() + errors.read_text()
    assert '"GET /vote/… HTTP/1.1" 200 512 "https://x.example/vote/…"' in written
    assert "Error handling request /vote/…" in written
    assert TOKEN not in written and "ABCDEFGHJK" not in written
