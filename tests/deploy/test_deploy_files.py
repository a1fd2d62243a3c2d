"""deploy/ agrees with the code: every setting in the example env file, the units, nginx's proxying."""

import os
import re
import subprocess
import sys

from shuzhi.settings import BASE_DIR

DEPLOY = BASE_DIR / "deploy"
SETTINGS = (BASE_DIR / "shuzhi" / "settings.py").read_text()
ENV_EXAMPLE = (DEPLOY / "shuzhi.env.example").read_text()
NGINX = (DEPLOY / "nginx" / "shuzhi.conf").read_text()
WEB = (DEPLOY / "shuzhi-web.service").read_text()
WORKER = (DEPLOY / "shuzhi-worker.service").read_text()


def _settings_variables() -> set[str]:
    return set(re.findall(r'(?:getenv|envbool|envint|envlist)\(\s*"([A-Z_]+)"', SETTINGS))


def test_the_example_env_file_names_every_variable_the_settings_read_and_no_other():
    named = set(re.findall(r"^#?([A-Z_]+)=", ENV_EXAMPLE, re.M))
    assert len(_settings_variables()) > 25
    assert named == _settings_variables()


def test_the_example_env_file_is_commented_in_chinese_and_english():
    comments = [line for line in ENV_EXAMPLE.splitlines() if line.startswith("# ")]
    assert any(re.search(r"[\u4e00-\u9fff]", line) for line in comments)
    assert "DEBUG=false" in ENV_EXAMPLE and "BEHIND_HTTPS_PROXY=true" in ENV_EXAMPLE


def test_both_units_read_the_env_file_and_run_the_right_command():
    for unit in (WEB, WORKER):
        assert "EnvironmentFile=/etc/shuzhi/shuzhi.env" in unit and "User=shuzhi" in unit
        assert "RequiresMountsFor=/srv/shuzhi-data" in unit and "ReadWritePaths=/srv/shuzhi-data" in unit
    assert "ExecStart=/srv/shuzhi/.venv/bin/gunicorn shuzhi.wsgi" in WEB
    assert "ExecStart=/srv/shuzhi/.venv/bin/python manage.py db_worker" in WORKER


def test_gunicorn_listens_where_nginx_sends_and_outlasts_nginxs_longest_timeout():
    bind = re.search(r"--bind (\S+)", WEB)[1]
    assert f"server {bind};" in NGINX
    longest = max(int(seconds) for seconds in re.findall(r"proxy_read_timeout (\d+)s;", NGINX))
    assert int(re.search(r"--timeout (\d+)", WEB)[1]) > longest == 300


def test_every_proxied_location_appends_the_client_address_and_the_scheme():
    locations = re.findall(r"location [^{]+\{(.*?)\n    \}", NGINX, re.S)
    proxied = [body for body in locations if "proxy_pass" in body]
    assert len(proxied) == 2
    for body in proxied:
        assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in body
        assert "proxy_set_header X-Forwarded-Proto $scheme;" in body


def test_long_timeouts_cover_the_uploads_and_in_request_files_and_nothing_else():
    pattern = re.search(r"location ~ (\S+) \{", NGINX)[1]
    long_paths = re.compile(pattern)
    for path in (
        "/admin/reviews/organisation/import/",
        "/admin/reviews/organisation/import/confirm/",
        "/manage/paper/12/scan/",
        "/manage/scoring/3/codes/issue/",
        "/manage/scoring/3/results/workbook/",
        "/rectification/cycle/2/ledger.xlsx",
        "/handover/session/4/notices.pdf",
    ):
        assert long_paths.search(path), path
    for path in ("/", "/vote/ABCDEFGHJK/submit/", "/manage/meeting/3/live/", "/screen/tok/state/"):
        assert not long_paths.search(path), path


def test_static_files_come_from_the_collected_root_and_uploads_are_never_served_by_nginx():
    assert "alias /srv/shuzhi/staticfiles/;" in NGINX
    assert "STATIC_ROOT=/srv/shuzhi/staticfiles" in ENV_EXAMPLE
    directives = "\n".join(line.split("#", 1)[0] for line in NGINX.splitlines())
    assert "/srv/shuzhi-data" not in directives and "media" not in directives and "private" not in directives


def test_the_scripts_back_up_and_restore_with_postgresqls_custom_format():
    backup = (DEPLOY / "backup.sh").read_text()
    restore = (DEPLOY / "restore.sh").read_text()
    assert "pg_dump --format=custom" in backup and "PRIVATE_MEDIA_ROOT" in backup
    assert "pg_restore" in restore and "results_verify" in restore
    assert (DEPLOY / "backup.sh").stat().st_mode & 0o111 and (DEPLOY / "restore.sh").stat().st_mode & 0o111


def _example_environment(tmp_path) -> dict[str, str]:
    """The example env file as systemd would read it, with a real key and a database of the test's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_ALLOW_ASYNC", "PYTEST"))}
    for line in ENV_EXAMPLE.splitlines():
        if re.match(r"^[A-Z_]+=", line):
            name, _, value = line.partition("=")
            env[name] = value
    env["SECRET_KEY"] = "example-" + "s" * 50
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/example.sqlite3"
    return env


def _shell(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "manage.py", "shell", "-v", "0", "-c", code]
    return subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True)


def test_the_example_env_file_passes_the_deploy_check_with_the_database_cache(tmp_path):
    env = _example_environment(tmp_path)
    manage = [sys.executable, "manage.py"]
    check = subprocess.run(
        [*manage, "check", "--deploy", "--fail-level", "WARNING"], cwd=BASE_DIR, env=env, capture_output=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    probe = (
        "from django.core.cache import cache; from django.conf import settings; "
        "cache.set('probe', 'shared', 60); "
        "print(settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION'])"
    )
    shell = _shell(probe, env)
    assert shell.stdout.split() == ["django.core.cache.backends.db.DatabaseCache", "shuzhi_cache"]
    # Another process reads what this one wrote: the value is in the database, not in a process.
    read = "from django.core.cache import cache; print(cache.get('probe'))"
    again = _shell(read, env)
    assert again.stdout.strip() == "shared"
