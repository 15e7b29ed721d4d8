"""``python -m bench.review``: how long the 21-KPI review pack takes as PDF on the sample.

Builds the small sample store (seed 42) in a temporary folder, then runs
``mlkpi report --period 2026Q3 --out review.pdf`` as its own process ``--runs`` times
(wall seconds, peak RSS): the first run compiles the KPI queries of a new store, the
median of the others is the figure a director sees. Also times, in this process, the
parts: gathering the figures, drawing the 21 SVG charts, WeasyPrint's layout. The goal
(review.md) is ≤ 10 s on a 2-core machine; this prints figures, it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.measure import run_measured

PERIOD = "2026Q3"


def build_store(folder: Path) -> Path:
    from metrics.ingest.run import ingest
    from metrics.sample import generate

    files = generate(folder / "sample", seed=42, scale="small", as_of=date(2026, 11, 22))
    db = folder / "mlkpi.duckdb"
    for path in sorted(files):
        ingest(db, path.name.split(".")[0], [str(path)])
    return db


def parts(db: Path) -> dict[str, float]:
    """Seconds per stage, in this process (imports already warm after the first call)."""
    from metrics.periods import parse_period
    from metrics.review import charts
    from metrics.review.figures import build_pack
    from metrics.review.pdf import render_pdf

    times = {}
    start = time.perf_counter()
    pack = build_pack(db, parse_period(PERIOD))
    times["figures_s"] = time.perf_counter() - start
    start = time.perf_counter()
    for row in pack.rows:
        charts.trend_svg(row, pack.trends.get(row.id, []), pack.label)
    times["charts_s"] = time.perf_counter() - start
    start = time.perf_counter()
    render_pdf(pack)
    times["charts_and_pdf_s"] = time.perf_counter() - start
    return {k: round(v, 2) for k, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.review", description=__doc__)
    p.add_argument("--runs", type=int, default=4, help="whole-process runs (default 4)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mlkpi-bench-review-") as tmp:
        db = build_store(Path(tmp))
        out = Path(tmp) / "review.pdf"
        cmd = [sys.executable, "-m", "metrics.cli", "--db", str(db), "report", "--period",
               PERIOD, "--out", str(out)]
        runs = [run_measured(cmd) for _ in range(max(2, args.runs))]
        failed = [r for r in runs if r.returncode]
        if failed:
            print(f"mlkpi report failed: exit {failed[0].returncode}", file=sys.stderr)
            return 1
        result = {"period": PERIOD, "kpis_pdf_bytes": out.stat().st_size,
                  "first_run_s": round(runs[0].seconds, 2),
                  "median_warm_run_s": round(statistics.median(r.seconds for r in runs[1:]), 2),
                  "peak_gb": round(max(r.peak_gb for r in runs), 3),
                  "in_process": parts(db)}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
