"""What a director's analyst would do instead: a plain pandas script over the same file.

Computes, for one quarter, inference availability and the latency-SLO share, and,
at the end of the newest window, each endpoint's 30-day availability, budget
remaining and 1h burn rate, with the default objectives of ``slo.md``. Run as its
own process (``python -m bench.pandas_baseline FILE PERIOD [--chunked]``) so that its time
and peak memory are measured like mlkpi's.

A file too big for memory (263M rows would take ~75 GB as one DataFrame) is read the way
an analyst would then: ``--chunked``, row group by row group in two passes (the quarter's
sums, each endpoint's latest tier and the newest window end; then the 30-day and 1-hour
sums per endpoint), combining partial sums.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.measure import run_measured

OBJECTIVE = {1: 99.9, 2: 99.5, 3: 99.0}
P95_MS = {1: 300.0, 2: 500.0, 3: 1000.0}
TOLERANCE = 1e-9


def answers(path: Path, period: str) -> dict:
    import pandas as pd

    df = pd.read_parquet(path)
    year, q = int(period[:4]), int(period[-1])
    start = pd.Timestamp(year=year, month=3 * q - 2, day=1, tz="UTC")
    end = start + pd.DateOffset(months=3)
    latest = df.sort_values("window_start").groupby("endpoint").tail(1).set_index("endpoint")
    tier = latest["tier"]
    in_q = df[(df.window_start >= start) & (df.window_start < end)]
    availability = 100 * (1 - in_q.errors.sum() / in_q.requests.sum())
    timed = in_q[(in_q.requests > 0) & in_q.latency_p95_ms.notna()]
    limit = timed.endpoint.map(tier).map(P95_MS)
    latency = 100 * (timed.latency_p95_ms <= limit).sum() / len(timed)

    at = (df.window_start + pd.to_timedelta(df.window_seconds, unit="s")).max()
    endpoints = {}
    for name, rows in df[df.window_start >= at - pd.Timedelta(days=30)].groupby("endpoint"):
        budget = 1 - OBJECTIVE[int(tier[name])] / 100
        ratio = rows.errors.sum() / rows.requests.sum()
        hour = rows[rows.window_start >= at - pd.Timedelta(hours=1)]
        served = hour.requests.sum()
        burn_1h = (hour.errors.sum() / served) / budget if served else None
        endpoints[name] = {"availability": 100 * (1 - ratio),
                           "budget_remaining": 100 - 100 * ratio / budget, "burn_1h": burn_1h}
    return {"availability": availability, "latency_slo": latency, "endpoints": endpoints}


COLUMNS = ["endpoint", "tier", "window_start", "window_seconds", "requests", "errors",
           "latency_p95_ms"]


def answers_chunked(path: Path, period: str) -> dict:
    """The same answers, reading the file one row group at a time (two passes)."""
    import pandas as pd
    import pyarrow.parquet as pq

    year, q = int(period[:4]), int(period[-1])
    start = pd.Timestamp(year=year, month=3 * q - 2, day=1, tz="UTC")
    end = start + pd.DateOffset(months=3)
    limits = sorted(set(P95_MS.values()))
    file = pq.ParquetFile(path)
    latest, at = None, None
    requests = errors = 0
    met = None  # per endpoint: timed windows, and those under each p95 limit
    for i in range(file.num_row_groups):
        df = file.read_row_group(i, columns=COLUMNS).to_pandas()
        last = df.sort_values("window_start").groupby("endpoint").tail(1)
        last = last.set_index("endpoint")[["window_start", "tier"]]
        latest = last if latest is None else (
            pd.concat([latest, last]).sort_values("window_start")
            .groupby(level=0).tail(1))
        ends = (df.window_start + pd.to_timedelta(df.window_seconds, unit="s")).max()
        at = ends if at is None else max(at, ends)
        in_q = df[(df.window_start >= start) & (df.window_start < end)]
        requests += int(in_q.requests.sum())
        errors += int(in_q.errors.sum())
        timed = in_q[(in_q.requests > 0) & in_q.latency_p95_ms.notna()]
        counts = pd.DataFrame({"timed": 1, **{f"le_{x}": timed.latency_p95_ms <= x
                                              for x in limits}}, index=timed.index)
        part = counts.groupby(timed.endpoint).sum()
        met = part if met is None else met.add(part, fill_value=0)
    tier = latest["tier"]
    availability = 100 * (1 - errors / requests)
    own = [met.loc[e, f"le_{P95_MS[int(tier[e])]}"] for e in met.index]
    latency = 100 * sum(own) / met["timed"].sum()

    since, hour = at - pd.Timedelta(days=30), at - pd.Timedelta(hours=1)
    sums = None
    for i in range(file.num_row_groups):
        df = file.read_row_group(i, columns=COLUMNS).to_pandas()
        df = df[df.window_start >= since]
        last_hour = df.window_start >= hour
        part = pd.DataFrame({"req": df.requests, "err": df.errors,
                             "req_1h": df.requests.where(last_hour, 0),
                             "err_1h": df.errors.where(last_hour, 0)}).groupby(df.endpoint).sum()
        sums = part if sums is None else sums.add(part, fill_value=0)
    endpoints = {}
    for name, row in sums.iterrows():
        budget = 1 - OBJECTIVE[int(tier[name])] / 100
        ratio = row.req and row.err / row.req
        burn_1h = (row.err_1h / row.req_1h) / budget if row.req_1h else None
        endpoints[name] = {"availability": 100 * (1 - ratio),
                           "budget_remaining": 100 - 100 * ratio / budget, "burn_1h": burn_1h}
    return {"availability": availability, "latency_slo": latency, "endpoints": endpoints}


def run(path: Path, period: str, chunked: bool = False) -> dict:
    """Time the script as its own process; returns its answers with seconds and peak GB."""
    cmd = [sys.executable, "-m", "bench.pandas_baseline", str(path), period]
    r = run_measured(cmd + (["--chunked"] if chunked else []))
    return {"seconds": round(r.seconds, 3), "peak_gb": round(r.peak_gb, 3),
            "chunked": chunked, "answers": json.loads(r.stdout)}


def compare(base: dict, kpis: dict, slo: dict) -> dict:
    """Do pandas and mlkpi give the same numbers? Lists every difference."""
    ours = {k["id"]: k["value"] for k in kpis["kpis"]}
    a = base["answers"]
    diffs = []
    _check(diffs, "inference_availability", a["availability"], ours["inference_availability"])
    _check(diffs, "inference_latency_slo", a["latency_slo"], ours["inference_latency_slo"])
    by_name = {e["endpoint"]: e for e in slo["endpoints"]}
    for name, want in a["endpoints"].items():
        got = by_name.get(name)
        if got is None:
            diffs.append(f"{name}: missing from mlkpi slo")
            continue
        _check(diffs, f"{name} availability", want["availability"], got["availability"])
        _check(diffs, f"{name} budget_remaining", want["budget_remaining"],
               got["budget_remaining"])
        _check(diffs, f"{name} burn 1h", want["burn_1h"], got["burn_rates"]["1h"])
    return {"agree": not diffs, "checked": 2 + 3 * len(a["endpoints"]), "differences": diffs}


def _check(diffs: list, label: str, want: float | None, got: float | None) -> None:
    if want is None or got is None:
        if want is not got:
            diffs.append(f"{label}: pandas {want}, mlkpi {got}")
        return
    if abs(want - got) > TOLERANCE * max(1.0, abs(want)):
        diffs.append(f"{label}: pandas {want}, mlkpi {got}")


if __name__ == "__main__":
    compute = answers_chunked if "--chunked" in sys.argv[3:] else answers
    json.dump(compute(Path(sys.argv[1]), sys.argv[2]), sys.stdout, default=float)
