"""The kinds of background job: `register(kind, title, runner)` once per kind, at import time.

A runner is `runner(job, progress, out) -> (filename, content_type, data)`: it calls `progress(done,
total)` now and then (an optional third argument is a phase line of its own), and either returns the
file's bytes as `data` or writes them into `out` (a binary file) and returns None as `data`. Raising
`JobRefused(message)` fails the job with that (translated) message; any other exception fails it with a
general one (the traceback goes to the log).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

Progress = Callable[..., None]
Runner = Callable[[Any, Progress, IO[bytes]], tuple[str, str, bytes | None]]


def job_cycle(job):
    """The cycle a job's parameters name, for a runner whose creator still exists; else the job is refused."""
    from django.utils.translation import gettext as _

    from reviews.cycles.models import Cycle

    cycle = Cycle.objects.filter(pk=job.params.get("cycle")).first()
    if cycle is None or job.created_by is None:
        raise JobRefused(_("This cycle no longer exists."))
    return cycle


class JobRefused(Exception):
    """A runner's refusal: the job fails with this message, shown to its creator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class JobKind:
    kind: str
    title: str  # lazily translated
    runner: Runner
    # The phase line while running, with %(done)s and %(total)s (lazily translated): "已生成 120 / 300 张".
    phase: str = ""
    # Called (in a transaction) when a job of this kind has failed for good: undo what must not stay.
    on_failed: Callable[[Any], None] | None = None
    # Where 重新发起 leads for a kind that is not simply run again (e.g. back to its form).
    retry_url: Callable[[Any], str] | None = None
    # A link back to where the job was started (e.g. the codes page), with its label (lazily translated).
    back_url: Callable[[Any], str] | None = None
    back_label: str = ""
    # A kind whose result is a page rather than a file (an import's check): where its button leads once
    # done, with its label (lazily translated); the job page then offers it instead of the download.
    result_url: Callable[[Any], str] | None = None
    result_label: str = ""


_KINDS: dict[str, JobKind] = {}


def register(
    kind: str,
    title: str,
    runner: Runner,
    *,
    phase: str = "",
    on_failed: Callable[[Any], None] | None = None,
    retry_url: Callable[[Any], str] | None = None,
    back_url: Callable[[Any], str] | None = None,
    back_label: str = "",
    result_url: Callable[[Any], str] | None = None,
    result_label: str = "",
) -> JobKind:
    job_kind = JobKind(
        kind=kind,
        title=title,
        runner=runner,
        phase=phase,
        on_failed=on_failed,
        retry_url=retry_url,
        back_url=back_url,
        back_label=back_label,
        result_url=result_url,
        result_label=result_label,
    )
    _KINDS[kind] = job_kind
    return job_kind


def kind_of(kind: str) -> JobKind | None:
    return _KINDS.get(kind)
