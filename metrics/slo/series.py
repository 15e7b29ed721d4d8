"""SLO series for charts: burn rate over time, budget burn-down, latency (spec: slo.md).

Set-based: SLI windows are bucketed per step in one scan, a spine of every step is
left-joined so quiet steps still count, and window functions over the buckets give the
rolling and cumulative sums. ``at`` defaults as in ``slo_report`` (the end of the
newest SLI window over all endpoints). An unknown endpoint gives an empty frame.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from metrics.config import OrgConfig
from metrics.slo.alerts import LOOKBACKS
from metrics.slo.objectives import Objective
from metrics.slo.queries import endpoint_objectives, resolve_at

# ibis (and the backend built on it) is imported where a chart is computed: the dashboard
# imports this module on every start, and only its SLO charts need ibis (0.5 s).
if TYPE_CHECKING:
    from ibis.backends.duckdb import Backend
    from ibis.expr.types import Table

SERIES_LOOKBACKS = ("1h", "6h", "3d")
MAX_POINTS = 2000
NICE_STEPS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
_UNITS = {"m": 60, "h": 3600, "d": 86400}


def parse_step(step: str) -> int:
    """'5m' → 300, '1h' → 3600, '1d' → 86400 seconds."""
    unit = _UNITS.get(step[-1:])
    if unit is None or not step[:-1].isdigit() or int(step[:-1]) <= 0:
        raise ValueError(f"step {step!r} is not a duration; use e.g. 5m, 1h or 1d.")
    return int(step[:-1]) * unit


def burn_rate_series(db: Path, endpoint: str, at: datetime | None = None,
                     config: OrgConfig | None = None, days: int = 7,
                     step: str = "1h",
                     lookbacks: tuple[str, ...] = SERIES_LOOKBACKS) -> pd.DataFrame:
    """Columns t, lookback ('1h', '6h', '3d', or the `lookbacks` asked for, each a multiple
    of `step`), burn_rate: the burn rate at each step
    t = at − (n−1)·step … at (n = days ÷ step), over windows starting in [t − w, t).
    burn_rate is NaN where the look-back has no requests."""
    import ibis

    step_s = parse_step(step)
    if any(LOOKBACKS[w] % step_s for w in lookbacks) or (days * 86400) % step_s:
        raise ValueError(f"step {step} must divide {', '.join(lookbacks)} and {days} days; "
                         "use e.g. 5m or 1h.")
    columns = ["t", "lookback", "burn_rate"]
    with _session(db, endpoint, at, config) as (backend, at, obj):
        if obj is None:
            return pd.DataFrame(columns=columns)
        n, longest = days * 86400 // step_s, max(LOOKBACKS[w] for w in lookbacks) // step_s
        origin = at - timedelta(seconds=(n + longest - 1) * step_s)
        # bucket b holds windows starting in [origin + b·step, origin + (b+1)·step);
        # the look-backs ending at t_b = origin + (b+1)·step are buckets b−m+1 … b.
        steps = _bucketed(backend, endpoint, origin, at, step_s, n + longest - 1)
        budget = (100 - obj.availability) / 100
        rolling = {}
        for w in lookbacks:
            m = LOOKBACKS[w] // step_s
            frame = ibis.window(order_by="b", range=(-(m - 1), 0))
            rolling[w] = (steps.err.sum().over(frame)
                          / steps.req.sum().over(frame).nullif(0) / budget)
        wide = steps.mutate(**rolling).filter(lambda s: s.b >= longest - 1).order_by("b")
        df = wide.to_pandas()
    df["t"] = pd.Timestamp(origin) + pd.to_timedelta((df["b"] + 1) * step_s, unit="s")
    long = df.melt(id_vars="t", value_vars=list(lookbacks),
                   var_name="lookback", value_name="burn_rate")
    long["burn_rate"] = long["burn_rate"].astype("float64")
    return long[columns].reset_index(drop=True)


def budget_burndown(db: Path, endpoint: str, at: datetime | None = None,
                    config: OrgConfig | None = None) -> pd.DataFrame:
    """Columns day, budget_remaining, ideal: one row per day boundary of the compliance
    window [at − W, at), from day 0 (its start) to day W (= at).

    remaining(d) = 100 × (1 − cum_errors(d) ÷ ((1 − objective) × requests_in_window(at))):
    errors so far against the budget of the *whole* window's requests, so the last row is
    slo_report's budget_remaining and earlier rows never move when later traffic is quiet.
    ideal(d) = 100 × (1 − d ÷ W), the straight line from 100 to 0. remaining is NaN when
    the window has no requests."""
    import ibis

    columns = ["day", "budget_remaining", "ideal"]
    with _session(db, endpoint, at, config) as (backend, at, obj):
        if obj is None:
            return pd.DataFrame(columns=columns)
        days = obj.window_days
        start = at - timedelta(days=days)
        # bucket b = day b+1 of the window; spine row k = the end of day k (k = 0 … W)
        daily = _bucketed(backend, endpoint, start, at, 86400, days)
        daily = daily.mutate(k=daily.b + 1)
        day0 = ibis.memtable({"k": [0], "req": [0], "err": [0]})
        spine = daily.select("k", "req", "err").union(day0)
        cum = ibis.window(order_by="k", preceding=None, following=0)
        total = spine.req.sum().over(ibis.window())
        budget = (100 - obj.availability) / 100
        out = spine.mutate(remaining=100 * (1 - spine.err.sum().over(cum)
                                            / (budget * total.nullif(0))))
        df = out.order_by("k").to_pandas()
    df["day"] = pd.Timestamp(start) + pd.to_timedelta(df["k"], unit="D")
    df["budget_remaining"] = df["remaining"].astype("float64")
    df["ideal"] = 100 * (1 - df["k"] / days)
    return df[columns]


def latency_series(db: Path, endpoint: str, at: datetime | None = None, days: int = 7,
                   config: OrgConfig | None = None) -> pd.DataFrame:
    """Columns window_start, latency_p95_ms, latency_p99_ms, objective_ms over windows
    starting in [at − days, at); at most 2000 points: windows are grouped into UTC-aligned
    buckets of the smallest of 1m, 5m, 10m, 15m, 30m, 1h … 1d that keeps ≤ 2000, keeping
    the max of each (so a spike is never averaged away)."""
    columns = ["window_start", "latency_p95_ms", "latency_p99_ms", "objective_ms"]
    span = days * 86400
    step = next((s for s in NICE_STEPS if math.ceil(span / s) + 1 <= MAX_POINTS), 86400)
    with _session(db, endpoint, at, config) as (backend, at, obj):
        if obj is None:
            return pd.DataFrame(columns=columns)
        t = backend.table("inference_sli")
        rows = t.filter(t.endpoint == endpoint, t.window_start >= at - timedelta(days=days),
                        t.window_start < at)
        bucket = (rows.window_start.epoch_seconds() / step).floor() * step
        out = rows.group_by(bucket=bucket).aggregate(
            latency_p95_ms=rows.latency_p95_ms.max(), latency_p99_ms=rows.latency_p99_ms.max())
        df = out.order_by("bucket").to_pandas()
    df["window_start"] = pd.to_datetime(df["bucket"], unit="s", utc=True)
    df["objective_ms"] = float(obj.latency_p95_ms)
    return df[columns].astype({c: "float64" for c in columns[1:]})


def _bucketed(backend: Backend, endpoint: str, origin: datetime, at: datetime,
              step_s: int, count: int) -> Table:
    """b = 0 … count−1 with req, err: the endpoint's sums over windows starting in
    [origin + b·step, origin + (b+1)·step); 0 for a step with no windows."""
    import ibis

    t = backend.table("inference_sli")
    rows = t.filter(t.endpoint == endpoint, t.window_start >= origin, t.window_start < at)
    b = ((rows.window_start.epoch_seconds() - origin.timestamp()) / step_s).floor()
    sums = rows.group_by(b=b).aggregate(req=rows.requests.sum(), err=rows.errors.sum())
    spine = ibis.memtable({"b": list(range(count))})
    joined = spine.left_join(sums, "b")
    return joined.select("b", req=joined.req.coalesce(0), err=joined.err.coalesce(0))


@contextlib.contextmanager
def _session(db: Path, endpoint: str, at: datetime | None, config: OrgConfig | None
             ) -> Iterator[tuple[Backend, datetime | None, Objective | None]]:
    """A backend, the resolved ``at`` and the endpoint's objective; closed on exit.
    The objective is None when the endpoint has no row in the longest window before at."""
    from metrics.sql.backend import open_backend

    backend = open_backend(Path(db))
    try:
        resolved = resolve_at(backend.con, at)
        found = [] if resolved is None else endpoint_objectives(
            backend.con, resolved, config or OrgConfig(), endpoint=endpoint)
        yield backend, resolved, found[0]["objective"] if found else None
    finally:
        backend.disconnect()
