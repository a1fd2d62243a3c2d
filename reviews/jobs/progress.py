"""A running job's progress, in a small file under JOBS_PROGRESS_DIR.

The runner's own transaction may stay open for minutes (an import writes 150,000 rows all or nothing);
on SQLite nobody else can write meanwhile, and on PostgreSQL its writes are invisible until it commits.
A file is seen at once by every process on every server that shares the folder, on both databases. The
file also carries the job's heartbeat: a thread of the worker rewrites it every JOB_HEARTBEAT_SECONDS, so a
job whose worker died is recognised by its file's age (services.job_recover_stale).
"""

import json
import os
import threading
import time
from pathlib import Path

from django.conf import settings


def progress_path(job_id) -> Path:
    return Path(settings.JOBS_PROGRESS_DIR) / f"{job_id}.json"


def progress_write(job_id, *, done: int, total: int, phase: str = "") -> None:
    """Replace the file at once (never half-written): readers see the old state or the new one."""
    path = progress_path(job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    temporary.write_text(json.dumps({"done": done, "total": total, "phase": phase, "at": time.time()}))
    os.replace(temporary, path)


def progress_read(job_id) -> dict | None:
    try:
        return json.loads(progress_path(job_id).read_text())
    except (FileNotFoundError, ValueError):
        return None


def progress_remove(job_id) -> None:
    progress_path(job_id).unlink(missing_ok=True)


class Reporter:
    """The `progress(done, total, phase="")` a runner calls; writes at most a few times a second.

    While it is started, a thread rewrites the file every JOB_HEARTBEAT_SECONDS even when the runner is
    silent (a long query), so a living job never looks abandoned.
    """

    MIN_INTERVAL = 0.25

    def __init__(self, job_id) -> None:
        self.job_id = job_id
        self.done = 0
        self.total = 0
        self.phase = ""
        self._written = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, done: int, total: int, phase: str = "") -> None:
        with self._lock:
            self.done, self.total, self.phase = int(done), int(total), str(phase or "")
            now = time.monotonic()
            if now - self._written < self.MIN_INTERVAL and done < total:
                return
            self._written = now
            self._write()

    def _write(self) -> None:
        progress_write(self.job_id, done=self.done, total=self.total, phase=self.phase)

    def _beat(self) -> None:
        while not self._stop.wait(settings.JOB_HEARTBEAT_SECONDS):
            with self._lock:
                self._write()

    def start(self) -> None:
        with self._lock:
            self._write()
        self._thread = threading.Thread(target=self._beat, name=f"job-{self.job_id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
