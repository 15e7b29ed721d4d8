"""SLOs: objectives, error budget, burn rates and alert state (spec: slo.md).

Multiwindow, multi-burn-rate alerting of the SRE Workbook. Every figure is an ibis
expression over ``inference_sli``: conditional sums over look-backs ``[T − w, T)`` on
``window_start``, evaluated in two scans of the store (endpoint attributes, then figures).

    objective 99.9 %, 1 h look-back: 144 errors in 10,000 requests → error ratio 1.44 %
    → burn rate 0.0144 ÷ 0.001 = 14.4 (2 % of a 30-day budget spent in one hour).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
from ibis.backends.duckdb import Backend
from ibis.expr.types import Table

from metrics.config import SLO_DEFAULTS, Objective, OrgConfig, slo_objective
from metrics.query import open_backend

LOOKBACKS: dict[str, int] = {"5m": 300, "30m": 1800, "1h": 3600, "2h": 7200,
                             "6h": 21600, "1d": 86400, "3d": 259200}
SEVERITY = {"page": 0, "ticket": 1, "ok": 2, "no_data": 3}
# Floating point: 0.0144 ÷ (1 − 0.999) is 14.399999999999986. A rate within one part in
# 10^9 of its threshold counts as *at* the threshold, so it does not fire.
FIRE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class AlertRule:
    """One row of slo.md's alert table: fires when both look-backs burn above threshold."""

    severity: str
    long: str
    short: str
    budget_percent: int  # the share of the whole budget spent over `long` at the threshold

    @property
    def name(self) -> str:
        return f"{self.long}/{self.short}"

    def threshold(self, window_days: int) -> float:
        """Budget share × window ÷ long look-back: 2 % × 720 h ÷ 1 h = 14.4 (30 days),
        10 % × 672 h ÷ 72 h = 0.9333… (28 days). One division of integers: no drift."""
        return self.budget_percent * window_days * 86400 / (100 * LOOKBACKS[self.long])


ALERT_RULES = (AlertRule("page", "1h", "5m", 2), AlertRule("page", "6h", "30m", 5),
               AlertRule("ticket", "1d", "2h", 10), AlertRule("ticket", "3d", "6h", 10))


def slo_report(db: Path, at: datetime | None = None, team: str | None = None,
               tier: int | None = None, endpoint: str | None = None,
               config: OrgConfig | None = None) -> dict[str, Any]:
    """Per-endpoint SLO figures and alert state at instant ``at`` (cli.md's JSON shape).

    ``at`` defaults to the end of the newest SLI window of *all* endpoints,
    max(window_start + window_seconds); a naive ``at`` is taken as UTC. Endpoints listed
    are those with a row starting in [at − longest compliance window, at); an endpoint's
    team and tier are those of its latest row starting before ``at``, and the team/tier
    filters apply to them. An unknown endpoint gives an empty list. Sorted worst first:
    page, ticket, ok, no_data, then budget_remaining ascending (null last), then name.
    """
    config = config or OrgConfig()
    backend = open_backend(Path(db))
    try:
        at = resolve_at(backend, at)
        if at is None:
            return {"at": None, "endpoints": [], "warnings": []}
        objectives = endpoint_objectives(backend, at, config, endpoint, team, tier)
        rows = _figures(backend, at, objectives) if objectives else []
    finally:
        backend.disconnect()
    endpoints = sorted((_endpoint_entry(row) for row in rows), key=_worst_first)
    warnings = [_unreachable_sentence(e) for e in endpoints if e["page_unreachable"]]
    return {"at": iso_z(at), "endpoints": endpoints, "warnings": warnings}


# --- shared with slo_series -----------------------------------------------------------

def resolve_at(backend: Backend, at: datetime | None) -> datetime | None:
    """``at`` in UTC; by default the end of the newest SLI window (None: no SLI rows).

    Two cheap scans instead of max(window_start + window_seconds) over every row: a window
    that starts before newest_start − longest_window cannot end after the newest one."""
    if at is not None:
        return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    t = backend.table("inference_sli")
    newest, longest = t.aggregate(s=t.window_start.max(), n=t.window_seconds.max()
                                  ).to_pyarrow().to_pylist()[0].values()
    if newest is None:
        return None
    tail = t.filter(t.window_start >= newest - timedelta(seconds=longest))
    end = (tail.window_start + tail.window_seconds.as_interval("s")).max()
    return end.to_pyarrow().as_py().astimezone(UTC)


def longest_window_days(config: OrgConfig) -> int:
    """The longest compliance window any endpoint can have under ``config``."""
    overrides = [*config.slo_tiers.values(), *config.slo_endpoints.values()]
    return max([days for _, _, days in SLO_DEFAULTS.values()]
               + [o.window_days for o in overrides if o.window_days is not None])


def endpoint_objectives(backend: Backend, at: datetime, config: OrgConfig,
                        endpoint: str | None = None, team: str | None = None,
                        tier: int | None = None) -> list[dict[str, Any]]:
    """[{"endpoint", "team", "tier", "objective": Objective}] for the endpoints with a row
    in [at − longest window, at), team and tier from each one's latest such row."""
    t = backend.table("inference_sli")
    since = at - timedelta(days=longest_window_days(config))
    rows = t.filter(t.window_start >= since, t.window_start < at)
    if endpoint is not None:
        rows = rows.filter(rows.endpoint == endpoint)
    # the latest row per endpoint, by a join on (endpoint, its max window_start): DuckDB
    # prunes the probe scan of `t` to the newest rows. (argmax compiles to a slow ordered
    # FIRST(); joining `rows` to itself makes a materialised CTE that scans 30 days.)
    last = rows.group_by("endpoint").aggregate(last_start=rows.window_start.max())
    attrs = t.join(last, [t.endpoint == last.endpoint, t.window_start == last.last_start]
                   ).select("endpoint", "team", "tier")
    if team is not None:
        attrs = attrs.filter(attrs.team == team)
    if tier is not None:
        attrs = attrs.filter(attrs.tier == tier)
    return [{**a, "objective": slo_objective(a["endpoint"], a["tier"], config)}
            for a in attrs.to_pyarrow().to_pylist()]


def objectives_table(at: datetime, objectives: list[dict[str, Any]]) -> Table:
    """An ibis memtable, one row per endpoint: its objective figures and window start."""
    objs: list[Objective] = [o["objective"] for o in objectives]
    return ibis.memtable(pa.table({
        "endpoint": pa.array([o["endpoint"] for o in objectives], pa.string()),
        "budget": pa.array([(100 - o.availability) / 100 for o in objs], pa.float64()),
        "latency_objective": pa.array([float(o.latency_p95_ms) for o in objs], pa.float64()),
        "window_from": pa.array([at - timedelta(days=o.window_days) for o in objs],
                                pa.timestamp("us", tz="UTC")),
    }))


def iso_z(when: datetime) -> str:
    """2026-09-30T23:55:00Z (microseconds only when there are some)."""
    spec = "microseconds" if when.microsecond else "seconds"
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec=spec) + "Z"


# --- the figures ------------------------------------------------------------------------

def _figures(backend: Backend, at: datetime,
             objectives: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per endpoint: the look-back burn rates (a scan of the last 3 days) and the
    compliance-window figures (a scan of the longest window), merged by endpoint."""
    objs = objectives_table(at, objectives)
    since = min(at - timedelta(days=o["objective"].window_days) for o in objectives)
    recent = _burn_rates(backend, at, objs)
    window = _window_figures(backend, at, objs, since)
    # only an endpoint burning above 1 over the last hour has a burn episode to date
    hot = [e for e, r in recent.items() if (r.get("burn_1h") or 0) > 1 + FIRE_TOLERANCE]
    burning = _burning_since(backend, at, objs.filter(objs.endpoint.isin(hot)), since
                             ) if hot else {}
    # an endpoint with rows only before its own (shorter) window: listed, figures null
    empty = dict.fromkeys(("requests", "errors", "availability", "budget_consumed",
                           "budget_remaining", "latency_compliance"))
    return [{**o, **recent.get(o["endpoint"], {}), **window.get(o["endpoint"], empty),
             "burning_since": burning.get(o["endpoint"])} for o in objectives]


def _rows(backend: Backend, since: datetime, at: datetime, objs: Table) -> Table:
    """SLI rows starting in [since, at) of the endpoints in ``objs``, with their objectives."""
    t = backend.table("inference_sli")
    return t.filter(t.window_start >= since, t.window_start < at).join(objs, "endpoint")


def _burn_rates(backend: Backend, at: datetime, objs: Table) -> dict[str, dict[str, Any]]:
    """{endpoint: {"burn_5m": …, "req_5m": …, …}}; burn null when no requests."""
    j = _rows(backend, at - timedelta(seconds=max(LOOKBACKS.values())), at, objs)
    sums: dict[str, Any] = {}
    for name, seconds in LOOKBACKS.items():
        inside = j.window_start >= at - timedelta(seconds=seconds)
        sums[f"req_{name}"] = j.requests.sum(where=inside)
        sums[f"err_{name}"] = j.errors.sum(where=inside)
    sums["budget"] = j.budget.max()
    agg = j.group_by("endpoint").aggregate(**sums)
    result = agg.select(
        "endpoint", *[f"req_{name}" for name in LOOKBACKS],
        **{f"burn_{name}": agg[f"err_{name}"] / agg[f"req_{name}"].nullif(0) / agg.budget
           for name in LOOKBACKS})
    return {row["endpoint"]: row for row in result.to_pyarrow().to_pylist()}


def _window_figures(backend: Backend, at: datetime, objs: Table,
                    since: datetime) -> dict[str, dict[str, Any]]:
    """{endpoint: {"availability", "budget_consumed", …}} over each one's own window."""
    j = _rows(backend, since, at, objs)
    inside = j.window_start >= j.window_from
    timed = inside & (j.requests > 0) & j.latency_p95_ms.notnull()
    agg = j.group_by("endpoint").aggregate(
        requests=j.requests.sum(where=inside), errors=j.errors.sum(where=inside),
        timed=j.endpoint.count(where=timed),
        fast=j.endpoint.count(where=timed & (j.latency_p95_ms <= j.latency_objective)),
        budget=j.budget.max())
    ratio = agg.errors / agg.requests.nullif(0)
    consumed = 100 * ratio / agg.budget
    result = agg.select(
        "endpoint", "requests", "errors",
        availability=100 * (1 - ratio), budget_consumed=consumed,
        budget_remaining=100 - consumed,
        latency_compliance=100 * agg.fast / agg.timed.nullif(0))
    return {row["endpoint"]: row for row in result.to_pyarrow().to_pylist()}


def _burning_since(backend: Backend, at: datetime, objs: Table,
                   since: datetime) -> dict[str, datetime]:
    """{endpoint: start of the current burn episode}, for endpoints burning now.

    Hour k (k = 0, 1, …) holds the windows starting in [at − (k+1) h, at − k h): its burn
    is the 1h burn rate at instant at − k h. The episode is the unbroken run of hours
    k = 0 … K each burning above 1 (a quiet hour breaks it: no requests, no burn), so it
    began at at − (K+1) h. Errors from 22:00 on, at = 00:00 → hours 0 and 1 burn, hour 2
    does not → since 22:00. Bounded by the endpoint's own window: an episode that fills
    it reports the window's start. Hours are found in one scan; the run from hour 0 is the
    burning hours whose k equals their rank (gaps-and-islands)."""
    j = _rows(backend, since, at, objs)
    j = j.filter(j.window_start >= j.window_from)
    hour = ((at.timestamp() - j.window_start.epoch_seconds()) / 3600).ceil() - 1
    hours = j.group_by(["endpoint", hour.name("k")]).aggregate(
        req=j.requests.sum(), err=j.errors.sum(), budget=j.budget.max())
    burning = hours.filter(hours.req > 0,
                           hours.err / hours.req / hours.budget > 1 + FIRE_TOLERANCE)
    rank = ibis.row_number().over(group_by="endpoint", order_by="k")
    ranked = burning.mutate(rank=rank)
    run = ranked.filter(ranked.k == ranked.rank)  # hours 0, 1, …, K with no gap
    counts = run.group_by("endpoint").aggregate(n=run.count())
    return {r["endpoint"]: at - timedelta(hours=int(r["n"]))
            for r in counts.to_pyarrow().to_pylist()}


def _endpoint_entry(row: dict[str, Any]) -> dict[str, Any]:
    obj: Objective = row["objective"]
    burn = {name: row.get(f"burn_{name}") for name in LOOKBACKS}
    no_data = not row.get("req_1h") and not row.get("req_3d")
    fired = [] if no_data else [r for r in ALERT_RULES if _fires(r, burn, obj.window_days)]
    alert = "no_data" if no_data else (fired[0].severity if fired else "ok")
    page_threshold = ALERT_RULES[0].threshold(obj.window_days)
    return {
        "endpoint": row["endpoint"], "team": row["team"], "tier": row["tier"],
        "objective": obj.availability, "latency_p95_objective_ms": obj.latency_p95_ms,
        "window_days": obj.window_days, "objective_source": obj.source,
        "availability": row["availability"], "latency_compliance": row["latency_compliance"],
        "budget_consumed": row["budget_consumed"], "budget_remaining": row["budget_remaining"],
        "burn_rates": burn, "alert": alert, "fired": [r.name for r in fired],
        "thresholds": {r.name: r.threshold(obj.window_days) for r in ALERT_RULES},
        "hours_to_exhaustion": _hours_to_exhaustion(row["budget_remaining"], burn["1d"],
                                                    obj.window_days),
        "page_unreachable": 1 / (1 - obj.availability / 100) <= page_threshold,
        "requests": row["requests"] or 0, "errors": row["errors"] or 0,
        "burning_since": _since(row.get("burning_since"), burn["1h"]),
    }


def _since(since: datetime | None, burn_1h: float | None) -> str | None:
    """The start of the burn episode as ISO (Z); None unless the 1h burn rate is above 1."""
    if since is None or burn_1h is None or burn_1h <= 1 + FIRE_TOLERANCE:
        return None
    return iso_z(since)


def _fires(rule: AlertRule, burn: dict[str, float | None], window_days: int) -> bool:
    limit = rule.threshold(window_days) * (1 + FIRE_TOLERANCE)
    long, short = burn[rule.long], burn[rule.short]
    return long is not None and short is not None and long > limit and short > limit


def _hours_to_exhaustion(remaining: float | None, burn_1d: float | None,
                         window_days: int) -> float | None:
    """Hours until the budget is spent at the 1d burn rate: at burn b the whole budget
    lasts window ÷ b, so 50 % left at burn 2 over 30 days → 0.5 × 720 h ÷ 2 = 180 h."""
    if remaining is None:
        return None
    if remaining <= 0:
        return 0.0
    if burn_1d is None or burn_1d <= 0:
        return None
    return remaining / 100 * window_days * 24 / burn_1d


def _worst_first(entry: dict[str, Any]) -> tuple:
    remaining = entry["budget_remaining"]
    return (SEVERITY[entry["alert"]], remaining is None,
            0.0 if remaining is None else remaining, entry["endpoint"])


def _unreachable_sentence(entry: dict[str, Any]) -> str:
    most = 1 / (1 - entry["objective"] / 100)
    return (f"{entry['endpoint']}'s objective of {entry['objective']:g} % can never page on "
            f"the 1h/5m row: even a 100 % error ratio burns at {most:.4g}, not above "
            f"{entry['thresholds']['1h/5m']:.4g}; tighten the objective or rely on the "
            f"other rows.")
