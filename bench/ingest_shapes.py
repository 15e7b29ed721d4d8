"""``python -m bench.ingest_shapes``: ingest speed of one SLI batch in three file shapes.

The same ``--rows`` inference_sli rows are written as

* ``exact``: Parquet whose columns have the contract's own types (BIGINT counts, DOUBLE
  latencies, TIMESTAMPTZ windows);
* ``int32_decimal``: Parquet with INT32 counts and DECIMAL(22,1) latencies, the types
  Spark, pandas and DuckDB's own ``COPY`` often write;
* ``csv``: CSV with timestamps like ``2026-08-14T09:30:00Z``;

and each is ingested into an empty store by ``metrics.ingest.run.ingest`` in a process
of its own (full validation; the CLI's query preparation after an ingest is left out),
``--repeat`` times; the median wall time of the ingest call, its rows/s and its CPU time
(user + system, all threads: on a shared machine the steadier figure) are printed, and
written to
``bench/out/ingest_shapes.json``. Goals (issue 13, at 30M rows on an idle 2-core
machine): both Parquet shapes >= 2M rows/s, CSV >= 1.5M rows/s.

    python -m bench.ingest_shapes --rows 10000000
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from pathlib import Path

import duckdb

from bench.measure import run_measured

OUT = Path(__file__).resolve().parent / "out"
SHAPES = ("exact", "int32_decimal", "csv")

_ROWS = """SELECT 'ep-' || (i % 500) AS endpoint, 'team-' || (i % 40) AS team,
              (i % 3 + 1)::{int} AS tier,
              TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_minutes((i // 500)::BIGINT)
                  AS window_start,
              60::{int} AS window_seconds, (1000 + i % 977)::{int} AS requests,
              (i % 7)::{int} AS errors,
              (50 + (i % 1000) / 10)::{float} AS latency_p95_ms,
              (90 + (i % 1000) / 10)::{float} AS latency_p99_ms
           FROM range({rows}) t(i)"""

_INGEST = """
import json, resource, sys, time
from pathlib import Path
from metrics.ingest.run import ingest
start = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
r = ingest(Path(sys.argv[1]), 'inference_sli', [sys.argv[2]])
end = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
cpu = sum(getattr(end[1], f) - getattr(start[1], f) for f in ('ru_utime', 'ru_stime'))
print(json.dumps({'inserted': r.inserted, 'quarantined': r.quarantined,
                  'file_errors': r.file_errors, 'seconds': end[0] - start[0], 'cpu': cpu}))
"""


def write_shapes(rows: int, folder: Path) -> dict[str, Path]:
    """The three files of ``rows`` SLI rows in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    paths = {shape: folder / f"sli_{shape}.{'csv' if shape == 'csv' else 'parquet'}"
             for shape in SHAPES}
    exact = _ROWS.format(int="BIGINT", float="DOUBLE", rows=rows)
    narrow = _ROWS.format(int="INTEGER", float="DECIMAL(22,1)", rows=rows)
    con.execute(f"COPY ({exact}) TO {_lit(paths['exact'])} (FORMAT parquet)")
    con.execute(f"COPY ({narrow}) TO {_lit(paths['int32_decimal'])} (FORMAT parquet)")
    con.execute(f"""COPY (SELECT * REPLACE (strftime(window_start, '%Y-%m-%dT%H:%M:%SZ')
                          AS window_start) FROM ({exact}))
                    TO {_lit(paths['csv'])} (HEADER)""")
    con.close()
    return paths


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def measure(path: Path, work: Path, repeat: int) -> dict:
    """Median seconds and rows/s of ``repeat`` ingests of ``path`` into empty stores."""
    runs = []
    for n in range(repeat):
        store = work / f"store-{path.stem}-{n}"
        shutil.rmtree(store, ignore_errors=True)
        store.mkdir(parents=True)
        run = run_measured([sys.executable, "-c", _INGEST, str(store / "s.duckdb"), str(path)])
        summary = json.loads(run.stdout)
        if summary["file_errors"] or summary["quarantined"]:
            raise SystemExit(f"bench: {path.name} did not ingest cleanly: {summary}")
        runs.append((summary["seconds"], summary["cpu"], run.peak_gb))
        shutil.rmtree(store, ignore_errors=True)
    seconds = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    return {"seconds": round(seconds, 3), "runs": [round(r[0], 3) for r in runs],
            "rows_per_s": round(summary["inserted"] / seconds),
            "cpu_seconds": round(cpu, 3),
            "peak_gb": round(max(r[2] for r in runs), 3)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ingest_shapes",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=10_000_000, help="SLI rows (default 10M)")
    p.add_argument("--repeat", type=int, default=3, help="ingests per shape (median)")
    p.add_argument("--shapes", nargs="+", choices=SHAPES, default=list(SHAPES),
                   help="which shapes to measure (default: all three)")
    p.add_argument("--work", type=Path, default=Path("/tmp/mlkpi-bench-shapes"),
                   help="scratch folder (default /tmp/mlkpi-bench-shapes)")
    p.add_argument("--out", type=Path, default=OUT, help="where ingest_shapes.json goes")
    args = p.parse_args(argv)
    print(f"writing {args.rows:,} SLI rows in {len(SHAPES)} shapes", file=sys.stderr)
    paths = write_shapes(args.rows, args.work / f"files-{args.rows}")
    results = {"rows": args.rows, "shapes": {}}
    for shape in args.shapes:
        print(f"ingesting {shape}", file=sys.stderr)
        results["shapes"][shape] = figures = measure(paths[shape], args.work, args.repeat)
        print(f"{shape:>14}: {figures['seconds']:7.2f} s  {figures['rows_per_s']:>12,} rows/s"
              f"  cpu {figures['cpu_seconds']:.2f} s  runs {figures['runs']}"
              f"  peak {figures['peak_gb']} GB")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ingest_shapes.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
