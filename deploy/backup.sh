#!/usr/bin/env bash
# One backup of Shuzhi: the database (pg_dump, custom format) and the uploaded files, checksummed.
# 备份：数据库（pg_dump 自定义格式）与上传文件，附校验和。
#
#   set -a; . /etc/shuzhi/shuzhi.env; set +a
#   deploy/backup.sh /var/backups/shuzhi          # prints the new backup's directory
#
# Reads DATABASE_URL, PRIVATE_MEDIA_ROOT and MEDIA_ROOT. The database is dumped first and the files
# after it, so every file a row names is in the backup (a file uploaded meanwhile is merely extra).
# Run it daily from cron/systemd timer and right after a meeting's results are published; keep copies
# off the server. Restore with deploy/restore.sh.
set -euo pipefail

die() { echo "backup.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "用法 usage: backup.sh DEST_DIR"
: "${DATABASE_URL:?备份需要 DATABASE_URL / set DATABASE_URL}"
: "${PRIVATE_MEDIA_ROOT:?备份需要 PRIVATE_MEDIA_ROOT / set PRIVATE_MEDIA_ROOT}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) die "只能备份 PostgreSQL 数据库 / only a PostgreSQL DATABASE_URL can be backed up" ;;
esac

dest=$1
name="shuzhi-$(date -u +%Y%m%dT%H%M%SZ)"
work="$dest/.$name.partial"
umask 077
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

pg_dump --format=custom --no-owner --no-privileges --file="$work/database.dump" "$DATABASE_URL"

files() {  # files <label> <dir>: an archive of the directory's contents (an absent directory: empty)
  if [ -d "$2" ]; then
    tar -C "$2" -czf "$work/$1.tar.gz" .
  else
    tar -czf "$work/$1.tar.gz" -T /dev/null
  fi
}
files private "$PRIVATE_MEDIA_ROOT"
files media "${MEDIA_ROOT:-/nonexistent}"

(cd "$work" && sha256sum database.dump private.tar.gz media.tar.gz > SHA256SUMS)
mv "$work" "$dest/$name"
trap - EXIT
echo "$dest/$name"
