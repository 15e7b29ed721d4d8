"""What a director's analyst would do instead: a plain pandas script over the same file.

Computes, for one quarter, inference availability and the latency-SLO share, and,
at the end of the newest window, each endpoint's 30-day availability, budget
remaining and 1h burn rate, with the default objectives of ``slo.md``. Run as its
own process (``python -m bench.pandas_baseline FILE PERIOD``) so that its time and
peak memory are measured like mlkpi's.
"""

from __future__ import annotations

import json
import sys
import time
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


def run(path: Path, period: str) -> dict:
    """Time the script as its own process; returns its answers with seconds and peak GB."""
    r = run_measured([sys.executable, "-m", "bench.pandas_baseline", str(path), period])
    return {"seconds": round(r.seconds, 3), "peak_gb": round(r.peak_gb, 3),
            "answers": json.loads(r.stdout)}


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
    t0 = time.perf_counter()
    result = answers(Path(sys.argv[1]), sys.argv[2])
    json.dump(result, sys.stdout)
