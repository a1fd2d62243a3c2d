"""The code slips PDF (测评码) for a big batch: time, peak memory and file size against the codes.

Usage:
  .venv/bin/python bench/slips.py                 300 and 2,000 codes, each in a fresh process
  .venv/bin/python bench/slips.py 2000            one render of 2,000 codes
  .venv/bin/python bench/slips.py 2000 100        the same, 100 slips per WeasyPrint render
(uses DATABASE_URL; default a temporary SQLite file)

Builds a session with N codes (bench.seed.big_session: two groups, N/2 codes each), then renders their
slips as the job does, written into a temporary file, and prints the wall time, the process's peak RSS
(resource.getrusage: a fresh process, so the peak is this render's; the Django process with the session
built is shown too) and the file size. The machine may be shared: note the load average printed.
"""

import inspect
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuzhi.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")

SIZES = (300, 2000)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def render(n: int, per_render: int | None) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import translation

    from bench.seed import big_session
    from scoring.codes import documents as codes_documents

    if per_render is not None:
        codes_documents.SLIPS_PER_RENDER = per_render
    call_command("migrate", verbosity=0)
    session, issued, *_ = big_session(reporters=5, codes=n, tag=f"s{random.randrange(10**6)}")
    before = peak_rss_mb()
    reports = []
    writes_out = "out" in inspect.signature(codes_documents.code_slips_pdf).parameters
    with translation.override("zh-hans"), tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        if writes_out:
            codes_documents.code_slips_pdf(
                session, issued, out=out, progress=lambda done, total: reports.append((done, total))
            )
        else:
            out.write(
                codes_documents.code_slips_pdf(
                    session, issued, progress=lambda done, total: reports.append((done, total))
                )
            )
        elapsed = time.perf_counter() - start
        size = out.tell()
    assert reports[-1] == (n, n), reports[-1]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    per = getattr(codes_documents, "SLIPS_PER_RENDER", "all")
    print(
        f"slips {n:>6,}  {per!s:>4} a render  {elapsed:7.1f} s  {elapsed / n * 1000:5.0f} ms a slip"
        f"  peak RSS {peak_rss_mb():5.0f} MB (session built: {before:.0f} MB)"
        f"  {size / 2**20:6.2f} MiB  {len(reports)} progress calls  load {load}",
        flush=True,
    )


def main() -> None:
    args = sys.argv[1:]
    if args:
        render(int(args[0]), int(args[1]) if len(args) > 1 else None)
        return
    for n in SIZES:
        subprocess.run([sys.executable, __file__, str(n)], check=True)


if __name__ == "__main__":
    main()
