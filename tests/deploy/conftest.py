"""The deployment tests: real gunicorn processes on production settings against the test database.

Which database: the two-server test runs on both (two gunicorns share one SQLite file in WAL mode as
they share one PostgreSQL). The restore drill (pg_dump/pg_restore) and the production meeting in
Chromium are about the production deployment, which is PostgreSQL (README, 部署): they are collected only
when the tests run on PostgreSQL — `make test`'s second pass.
"""

import os

import pytest

from tests.servers import AppServers, collectstatic, database_url_of_tests

POSTGRESQL_ONLY = ["test_restore_drill.py", "test_production_meeting.py"]


def _on_postgresql() -> bool:
    return os.getenv("DATABASE_URL", "").split(":", 1)[0] in ("postgres", "postgresql", "pgsql")


collect_ignore = [] if _on_postgresql() else POSTGRESQL_ONLY


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """collectstatic once, with whitenoise's compressed manifest, as production serves it."""
    root = tmp_path_factory.mktemp("static") / "collected"
    collectstatic(root)
    return root


@pytest.fixture
def server_key(settings):
    """The test process signs as the servers do: codes, receipts and session hashes are keyed."""
    from tests.servers import SERVER_SECRET_KEY

    settings.SECRET_KEY = SERVER_SECRET_KEY
    return SERVER_SECRET_KEY


@pytest.fixture
def app_servers(transactional_db, server_key, static_root, tmp_path):
    """Start servers with `app_servers.start_web()`; all stop before the database is flushed."""
    shared = tmp_path / "shared"
    with AppServers(database_url_of_tests(), shared, static_root) as servers:
        servers.shared = shared
        yield servers
