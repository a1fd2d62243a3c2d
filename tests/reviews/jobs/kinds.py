"""Job kinds for the tests (imported by the test process and, through JOBS_EXTRA_MODULES, by workers)."""

import threading
import time

from django.db import transaction

from reviews.jobs.registry import JobRefused, register

# The in-process visibility test holds the runner here until it has read the progress.
GATES: dict[str, threading.Event] = {}


def _count(job, progress, out):
    """Counts `steps` steps in one transaction, writing a heartbeat row per step, `sleep` seconds each."""
    from django.utils import timezone

    from reviews.jobs.models import WorkerHeartbeat

    steps = job.params.get("steps", 10)
    with transaction.atomic():
        for step in range(1, steps + 1):
            WorkerHeartbeat.objects.create(worker_id=f"count-{job.pk}-{step}"[:64], seen_at=timezone.now())
            progress(step, steps)
            gate = GATES.get(str(job.pk))
            if gate is not None and step == 1:
                gate.wait(20)
            time.sleep(job.params.get("sleep", 0))
        WorkerHeartbeat.objects.filter(worker_id__startswith=f"count-{job.pk}").delete()
    out.write(f"counted {steps}".encode())
    return "计数.txt", "text/plain; charset=utf-8", None


def _refuse(job, progress, out):
    progress(1, 2)
    raise JobRefused("这份名单里没有可以生成的内容。")


def _boom(job, progress, out):
    raise RuntimeError("a bug")


register("test.count", "计数任务", _count, phase="已数 %(done)s / %(total)s 步")
register("test.refuse", "拒绝任务", _refuse)
register("test.boom", "出错任务", _boom)
