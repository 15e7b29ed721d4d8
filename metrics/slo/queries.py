"""The SLO queries: ibis builders over ``inference_sli``, each compiled once per shape.

Every figure of ``slo_report`` is a conditional sum over look-backs ``[T − w, T)`` on
``window_start``, evaluated in a few scans of the store (endpoint attributes, then
figures), each compiled once per shape (``metrics.sql.templates``): ``mlkpi slo`` runs the
SQL without importing ibis. The endpoints' objectives reach the SQL as a parameter table
(``metrics.slo.objectives``).

    objective 99.9 %, 1 h look-back: 144 errors in 10,000 requests → error ratio 1.44 %
    → burn rate 0.0144 ÷ 0.001 = 14.4 (2 % of a 30-day budget spent in one hour).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import duckdb

from metrics.config import OrgConfig
from metrics.slo.alerts import FIRE_TOLERANCE, LOOKBACKS, burning
from metrics.slo.objectives import OBJECTIVES, longest_window_days, objectives_rows, slo_objective
from metrics.sql.engine import Engine, as_engine
from metrics.sql.templates import Query, shifted

if TYPE_CHECKING:
    from ibis.expr.types import Table

# --- running a query ----------------------------------------------------------------------

Build = Callable[["Tables", dict[str, Any]], Any]


def _fetch(con: Engine | duckdb.DuckDBPyConnection, name: str, shape: tuple,
           values: dict[str, Any],
           build: Build, tables: dict[str, dict[str, list]] | None = None
           ) -> list[dict[str, Any]]:
    """Rows of one SLO query, compiled once per shape (``metrics.sql.templates``): ``build``
    makes the ibis expression from ``values`` (timestamps and names, each a parameter of
    the SQL), once with them and once with every one changed, to prove the template."""
    check = {k: _changed(v) for k, v in values.items()}
    engine = as_engine(con)  # the store's connection, or another engine (backend.md)
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


# --- the instant and the endpoints (shared with slo_series) ----------------------------

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


# --- the figures ------------------------------------------------------------------------

def figures(con: duckdb.DuckDBPyConnection, at: datetime,
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
    hot = [o for o in objectives if burning(recent.get(o["endpoint"], {}).get("burn_1h"))]
    since_by = {r["endpoint"]: at - timedelta(hours=int(r["n"]))
               for r in _fetch(con, "since", (), values, _burning_since,
                               {OBJECTIVES: objectives_rows(at, hot)})} if hot else {}
    # an endpoint with rows only before its own (shorter) window: listed, figures null
    empty = dict.fromkeys(("requests", "errors", "availability", "budget_consumed",
                           "budget_remaining", "latency_compliance"))
    return [{**o, **recent.get(o["endpoint"], {}), **window.get(o["endpoint"], empty),
             "burning_since": since_by.get(o["endpoint"])} for o in objectives]


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
