"""`manage.py healthcheck`: one line per check, exit 0 when all pass, 1 otherwise (for monitoring).

database (SELECT 1), cache (set/get/delete), private storage (write/read/delete a file), worker (the
newest heartbeat of a `db_worker` is at most HEALTH_WORKER_SECONDS old), queue (the oldest queued job
waits at most HEALTH_QUEUE_SECONDS).
"""

import secrets
import sys

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from reviews.jobs.models import Job, JobStatus, WorkerHeartbeat
from reviews.uploads import private_storage


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone()[0] != 1:
            raise RuntimeError("SELECT 1 did not answer 1")
    return "SELECT 1"


def check_cache() -> str:
    key, value = f"healthcheck:{secrets.token_hex(8)}", secrets.token_hex(8)
    cache.set(key, value, 30)
    try:
        if cache.get(key) != value:
            raise RuntimeError("a value set was not read back")
    finally:
        cache.delete(key)
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def check_storage() -> str:
    storage = private_storage()
    content = secrets.token_bytes(16)
    name = storage.save(f"healthcheck/{secrets.token_hex(8)}.bin", ContentFile(content))
    try:
        with storage.open(name, "rb") as handle:
            if handle.read() != content:
                raise RuntimeError("the file written was not read back")
    finally:
        storage.delete(name)
    return "write/read/delete"


def check_worker() -> str:
    newest = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    if newest is None:
        raise RuntimeError("no worker has ever run (start manage.py db_worker)")
    age = (timezone.now() - newest).total_seconds()
    if age > settings.HEALTH_WORKER_SECONDS:
        raise RuntimeError(f"newest heartbeat {age:.0f} s ago (limit {settings.HEALTH_WORKER_SECONDS} s)")
    return f"heartbeat {age:.0f} s ago"


def check_queue() -> str:
    queued = Job.objects.filter(status=JobStatus.QUEUED)
    oldest = queued.order_by("created_at").values_list("created_at", flat=True).first()
    if oldest is None:
        return "no job waiting"
    age = (timezone.now() - oldest).total_seconds()
    if age > settings.HEALTH_QUEUE_SECONDS:
        raise RuntimeError(f"oldest queued job waits {age:.0f} s (limit {settings.HEALTH_QUEUE_SECONDS} s)")
    return f"{queued.count()} waiting, oldest {age:.0f} s"


CHECKS = [
    ("database", check_database),
    ("cache", check_cache),
    ("storage", check_storage),
    ("worker", check_worker),
    ("queue", check_queue),
]


class Command(BaseCommand):
    help = "Check the database, cache, private storage, worker heartbeat and job queue; exit 1 on a failure."

    def handle(self, *args, **options):
        failed = False
        for name, check in CHECKS:
            try:
                detail = check()
            except Exception as error:  # every failure is one line, the other checks still run
                failed = True
                self.stdout.write(f"FAIL {name}: {error}")
            else:
                self.stdout.write(f"ok   {name}: {detail}")
        if failed:
            sys.exit(1)
