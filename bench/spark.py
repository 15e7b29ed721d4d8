"""``python -m bench.spark``: the quarter report on local Spark against DuckDB, and refresh.

Generates a sample (the small one by default: ~285k SLI rows; ``--sli-rows N`` for the
large generator), ingests it, exports it to Parquet, then measures:

* ``mlkpi kpis --period Q`` as a whole process on the store (DuckDB) and on
  ``spark://local[N]`` (which includes starting Spark), median of ``--repeat`` runs;
* in one process with Spark already up: the quarter report and the SLO report (what a
  ``refresh`` pays per report), median of ``--repeat`` runs;
* ``mlkpi refresh --backend spark://… --periods 1`` as a whole process (3 grains × (org,
  each team, each tier) + the SLO report).

Prints the figures and writes ``bench/out/spark.json``; never asserts them. The 30M-row
figure: ``python -m bench.spark --sli-rows 30000000 --memory 4g`` (about an hour of a
2-core machine, most of it generating and ingesting).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from bench.measure import run_measured

OUT = Path(__file__).resolve().parent / "out"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.spark", description=__doc__.split("\n\n")[0])
    p.add_argument("--sli-rows", type=int, default=0,
                   help="inference_sli rows of the large generator (default 0: the small "
                        "sample, ~285k SLI rows)")
    p.add_argument("--work", type=Path, default=Path("/tmp/mlkpi-bench-spark"),
                   help="scratch folder (default /tmp/mlkpi-bench-spark)")
    p.add_argument("--as-of", default="2026-11-22", help="the sample's end date")
    p.add_argument("--cores", type=int, default=2, help="local[N] (default 2)")
    p.add_argument("--memory", default="1g", help="Spark driver memory (default 1g)")
    p.add_argument("--repeat", type=int, default=3, help="runs per timed step (median)")
    p.add_argument("--no-refresh", action="store_true", help="skip timing 'mlkpi refresh'")
    args = p.parse_args(argv)

    args.work.mkdir(parents=True, exist_ok=True)
    db, lake = _prepare(args)
    url = f"spark://local[{args.cores}]?path={lake}&memory={args.memory}"
    quarter = _quarter_before(date.fromisoformat(args.as_of))
    mlkpi = [sys.executable, "-m", "metrics.cli", "--db", str(db)]
    kpis = ["kpis", "--period", quarter, "--format", "json"]
    results: dict[str, object] = {"sli_rows": _sli_rows(db), "quarter": quarter,
                                  "spark": f"local[{args.cores}], {args.memory} driver"}
    for key, value in results.items():
        print(f"{key:32} {value}", flush=True)
    _say(results, "duckdb_kpis_process_s", _median(args.repeat, lambda: run_measured(
        [*mlkpi, *kpis]).seconds))
    _say(results, "spark_kpis_process_s", _median(args.repeat, lambda: run_measured(
        [*mlkpi, "--backend", url, *kpis]).seconds))
    _in_process(db, url, quarter, args.repeat, results)
    if not args.no_refresh:
        refresh = run_measured([*mlkpi, "refresh", "--backend", url, "--periods", "1"])
        _say(results, "spark_refresh_process_s", round(refresh.seconds, 2))
        _say(results, "spark_refresh_reports", _stored_reports(db))
    OUT.mkdir(exist_ok=True)
    (OUT / "spark.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


def _say(results: dict[str, object], key: str, value: object) -> None:
    """Keep a figure and print it at once (a long run shows what it has so far)."""
    results[key] = value
    print(f"{key:32} {value}", flush=True)


def _prepare(args: argparse.Namespace) -> tuple[Path, Path]:
    """The store and its export, built once per (rows, as-of) in the work folder."""
    tag = f"{args.sli_rows or 'small'}-{args.as_of}"
    db, lake = args.work / f"store-{tag}.duckdb", args.work / f"lake-{tag}"
    if db.exists() and lake.exists():
        return db, lake
    from metrics.ingest.run import ingest
    from metrics.sample import generate
    from metrics.store.export import export_store

    sample = args.work / f"sample-{tag}"
    files = generate(sample, seed=42, scale="large" if args.sli_rows else "small",
                     as_of=date.fromisoformat(args.as_of), sli_rows=args.sli_rows or None)
    for path in sorted(files):
        ingest(db, path.name.split(".")[0], [str(path)])
    export_store(db, lake)
    return db, lake


def _in_process(db: Path, url: str, quarter: str, repeat: int,
                results: dict[str, object]) -> None:
    """Spark started once, then the reports a refresh computes, each timed."""
    os.environ.setdefault("MLKPI_CACHE_DIR", str(Path("/tmp/mlkpi-bench-spark/cache")))
    from metrics.kpi.report import kpi_report
    from metrics.periods import parse_period
    from metrics.slo.report import slo_report

    period = parse_period(quarter)
    _say(results, "spark_start_and_first_report_s",
         round(_timed(lambda: kpi_report(db, period, backend=url)), 2))
    _say(results, "spark_kpis_warm_s", _median(repeat, lambda: _timed(
        lambda: kpi_report(db, period, backend=url))))
    _say(results, "duckdb_kpis_warm_s", _median(repeat, lambda: _timed(
        lambda: kpi_report(db, period))))
    _say(results, "spark_slo_warm_s", _median(repeat, lambda: _timed(
        lambda: slo_report(db, backend=url))))
    _say(results, "duckdb_slo_warm_s", _median(repeat, lambda: _timed(lambda: slo_report(db))))


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _median(n: int, fn) -> float:
    return round(statistics.median(fn() for _ in range(n)), 3)


def _quarter_before(day: date) -> str:
    q = (day.month - 1) // 3
    return f"{day.year - 1}Q4" if q == 0 else f"{day.year}Q{q}"


def _stored_reports(db: Path) -> int | None:
    from metrics.store.results import freshness

    found = freshness(db)
    return found["reports"] if found else None


def _sli_rows(db: Path) -> int:
    from metrics.store.db import connect_read

    con = connect_read(db)
    try:
        return con.execute("SELECT count(*) FROM inference_sli").fetchall()[0][0]
    finally:
        con.close()


if __name__ == "__main__":
    sys.exit(main())
