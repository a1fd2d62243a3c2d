#!/usr/bin/env bash
# The whole suite, on SQLite and then on a throwaway PostgreSQL server started here.
# Extra arguments go to pytest (e.g. scripts/test.sh -k import).
set -uo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python

run_pytest() {
  local label=$1; shift
  echo "==> Tests on $label"
  .venv/bin/pytest "$@"
  local rc=$?
  if [ $rc -eq 5 ]; then echo "(no tests collected on $label)"; rc=0; fi
  return $rc
}

echo "==> ruff check"
.venv/bin/ruff check --quiet . || exit 1
$py manage.py makemigrations --check --dry-run >/dev/null || { echo "Migrations are out of date: run manage.py makemigrations" >&2; exit 1; }

export DJANGO_ALLOW_ASYNC_UNSAFE=true
DATABASE_URL="sqlite:///$(mktemp -d)/shuzhi-test.sqlite3" run_pytest SQLite "$@"
sqlite_rc=$?

pgdir=$(mktemp -d /tmp/shuzhi-pg.XXXXXX)
pgport=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap 'scripts/pg.sh stop "$pgdir"' EXIT INT TERM
echo "==> Starting PostgreSQL on 127.0.0.1:$pgport ($pgdir)"
scripts/pg.sh start "$pgdir" "$pgport" || exit 1
DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/shuzhi" run_pytest PostgreSQL "$@"
pg_rc=$?

echo "==> SQLite: exit $sqlite_rc, PostgreSQL: exit $pg_rc"
[ $sqlite_rc -eq 0 ] && [ $pg_rc -eq 0 ]
