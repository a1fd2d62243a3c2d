"""`manage.py db_worker`: django-tasks-db's worker, plus a heartbeat, recovery and clean-up.

While it runs, a thread records the worker's heartbeat (WorkerHeartbeat, read by `manage.py healthcheck`)
every JOB_HEARTBEAT_SECONDS, queues again or fails the jobs of workers that died (no heartbeat for
JOB_STALE_SECONDS), and deletes result files older than JOB_RESULT_HOURS. It does the last two at start too.
"""

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as WorkerCommand

from reviews.jobs import services

logger = logging.getLogger(__name__)


def housekeeping(worker_id: str) -> None:
    services.worker_beat(worker_id=worker_id, hostname=socket.gethostname(), pid=os.getpid())
    services.job_recover_stale()
    services.jobs_cleanup()


def _beat_forever(worker_id: str, stop: threading.Event) -> None:
    while not stop.wait(settings.JOB_HEARTBEAT_SECONDS):
        try:
            close_old_connections()
            housekeeping(worker_id)
        except Exception:  # a locked SQLite file, a restarting database: try again at the next beat
            logger.warning("worker heartbeat failed", exc_info=True)
        finally:
            connection.close()


class Command(WorkerCommand):
    help = "Run the background-job worker (django-tasks-db) with its heartbeat and recovery."

    def handle(self, *args, **options):
        reloading_parent = options.get("reload") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if not reloading_parent:
            worker_id = options["worker_id"]
            housekeeping(worker_id)
            connection.close()
            if not options.get("batch"):
                stop = threading.Event()
                threading.Thread(target=_beat_forever, args=(worker_id, stop), daemon=True).start()
        return super().handle(*args, **options)
