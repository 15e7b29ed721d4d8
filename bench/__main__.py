"""``python -m bench``: mlkpi at the scale of a large ML org, against a pandas notebook.

Generates the large sample (``--sli-rows``, 30M by default), then measures each
step as a separate process (wall seconds, peak RSS) and prints figures, never
asserts them:

* ingest rows/s, CSV and Parquet, full validation;
* whole-process ``mlkpi kpis`` for a quarter and ``mlkpi slo``: the first run after the
  ingests (which prepared the common query shapes, ``metrics.sql.prepare``; the ingest times
  include that step), then the median of the next runs;
* the same answers by a plain pandas script over the same files, checked to agree (read
  row group by row group above 40M rows, where one DataFrame would not fit in memory);
* dashboard render times in headless Chromium (scorecard, quarterly review) and 16
  concurrent scorecard sessions, when Chromium and Playwright are present.

Results go to ``bench/out/results.json`` and ``bench/out/results.md``.
``python -m bench --sli-rows 200000`` runs in seconds (CI does that so it cannot rot).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bench import pandas_baseline
from bench.measure import Run, run_measured

OUT = Path(__file__).resolve().parent / "out"
CHUNK_ABOVE = 40_000_000  # SLI rows above which the pandas script reads row groups


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--sli-rows", type=int, default=30_000_000,
                   help="inference_sli rows to generate (default 30M; 263M for a year of 500 "
                        "endpoints at 1-minute windows)")
    p.add_argument("--work", type=Path, default=Path("/tmp/mlkpi-bench"),
                   help="scratch folder for the sample and stores (default /tmp/mlkpi-bench)")
    p.add_argument("--out", type=Path, default=OUT, help="where results.json/.md go")
    p.add_argument("--as-of", default="2026-11-22", help="the sample's end date")
    p.add_argument("--repeat", type=int, default=3, help="runs per timed command (median)")
    p.add_argument("--reuse-sample", action="store_true",
                   help="keep the generated sample of an earlier run in --work when it has the "
                        "same --sli-rows and --as-of (stores and CSV are always rebuilt)")
    p.add_argument("--no-browser", action="store_true", help="skip the dashboard timings")
    p.add_argument("--no-csv", action="store_true",
                   help="skip the CSV ingest (at 263M rows the CSV copy is ~18 GB)")
    p.add_argument("--no-pandas", action="store_true",
                   help="skip the pandas baseline (above 40M rows it reads the file in row "
                        "groups: one DataFrame needs ~0.3 GB per million rows)")
    args = p.parse_args(argv)

    work = args.work
    marker = f"{args.sli_rows} {args.as_of}"
    reuse = args.reuse_sample and _read(work / "sample.done") == marker
    for path in (work.iterdir() if work.is_dir() else []):
        if not (reuse and path.name in ("sample", "sample.done")):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    work.mkdir(parents=True, exist_ok=True)
    # every process below (ingests, CLI runs, the dashboard) shares one template cache that
    # starts empty: the ingests compile what they prepare (metrics.sql.prepare), as for a user
    os.environ["MLKPI_CACHE_DIR"] = str(work / "cache")
    results: dict = {"machine": machine(), "sli_rows": args.sli_rows,
                     "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "steps": {}}
    steps = results["steps"]

    if reuse:
        say(f"reusing the sample in {work / 'sample'} ({args.sli_rows:,} SLI rows)")
    else:
        say(f"generating the large sample ({args.sli_rows:,} SLI rows)")
        steps["generate"] = _generate(work, args).to_json()
        (work / "sample.done").write_text(marker)
    sli_parquet = work / "sample" / "inference_sli.parquet"
    formats = [("parquet", sli_parquet)]
    if not args.no_csv:
        sli_csv = work / "inference_sli.csv"
        _parquet_to_csv(sli_parquet, sli_csv)
        formats.append(("csv", sli_csv))

    for fmt, path in formats:
        say(f"ingesting {fmt}")
        db = work / f"{fmt}.duckdb"
        run = run_measured([*mlkpi(db), "ingest", "inference_sli", str(path), "--format", "json"])
        steps[f"ingest_{fmt}"] = run.to_json(rows=args.sli_rows)
    db = work / "parquet.duckdb"
    say("ingesting the other kinds")
    for path in sorted((work / "sample").iterdir()):
        if not path.name.startswith("inference_sli"):
            run_measured([*mlkpi(db), "ingest", path.name.split(".")[0], str(path)])

    period = _latest_quarter(args.as_of)
    say(f"timing mlkpi kpis --period {period} and mlkpi slo")
    commands = (("kpis", ["kpis", "--period", period]), ("slo", ["slo"]))
    kept = dict(os.environ)  # answers the ingest computed are read (metrics.sql.answers)
    for name, cmd in commands:
        argv = [*mlkpi(db), *cmd, "--format", "json"]
        steps[f"{name}_first"] = run_measured(argv, env=kept).to_json()
    # the engine's own time: every query runs, nothing kept is read
    env = dict(os.environ, MLKPI_ANSWERS="0")
    kpis = _repeat(args.repeat, [*mlkpi(db), "kpis", "--period", period, "--format", "json"],
                   env)
    slo = _repeat(args.repeat, [*mlkpi(db), "slo", "--format", "json"], env)
    steps["kpis"], steps["slo"] = kpis.to_json(), slo.to_json()
    answered = {name: _repeat(args.repeat, [*mlkpi(db), *cmd, "--format", "json"], kept)
                for name, cmd in commands}
    steps["kpis_kept"], steps["slo_kept"] = (answered["kpis"].to_json(),
                                             answered["slo"].to_json())
    steps["kept_agree"] = _kept_agree(db, period)

    if not args.no_pandas:
        say("the same answers with pandas")
        base = pandas_baseline.run(sli_parquet, period, chunked=args.sli_rows > CHUNK_ABOVE)
        steps["pandas"] = base
        steps["agreement"] = pandas_baseline.compare(base, json.loads(kpis.stdout),
                                                     json.loads(slo.stdout))
        steps["pandas"]["ratio_vs_mlkpi"] = round(
            base["seconds"] / (kpis.seconds + slo.seconds), 2)

    if not args.no_browser:
        from bench import browser

        say("timing the dashboard in headless Chromium")
        steps["dashboard"] = browser.measure(db, period)
        say("timing the first scorecard after a start with nothing kept (MLKPI_ANSWERS=0)")
        steps["dashboard"]["scorecard_cold_computed_s"] = browser.measure_cold(
            db, {"MLKPI_ANSWERS": "0"})

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (args.out / "results.md").write_text(table)
    print(table)
    return 0


def mlkpi(db: Path) -> list[str]:
    return [sys.executable, "-m", "metrics.cli", "--db", str(db)]


def say(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _generate(work: Path, args) -> Run:
    code = ("import sys; from pathlib import Path; from datetime import date; "
            "from metrics.sample import generate; "
            f"generate(Path({str(work / 'sample')!r}), seed=42, scale='large', "
            f"as_of=date.fromisoformat({args.as_of!r}), sli_rows={args.sli_rows})")
    return run_measured([sys.executable, "-c", code])


def _parquet_to_csv(src: Path, dst: Path) -> None:
    run_measured([sys.executable, "-m", "bench.csvcopy", str(src), str(dst)])


def _latest_quarter(as_of: str) -> str:
    d = date.fromisoformat(as_of)
    q = (d.month - 1) // 3 + 1
    return f"{d.year}Q{q}"


def _kept_agree(db: Path, period: str) -> bool:
    """The KPI and SLO reports read from kept answers equal the ones computed afresh, at
    the same clock (a running quarter's "to date" figures depend on it)."""
    from metrics.kpi.report import kpi_report
    from metrics.periods import parse_period
    from metrics.slo.report import slo_report

    now = datetime.now(UTC)

    def both() -> str:
        return json.dumps([kpi_report(db, parse_period(period), now=now), slo_report(db)],
                          default=str)
    kept = both()
    os.environ["MLKPI_ANSWERS"] = "0"
    try:
        return both() == kept
    finally:
        del os.environ["MLKPI_ANSWERS"]


def _repeat(n: int, cmd: list[str], env: dict | None = None) -> Run:
    runs = [run_measured(cmd, env=env) for _ in range(max(1, n))]
    runs.sort(key=lambda r: r.seconds)
    return runs[len(runs) // 2]


def machine() -> dict:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb

    return {"cpus": os.cpu_count(), "memory_gib": round(mem, 1),
            "python": platform.python_version(), "duckdb": duckdb.__version__,
            "platform": platform.platform(terse=True)}


def markdown(r: dict) -> str:
    s, m = r["steps"], r["machine"]
    skipped = ("skipped", "")
    rows = [
        ("Ingest, Parquet (full validation, queries prepared)", _rate(s["ingest_parquet"]),
         _gb(s["ingest_parquet"])),
        ("Ingest, CSV (full validation, queries prepared)",
         *((_rate(s["ingest_csv"]), _gb(s["ingest_csv"])) if "ingest_csv" in s else skipped)),
        ("`mlkpi kpis --period` (whole process, every query run)",
         f"{s['kpis']['seconds']:.2f} s", _gb(s["kpis"])),
        ("`mlkpi slo` (whole process, every query run)", f"{s['slo']['seconds']:.2f} s",
         _gb(s["slo"])),
    ]
    for name in ("kpis", "slo"):
        if f"{name}_kept" in s:
            rows.append((f"`mlkpi {name}`, answers kept at ingest (whole process)",
                         f"{s[f'{name}_kept']['seconds']:.2f} s", _gb(s[f"{name}_kept"])))
    for name in ("kpis", "slo"):
        if f"{name}_first" in s:
            rows.append((f"`mlkpi {name}`, first run after the ingests",
                         f"{s[f'{name}_first']['seconds']:.2f} s", _gb(s[f"{name}_first"])))
    if "pandas" in s:
        how = "row group by row group" if s["pandas"].get("chunked") else "one DataFrame"
        rows.append((f"pandas script, same answers ({how})",
                     f"{s['pandas']['seconds']:.2f} s (mlkpi "
                     f"{s['pandas']['ratio_vs_mlkpi']}× faster)",
                     f"{s['pandas']['peak_gb']:.2f} GB"))
    else:
        rows.append(("pandas script, same answers", *skipped))
    board = s.get("dashboard", {})
    for key, label in DASHBOARD_ROWS:
        if key in board:
            rows.append((label, f"{board[key]:.2f} s",
                         f"{board.get('server_peak_gb', 0):.2f} GB (server)"))
    agreement = s.get("agreement")
    agree = ("not checked (pandas skipped)" if agreement is None else
             f"yes ({agreement['checked']} figures)" if agreement["agree"]
             else f"NO: {agreement['differences']}")
    head = (f"Benchmark of {r['date']}: {r['sli_rows']:,} inference_sli rows; "
            f"{m['cpus']} CPUs, {m['memory_gib']} GiB, Python {m['python']}, "
            f"DuckDB {m['duckdb']}, {m['platform']}.\n\n")
    lines = ["| step | figure | peak memory |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    errors = board.get("errors_seen")
    tail = f"\n\npandas and mlkpi agree on every answer: {agree}\n"
    if "kept_agree" in s:
        tail += ("Reports read from kept answers equal the ones computed afresh: "
                 f"{'yes' if s['kept_agree'] else 'NO'}\n")
    if errors is not None:
        tail += f"Dashboard errors seen during the runs (retried): {errors}\n"
    return head + "\n".join(lines) + tail


DASHBOARD_ROWS = (
    ("scorecard_cold_s", "Scorecard, first load after start (browser; answers kept at ingest)"),
    ("scorecard_cold_computed_s",
     "Scorecard, first load after start (browser; nothing kept: every query run)"),
    ("scorecard_s", "Scorecard fully rendered (browser, median of warm loads)"),
    ("quarterly_cold_s", "Quarterly review, first load (browser; answers kept at ingest)"),
    ("quarterly_s", "Quarterly review fully rendered (browser, median of warm loads)"),
    ("scorecard_server_s", "Scorecard, server time per session (no browser)"),
    ("quarterly_server_s", "Quarterly review, server time per session (no browser)"),
    ("concurrent16_server_median_s", "16 concurrent scorecard sessions, server time, median"),
    ("concurrent16_server_p95_s", "16 concurrent scorecard sessions, server time, p95"),
    ("concurrent16_median_s", "16 concurrent scorecards in 16 browsers on this machine, median"),
    ("concurrent16_p95_s", "16 concurrent scorecards in 16 browsers on this machine, p95"),
    ("concurrent16_script_median_s",
     "16 browsers: script running as the browsers saw it (cores shared with 16 renderers), "
     "median"),
    ("concurrent16_script_p95_s",
     "16 browsers: script running as the browsers saw it (cores shared with 16 renderers), "
     "p95"),
)


def _rate(step: dict) -> str:
    return f"{step['rows_per_s'] / 1e6:.2f}M rows/s ({step['seconds']:.1f} s)"


def _gb(step: dict) -> str:
    return f"{step['peak_gb']:.2f} GB"


if __name__ == "__main__":
    t0 = time.time()
    code = main()
    say(f"done in {time.time() - t0:.0f} s")
    sys.exit(code)
