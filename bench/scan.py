"""Scanned paper forms (issue 15): accuracy on synthetic forms and the time to read a 50-page scanned PDF.

Usage: .venv/bin/python bench/scan.py [--forms 1000] [--workers 2] [--pdf-pages 50]

Forms are the real printed form (WeasyPrint → PDF → pypdfium2), filled by ``scoring.paper.scan.synthetic``
with a mix of ticks, filled boxes, light pencil marks, crosses, crossed-out choices, double marks and
blanks, then scanned (slight skew, noise, JPEG) or photographed (±5°, perspective, shadow, blur, noise,
JPEG). No database: the forms are built from plain FormSpecs.
Targets: ≥ 99.9 % of cells read correctly or flagged; 0 cells wrong with high confidence; every double
mark flagged; a 50-page scanned PDF read in < 30 s on 2 cores.
"""

import argparse
import io
import os
import sys
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuzhi.settings")

import django

django.setup()

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from scoring.paper.scan import reader, synthetic  # noqa: E402
from scoring.paper.scan.batch import read_batch  # noqa: E402
from scoring.paper.scan.errors import ScanError  # noqa: E402
from scoring.paper.scan.layout import FormSpec, Item, Reporter, layout_build  # noqa: E402
from scoring.paper.scan.pages import file_pages  # noqa: E402

ITEMS = (
    "总体评价",
    "对抓基层党建工作的认识熟悉程度",
    "履行抓基层党建工作责任情况",
    "推动重点任务落实情况及成效",
    "查摆抓基层党建工作中存在问题",
    "下一步抓好基层党建工作的思路措施",
)
SESSION_ID = 1
GRADE_VALUES = synthetic.grade_values()


def _spec(group_id: int, n: int, mode: str) -> FormSpec:
    items = ITEMS if mode == "item_grade" else ITEMS[:1]
    return FormSpec(
        session_id=SESSION_ID,
        group_id=group_id,
        mode=mode,
        reporters=tuple(Reporter(1000 + i, i, f"中共第{i}村党支部委员会", "王建国") for i in range(1, n + 1)),
        items=tuple(Item(100 + i, name) for i, name in enumerate(items)),
        title="2025年度村党组织书记抓基层党建工作述职评议会测评表",
        group_name="党员群众代表",
        session_date="2026年1月16日",
    )


LAYOUTS = {
    1: layout_build(_spec(1, 12, "item_grade")),  # one page, 12 × 6 items
    2: layout_build(_spec(2, 20, "item_grade")),  # two pages, 20 × 6 items
    3: layout_build(_spec(3, 20, "grade")),  # one grade per reporter, portrait
}


def _plan(forms: int) -> list[tuple[int, int, str, int]]:
    """(seed, group, distortion, dpi) per form: 80 % one-page, 10 % two-page, 10 % grade mode."""
    rng = np.random.default_rng(2026)
    plan = []
    for seed in range(forms):
        group = int(rng.choice([1, 2, 3], p=[0.8, 0.1, 0.1]))
        distortion = str(rng.choice(["clean", "scanner", "phone"], p=[0.1, 0.3, 0.6]))
        dpi = int(rng.choice([150, 200], p=[0.7, 0.3]))
        plan.append((seed, group, distortion, dpi))
    return plan


def _one_form(job: tuple[int, int, str, int]) -> Counter:
    seed, group, distortion, dpi = job
    layout = LAYOUTS[group]
    stats: Counter = Counter()
    for page in synthetic.synthetic_form(layout, seed=seed, distortion=distortion, dpi=dpi):
        stats["pages"] += 1
        try:
            read = reader.read_page(page.image, session_id=SESSION_ID, layouts=LAYOUTS)
        except ScanError as error:
            stats["pages refused"] += 1
            stats[f"pages refused: {error.code}"] += 1
            stats["cells on refused pages"] += len(page.truth)
            continue
        for cell in read.cells:
            truth = page.truth[cell.key]
            stats["cells"] += 1
            if cell.value == truth:
                stats["correct"] += 1
            elif cell.flag is not None:
                stats["flagged"] += 1
            elif cell.confidence >= reader.HIGH_CONFIDENCE:
                stats["wrong, high confidence"] += 1
            else:
                stats["wrong, low confidence"] += 1
            if cell.needs_review:
                stats["shown to the clerk"] += 1
            if truth in GRADE_VALUES:
                stats["marked with one grade"] += 1
                stats["one grade, shown to the clerk"] += cell.needs_review
            if truth == "double":
                stats["double marks"] += 1
                stats["double marks flagged"] += cell.flag is not None
            if truth == "crossed":
                stats["crossed"] += 1
                stats["crossed flagged"] += cell.flag is not None
    return stats


def _init() -> None:
    import django as _django

    _django.setup()


def accuracy(forms: int, workers: int) -> None:
    plan = _plan(forms)
    for layout in LAYOUTS.values():  # render each form once here; forked workers inherit the cache
        for dpi in (150, 200):
            synthetic.clean_pages(layout, dpi=dpi)
    start = time.perf_counter()
    total: Counter = Counter()
    with Pool(workers, initializer=_init) as pool:
        for done, stats in enumerate(pool.imap_unordered(_one_form, plan, chunksize=8), start=1):
            total.update(stats)
            if done % 100 == 0:
                print(f"  {done} forms …", flush=True)
    elapsed = time.perf_counter() - start
    read = max(1, total["cells"])
    print(f"\nAccuracy on {forms} synthetic forms ({total['pages']} pages, {elapsed:.0f} s, {workers} procs)")
    _row("cells total", total["cells"] + total["cells on refused pages"])
    _row("read correctly", total["correct"])
    _row("flagged (another flag than the truth)", total["flagged"], "blank / double / crossed / uncertain")
    _row("read wrong, low confidence", total["wrong, low confidence"], "shown to the clerk first")
    _row("read wrong, HIGH confidence", total["wrong, high confidence"], "target 0")
    _row("pages refused", total["pages refused"], f"{total['cells on refused pages']} cells: rescan")
    for key in sorted(k for k in total if k.startswith("pages refused: ")):
        _row(f"  {key[15:]}", total[key])
    ok = 100 * (total["correct"] + total["flagged"]) / read
    _row("correct or flagged (% of cells read)", f"{ok:.3f}", "target ≥ 99.9")
    _row("double marks flagged", f"{total['double marks flagged']} / {total['double marks']}")
    _row("crossed-out marks flagged", f"{total['crossed flagged']} / {total['crossed']}")
    _row("shown to the clerk (% of cells read)", f"{100 * total['shown to the clerk'] / read:.2f}")
    single = 100 * total["one grade, shown to the clerk"] / max(1, total["marked with one grade"])
    _row("  of the items marked with one grade", f"{single:.2f}", "flagged or low confidence")


def _row(label: str, value, note: str = "") -> None:
    print(f"  {label:<40} {value!s:>10}   {note}".rstrip())


def _scanned_pdf(pages: int) -> bytes:
    """A scanner's PDF: one JPEG per page at 200 dpi, as office scanners write them."""
    layout = LAYOUTS[1]
    images = []
    for seed in range(pages):
        [page] = synthetic.synthetic_form(layout, seed=10_000 + seed, distortion="scanner", dpi=200)
        images.append(Image.fromarray(page.image))
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=200, quality=85)
    return out.getvalue()


def _read_pdf(data: bytes) -> int:
    result = read_batch(file_pages(data), session_id=SESSION_ID, layouts=LAYOUTS)
    return len(result.forms)


def speed(pages: int) -> None:
    data = _scanned_pdf(pages)
    start = time.perf_counter()
    forms = _read_pdf(data)
    one = time.perf_counter() - start
    print(f"\n{pages}-page scanned PDF ({len(data) / 1e6:.1f} MB, 200 dpi JPEG pages): {forms} forms read")
    _row("one process, s", f"{one:.1f}", "target < 30 s on 2 cores")
    _row("per page, ms", f"{1000 * one / pages:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pdf-pages", type=int, default=50)
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}")
    speed(args.pdf_pages)
    accuracy(args.forms, args.workers)


if __name__ == "__main__":
    main()
