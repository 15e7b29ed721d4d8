"""SLOs: objectives, error budget, burn rates and alert state (spec: slo.md).

Multiwindow, multi-burn-rate alerting of the SRE Workbook. Every figure is an ibis
expression over ``inference_sli``: conditional sums over look-backs ``[T − w, T)`` on
``window_start``, evaluated in a few scans of the store (endpoint attributes, then
figures), each compiled once per shape (``metrics.sql.templates``): ``mlkpi slo`` runs the
SQL without importing ibis. The endpoints' objectives reach the SQL as a parameter table.

    objective 99.9 %, 1 h look-back: 144 errors in 10,000 requests → error ratio 1.44 %
    → burn rate 0.0144 ÷ 0.001 = 14.4 (2 % of a 30-day budget spent in one hour).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from metrics.config import SLO_DEFAULTS, Objective, OrgConfig, slo_objective
from metrics.sql.engine import Engine, as_engine, connect
from metrics.sql.templates import Query, shifted

if TYPE_CHECKING:
    from ibis.expr.types import Table

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
               config: OrgConfig | None = None, backend: str | None = None) -> dict[str, Any]:
    """Per-endpoint SLO figures and alert state at instant ``at`` (cli.md's JSON shape),
    on the store ``db`` or the engine of the ``backend`` URL (``metrics.sql.engine``).

    ``at`` defaults to the end of the newest SLI window of *all* endpoints,
    max(window_start + window_seconds); a naive ``at`` is taken as UTC. Endpoints listed
    are those with a row starting in [at − longest compliance window, at); an endpoint's
    team and tier are those of its latest row starting before ``at``, and the team/tier
    filters apply to them. An unknown endpoint gives an empty list. Sorted worst first:
    page, ticket, ok, no_data, then budget_remaining ascending (null last), then name.
    """
    config = config or OrgConfig()
    con = connect(Path(db), backend)
    try:
        at = resolve_at(con, at)
        if at is None:
            return {"at": None, "endpoints": [], "warnings": []}
        objectives = endpoint_objectives(con, at, config, endpoint, team, tier)
        rows = _figures(con, at, objectives) if objectives else []
    finally:
        con.close()
    endpoints = sorted((_endpoint_entry(row) for row in rows), key=_worst_first)
    warnings = [_unreachable_sentence(e) for e in endpoints if e["page_unreachable"]]
    return {"at": iso_z(at), "endpoints": endpoints, "warnings": warnings}


# --- running a query ----------------------------------------------------------------------

Build = Callable[["Tables", dict[str, Any]], Any]


def _fetch(con: Engine | duckdb.DuckDBPyConnection, name: str, shape: tuple, values: dict[str, Any],
           build: Build, tables: dict[str, dict[str, list]] | None = None
           ) -> list[dict[str, Any]]:
    """Rows of one SLO query, compiled once per shape (``metrics.sql.templates``): ``build``
    makes the ibis expression from ``values`` (timestamps and names, each a parameter of
    the SQL), once with them and once with every one changed, to prove the template."""
    check = {k: _changed(v) for k, v in values.items()}
    engine = as_engine(con)
    query = Query(f"slo.{name}", shape, values, check,
                  lambda is_check: build(Tables(engine, tables or {}),
                                         check if is_check else values),
                  tables or {})
    return engine.fetch(query)


def _changed(value: Any) -> Any:
    return f"{value} (check)" if isinstance(value, str) else shifted(value)


class Tables:
    """Ibis tables and literals for a query being built (ibis is imported only here)."""

    def __init__(self, engine: Engine, tables: dict[str, dict[str, list]]) -> None:
        self.engine = engine
        self.tables = tables

    def __call__(self, kind: str) -> Table:
        return self.engine.table(kind)

    @staticmethod
    def ts(value: datetime):
        import ibis

        return ibis.literal(value.astimezone(UTC), type="timestamp('UTC')")


# --- shared with slo_series -----------------------------------------------------------

def resolve_at(con: duckdb.DuckDBPyConnection, at: datetime | None) -> datetime | None:
    """``at`` in UTC; by default the end of the newest SLI window (None: no SLI rows).

    Two cheap scans instead of max(window_start + window_seconds) over every row: a window
    that starts before newest_start − longest_window cannot end after the newest one."""
    if at is not None:
        return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    found = _fetch(con, "newest", (), {}, _newest)[0]
    if found["newest"] is None:
        return None
    tail_from = found["newest"].astimezone(UTC) - timedelta(seconds=found["longest"])
    end = _fetch(con, "tail", (), {"tail_from": tail_from}, _tail_end)[0]["end"]
    return end.astimezone(UTC)


def _newest(t: Tables, v: dict[str, Any]) -> Table:
    sli = t("inference_sli")
    return sli.aggregate(newest=sli.window_start.max(), longest=sli.window_seconds.max())


def _tail_end(t: Tables, v: dict[str, Any]) -> Table:
    sli = t("inference_sli")
    tail = sli.filter(sli.window_start >= t.ts(v["tail_from"]))
    return tail.aggregate(end=(tail.window_start + tail.window_seconds.as_interval("s")).max())


def longest_window_days(config: OrgConfig) -> int:
    """The longest compliance window any endpoint can have under ``config``."""
    overrides = [*config.slo_tiers.values(), *config.slo_endpoints.values()]
    return max([days for _, _, days in SLO_DEFAULTS.values()]
               + [o.window_days for o in overrides if o.window_days is not None])


def endpoint_objectives(con: duckdb.DuckDBPyConnection, at: datetime, config: OrgConfig,
                        endpoint: str | None = None, team: str | None = None,
                        tier: int | None = None) -> list[dict[str, Any]]:
    """[{"endpoint", "team", "tier", "objective": Objective}] for the endpoints with a row
    in [at − longest window, at), team and tier from each one's latest such row."""
    values: dict[str, Any] = {"since": at - timedelta(days=longest_window_days(config)),
                              "at": at}
    values.update((k, v) for k, v in (("endpoint", endpoint), ("team", team)) if v is not None)
    rows = _fetch(con, "attributes", (endpoint is None, team is None, tier), values,
                  lambda t, v: _attributes(t, v, tier))
    return [{**a, "objective": slo_objective(a["endpoint"], a["tier"], config)} for a in rows]


def _attributes(t: Tables, v: dict[str, Any], tier: int | None) -> Table:
    sli = t("inference_sli")
    rows = sli.filter(sli.window_start >= t.ts(v["since"]), sli.window_start < t.ts(v["at"]))
    if "endpoint" in v:
        rows = rows.filter(rows.endpoint == v["endpoint"])
    # the latest row per endpoint, by a join on (endpoint, its max window_start): DuckDB
    # prunes the probe scan of `sli` to the newest rows. (argmax compiles to a slow ordered
    # FIRST(); joining `rows` to itself makes a materialised CTE that scans 30 days.)
    last = rows.group_by("endpoint").aggregate(last_start=rows.window_start.max())
    attrs = sli.join(last, [sli.endpoint == last.endpoint,
                            sli.window_start == last.last_start]
                     ).select("endpoint", "team", "tier")
    if "team" in v:
        attrs = attrs.filter(attrs.team == v["team"])
    if tier is not None:
        attrs = attrs.filter(attrs.tier == tier)
    return attrs


OBJECTIVES = "slo_objectives"  # the parameter table of the endpoints' objectives


def objectives_rows(at: datetime, objectives: list[dict[str, Any]]) -> dict[str, list]:
    """One row per endpoint (columns as lists): its objective figures and window start."""
    objs: list[Objective] = [o["objective"] for o in objectives]
    return {"endpoint": [o["endpoint"] for o in objectives],
            "budget": [(100 - o.availability) / 100 for o in objs],
            "latency_objective": [float(o.latency_p95_ms) for o in objs],
            "window_from": [at - timedelta(days=o.window_days) for o in objs]}


def objectives_table(rows: dict[str, list]) -> Table:
    """The parameter table as an ibis memtable (for building queries)."""
    import ibis
    import pyarrow as pa

    return ibis.memtable(pa.table({
        "endpoint": pa.array(rows["endpoint"], pa.string()),
        "budget": pa.array(rows["budget"], pa.float64()),
        "latency_objective": pa.array(rows["latency_objective"], pa.float64()),
        "window_from": pa.array(rows["window_from"], pa.timestamp("us", tz="UTC")),
    }))


def iso_z(when: datetime) -> str:
    """2026-09-30T23:55:00Z (microseconds only when there are some)."""
    spec = "microseconds" if when.microsecond else "seconds"
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec=spec) + "Z"


# --- the figures ------------------------------------------------------------------------

def _figures(con: duckdb.DuckDBPyConnection, at: datetime,
             objectives: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per endpoint: the look-back burn rates (a scan of the last 3 days) and the
    compliance-window figures (a scan of the longest window), merged by endpoint."""
    objs = objectives_rows(at, objectives)
    since = min(at - timedelta(days=o["objective"].window_days) for o in objectives)
    values = {"at": at, "since": since,
              **{f"at_{name}": at - timedelta(seconds=s) for name, s in LOOKBACKS.items()}}
    recent = {r["endpoint"]: r for r in _fetch(con, "burn", (), values, _burn_rates,
                                               {OBJECTIVES: objs})}
    window = {r["endpoint"]: r for r in _fetch(con, "window", (), values, _window_figures,
                                               {OBJECTIVES: objs})}
    # only an endpoint burning above 1 over the last hour has a burn episode to date
    hot = [o for o in objectives
           if (recent.get(o["endpoint"], {}).get("burn_1h") or 0) > 1 + FIRE_TOLERANCE]
    burning = {r["endpoint"]: at - timedelta(hours=int(r["n"]))
               for r in _fetch(con, "since", (), values, _burning_since,
                               {OBJECTIVES: objectives_rows(at, hot)})} if hot else {}
    # an endpoint with rows only before its own (shorter) window: listed, figures null
    empty = dict.fromkeys(("requests", "errors", "availability", "budget_consumed",
                           "budget_remaining", "latency_compliance"))
    return [{**o, **recent.get(o["endpoint"], {}), **window.get(o["endpoint"], empty),
             "burning_since": burning.get(o["endpoint"])} for o in objectives]


def _rows(t: Tables, since: datetime, at: datetime) -> Table:
    """SLI rows starting in [since, at) of the endpoints in the objectives table, with
    their objectives."""
    sli = t("inference_sli")
    objs = objectives_table(t.tables[OBJECTIVES])
    return sli.filter(sli.window_start >= t.ts(since), sli.window_start < t.ts(at)
                      ).join(objs, "endpoint")


def _burn_rates(t: Tables, v: dict[str, Any]) -> Table:
    """Per endpoint: requests and burn rate per look-back; burn null when no requests."""
    j = _rows(t, v[f"at_{max(LOOKBACKS, key=LOOKBACKS.get)}"], v["at"])
    sums: dict[str, Any] = {}
    for name in LOOKBACKS:
        inside = j.window_start >= t.ts(v[f"at_{name}"])
        sums[f"req_{name}"] = j.requests.sum(where=inside)
        sums[f"err_{name}"] = j.errors.sum(where=inside)
    sums["budget"] = j.budget.max()
    agg = j.group_by("endpoint").aggregate(**sums)
    return agg.select(
        "endpoint", *[f"req_{name}" for name in LOOKBACKS],
        **{f"burn_{name}": agg[f"err_{name}"] / agg[f"req_{name}"].nullif(0) / agg.budget
           for name in LOOKBACKS})


def _window_figures(t: Tables, v: dict[str, Any]) -> Table:
    """Per endpoint: availability, budget consumed and remaining, latency compliance, each
    over the endpoint's own window."""
    j = _rows(t, v["since"], v["at"])
    inside = j.window_start >= j.window_from
    timed = inside & (j.requests > 0) & j.latency_p95_ms.notnull()
    agg = j.group_by("endpoint").aggregate(
        requests=j.requests.sum(where=inside), errors=j.errors.sum(where=inside),
        timed=j.endpoint.count(where=timed),
        fast=j.endpoint.count(where=timed & (j.latency_p95_ms <= j.latency_objective)),
        budget=j.budget.max())
    ratio = agg.errors / agg.requests.nullif(0)
    consumed = 100 * ratio / agg.budget
    return agg.select(
        "endpoint", "requests", "errors",
        availability=100 * (1 - ratio), budget_consumed=consumed,
        budget_remaining=100 - consumed,
        latency_compliance=100 * agg.fast / agg.timed.nullif(0))


def _burning_since(t: Tables, v: dict[str, Any]) -> Table:
    """Per endpoint burning now, n: the hours of its current burn episode.

    Hour k (k = 0, 1, …) holds the windows starting in [at − (k+1) h, at − k h): its burn
    is the 1h burn rate at instant at − k h. The episode is the unbroken run of hours
    k = 0 … K each burning above 1 (a quiet hour breaks it: no requests, no burn), so it
    began at at − (K+1) h = at − n h. Errors from 22:00 on, at = 00:00 → hours 0 and 1
    burn, hour 2 does not → since 22:00. Bounded by the endpoint's own window: an episode
    that fills it reports the window's start. Hours are found in one scan; the run from
    hour 0 is the burning hours whose k equals their rank (gaps-and-islands)."""
    import ibis

    j = _rows(t, v["since"], v["at"])
    j = j.filter(j.window_start >= j.window_from)
    age_us = t.ts(v["at"]).delta(j.window_start, unit="microsecond")  # exact on every engine
    hour = (age_us / 3_600_000_000).ceil() - 1
    hours = j.group_by(["endpoint", hour.name("k")]).aggregate(
        req=j.requests.sum(), err=j.errors.sum(), budget=j.budget.max())
    burning = hours.filter(hours.req > 0,
                           hours.err / hours.req / hours.budget > 1 + FIRE_TOLERANCE)
    rank = ibis.row_number().over(group_by="endpoint", order_by="k")
    ranked = burning.mutate(rank=rank)
    run = ranked.filter(ranked.k == ranked.rank)  # hours 0, 1, …, K with no gap
    return run.group_by("endpoint").aggregate(n=run.count())


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
