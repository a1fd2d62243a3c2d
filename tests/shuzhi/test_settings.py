import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from shuzhi.settings import BASE_DIR, database_from_url


def test_it_reads_a_postgres_url():
    db = database_from_url("postgres://shuzhi:p%40ss@db.local:5433/shuzhi_prod")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "shuzhi_prod",
        "shuzhi",
        "p@ss",
        "db.local",
        "5433",
    )
    assert db["CONN_MAX_AGE"] > 0


def test_it_reads_sqlite_urls_relative_and_absolute():
    assert database_from_url("sqlite:///db.sqlite3")["NAME"] == str(BASE_DIR / "db.sqlite3")
    assert database_from_url("sqlite:////var/lib/shuzhi/db.sqlite3")["NAME"] == "/var/lib/shuzhi/db.sqlite3"
    assert database_from_url("sqlite:///x.db")["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_it_speaks_chinese_in_shanghai_by_default():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"


def _environ_without_test_flags() -> dict:
    # The test runner allows async-unsafe calls for live-server tests; a deployment never does.
    return {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def _django_check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(BASE_DIR),
        env={**_environ_without_test_flags(), "DATABASE_URL": "sqlite:///:memory:", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_the_development_key_when_debug_is_off():
    result = _django_check({"DEBUG": "false", "SECRET_KEY": "dev-insecure-shuzhi-key-change-me"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_documented_production_settings_pass_the_deploy_check():
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "x" * 20 + "-production-secret-key-with-enough-entropy-1234567890",
        "ALLOWED_HOSTS": "shuzhi.example.gov.cn",
        "CSRF_TRUSTED_ORIGINS": "https://shuzhi.example.gov.cn",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "BEHIND_HTTPS_PROXY": "true",
    }
    result = _django_check(env)
    assert result.returncode == 0, result.stdout + result.stderr
