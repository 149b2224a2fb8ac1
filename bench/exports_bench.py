"""Benchmark: the two "export everything" files at national scale, each against the bare library writing the same rows.

Floors, measured in the same run on the rows the export itself produced (so only the export's own work is
compared): for Excel, xlsxwriter alone in constant_memory mode writing every sheet's final cell values with
`write_row`; for CSV, pandas `frame.to_csv` of the final (neutralised) frame to the same UTF-8 bytes, the faster
of its two ways. Each export is timed as a caller runs it (pages/manage.py): choose the assessments, read, build,
neutralise, write the file; in a fresh process, which also gives its peak memory.

    python bench/exports_bench.py [--db national.db] [--scale 1] [--out results.json]

Without --db it builds the national database of bench/national.py in a temporary folder.
"""

from __future__ import annotations

import argparse
import gc
import io
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checklist import exports, store  # noqa: E402

TARGET_RATIO = 1.5  # issue 12: both exports within 1.5x their floor
NOW = "2026-01-01T00:00:00+00:00"
# A little of everything an export must make safe: formulas, control characters from word processors, accents.
HOSTILE = ('=HYPERLINK("http://x")', "+44 1234 567", "-1 minute", "@board", "Minutes\x0bpage 2", "Café\x00notes")


def build_national(path: Path, scale: float = 1.0) -> dict[str, int]:
    """The national database of bench/national.py (one builder for every benchmark)."""
    from bench.national import build

    return build(path, scale)


def _seconds(fn: Callable[[], object], repeat: int) -> float:
    """The best of `repeat` runs (the least disturbed by other work on a shared machine)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM starts afresh at exec; getrusage's ru_maxrss would carry over
    the parent's peak into a child started to measure one export."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_export(db_path: Path | str, kind: str, target: Path, repeat: int = 1) -> dict:
    """One export as a caller runs it (pages/manage.py, checklist/cli.py): seconds (best of `repeat`) and the
    process's peak memory after the first run. Run in a fresh process by `measure`, so the memory is the export's."""
    db = store.connect(db_path, apply_migrations=False)
    before = _peak_rss_mb()
    made: list[bytes] = []

    def job() -> None:
        if kind == "xlsx":
            exports.write_xlsx(db, exports.assessment_ids(db), target)
        else:
            made[:] = [exports.csv_bytes(exports.export_frame(db, exports.assessment_ids(db)))]  # one file held

    seconds = _seconds(job, 1)
    peak = _peak_rss_mb()  # one export's peak; repeats add only the allocator's fragmentation
    seconds = min(seconds, _seconds(job, repeat - 1)) if repeat > 1 else seconds
    if made:
        target.write_bytes(made[-1])  # untimed: the floor writes to memory too
    return {"seconds": seconds, "peak_rss_mb": peak, "rss_before_mb": before, "bytes": target.stat().st_size}


def _in_child(db_path: Path | str, kind: str, target: Path, repeat: int) -> dict:
    command = [sys.executable, __file__, "--db", str(db_path), "--export", kind, "--target", str(target),
               "--repeat", str(repeat)]  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _bare_xlsx_seconds(db, ids: list[int], target: Path) -> tuple[float, int, int, list[str]]:  # noqa: ANN001
    """The floor: xlsxwriter alone (constant_memory) writing the rows the export wrote, already as final cell values.

    The rows are produced by the export's own code between timed spells (a block at a time, so they never all sit in
    memory); only xlsxwriter's work is timed: adding each sheet, writing its header and rows, closing the file.
    """
    import xlsxwriter

    timed = 0.0
    rows = cells = 0
    titles = []
    t0 = time.perf_counter()
    book = xlsxwriter.Workbook(str(target), {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False})  # fmt: skip
    timed += time.perf_counter() - t0
    for part in exports.workbook_parts(db, ids):
        titles.append(part.title)
        t0 = time.perf_counter()
        sheet = book.add_worksheet(part.title)
        sheet.write_row(0, 0, part.columns)
        timed += time.perf_counter() - t0
        number = 1
        while block := list(itertools.islice(part.rows, 100_000)):
            t0 = time.perf_counter()
            for row in block:
                sheet.write_row(number, 0, row)
                number += 1
            timed += time.perf_counter() - t0
            rows += len(block)
            cells += len(block) * len(part.columns)
    t0 = time.perf_counter()
    book.close()
    return timed + time.perf_counter() - t0, rows, cells, titles


def measure(db_path: Path | str, repeat: int = 1) -> list[dict]:
    """Time both "export everything" files against their floors: one record each (the CSV's also gives its writing
    step alone, issue 12's own measure: the built frame through csv_bytes against pandas)."""
    db = store.connect(db_path, apply_migrations=False)
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        excel = _in_child(db_path, "xlsx", Path(tmp) / "export.xlsx", repeat)
        from openpyxl import load_workbook

        sheets = load_workbook(Path(tmp) / "export.xlsx", read_only=True).sheetnames
        floor, rows, cells, _ = _bare_xlsx_seconds(db, exports.assessment_ids(db), Path(tmp) / "bare.xlsx")
        records.append(
            {"name": "Excel export of everything", "unit": "s", "value": excel["seconds"], "floor": floor,
             "ratio": excel["seconds"] / floor, "target": TARGET_RATIO, "target_on": "ratio", "better": "lower",
             "rows": rows, "cells": cells, "sheets": sheets, "bytes": excel["bytes"],
             "peak_rss_mb": excel["peak_rss_mb"], "rss_before_mb": excel["rss_before_mb"]}
        )  # fmt: skip
        csv = _in_child(db_path, "csv", Path(tmp) / "export.csv", max(repeat, 5))
    frame = exports.export_frame(db, exports.assessment_ids(db))
    final = exports.neutralise_frame(frame)
    # The floor: pandas writing the same rows to the same bytes (UTF-8 with a byte-order mark), the faster of its
    # two ways of doing so.
    floor = min(
        _seconds(lambda: final.to_csv(index=False).encode("utf-8-sig"), max(repeat, 5)),
        _seconds(lambda: final.to_csv(io.BytesIO(), index=False, encoding="utf-8-sig"), max(repeat, 5)),
    )
    writing = _seconds(lambda: exports.csv_bytes(frame), max(repeat, 5))
    records.append(
        {"name": "CSV export of everything", "unit": "s", "value": csv["seconds"], "floor": floor,
         "ratio": csv["seconds"] / floor, "target": TARGET_RATIO, "target_on": "ratio", "better": "lower",
         "rows": len(final), "cells": int(final.size), "bytes": csv["bytes"], "peak_rss_mb": csv["peak_rss_mb"],
         "rss_before_mb": csv["rss_before_mb"],
         # Issue 12's own measure, the writing step alone: the built frame through csv_bytes, against the floor.
         "writing_step": {"value": writing, "floor": floor, "ratio": writing / floor}}
    )  # fmt: skip
    db.close()
    return records


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db",
        type=store.db_argument,
        help="an existing database (a file or a postgresql:// address) to export (default: build one)",
    )
    parser.add_argument("--keep", type=Path, help="build the national database here and keep it")
    parser.add_argument("--scale", type=float, default=1.0, help="of the national database built (1 = 42 systems)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, help="write the records here as JSON")
    parser.add_argument("--export", choices=["xlsx", "csv"], help=argparse.SUPPRESS)  # one export, in a child
    parser.add_argument("--target", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export:
        result = run_export(args.db, args.export, args.target, args.repeat)
        print(json.dumps(result))
        return [result]
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db
        if path is None:
            path = args.keep or Path(tmp) / "national.db"
            t0 = time.perf_counter()
            counts = build_national(path, args.scale)
            print(f"built {path} in {time.perf_counter() - t0:.0f} s: {counts}")
        records = measure(path, args.repeat)
    for r in records:
        met = "met" if r["ratio"] <= r["target"] else "MISSED"
        memory = f"  peak RSS {r['peak_rss_mb']:.0f} MB" if "peak_rss_mb" in r else ""
        print(f"{r['name']}: {r['value']:.2f} s, floor {r['floor']:.2f} s, ratio {r['ratio']:.2f} "
              f"(target {r['target']}: {met}), {r['rows']:,} rows{memory}")  # fmt: skip
        if "writing_step" in r:
            step = r["writing_step"]
            print(f"  writing step alone: {step['value']:.2f} s, ratio {step['ratio']:.2f}")
    if args.out:
        args.out.write_text(json.dumps(records, indent=2))
    return records


if __name__ == "__main__":
    main()
