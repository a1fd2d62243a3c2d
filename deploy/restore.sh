#!/usr/bin/env bash
# Restore a deploy/backup.sh backup into an EMPTY database and empty file directories.
# 恢复到空数据库与空文件目录（拒绝覆盖已有数据）。
#
#   systemctl stop shuzhi-web shuzhi-worker
#   sudo -u postgres createdb -O shuzhi shuzhi          # a new, empty database
#   set -a; . /etc/shuzhi/shuzhi.env; set +a
#   deploy/restore.sh /var/backups/shuzhi/shuzhi-20260116T120000Z
#   .venv/bin/python manage.py migrate && systemctl start shuzhi-web shuzhi-worker
#
# Refuses — changing nothing — when a checksum does not match, when the database already has tables, or
# when PRIVATE_MEDIA_ROOT or MEDIA_ROOT holds files. Then checks every published result against its ballots.
set -euo pipefail

die() { echo "restore.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "用法 usage: restore.sh BACKUP_DIR"
backup=$1
: "${DATABASE_URL:?恢复需要 DATABASE_URL / set DATABASE_URL}"
: "${PRIVATE_MEDIA_ROOT:?恢复需要 PRIVATE_MEDIA_ROOT / set PRIVATE_MEDIA_ROOT}"
here=$(cd "$(dirname "$0")/.." && pwd)
python=${SHUZHI_PYTHON:-$here/.venv/bin/python}

[ -f "$backup/SHA256SUMS" ] || die "不是备份目录 / not a backup directory: $backup"
(cd "$backup" && sha256sum --quiet --check SHA256SUMS) \
  || die "备份文件校验失败，未做任何更改 / the backup's checksums do not match; nothing was changed"

tables=$(psql "$DATABASE_URL" -XtAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") \
  || die "无法连接数据库 / cannot reach the database"
[ "$tables" = "0" ] \
  || die "目标数据库不是空的（${tables} 张表），未做任何更改 / the database is not empty (${tables} tables); nothing was changed"
for dir in "$PRIVATE_MEDIA_ROOT" "${MEDIA_ROOT:-}"; do
  if [ -n "$dir" ] && [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    die "文件目录不是空的，未做任何更改 / $dir is not empty; nothing was changed"
  fi
done

pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname="$DATABASE_URL" "$backup/database.dump"
mkdir -p "$PRIVATE_MEDIA_ROOT"
tar -C "$PRIVATE_MEDIA_ROOT" -xzf "$backup/private.tar.gz"
if [ -n "${MEDIA_ROOT:-}" ]; then
  mkdir -p "$MEDIA_ROOT"
  tar -C "$MEDIA_ROOT" -xzf "$backup/media.tar.gz"
fi

# Every published result recomputed from the restored ballots must give its frozen digest.
"$python" "$here/manage.py" results_verify
