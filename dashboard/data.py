"""The one bridge from the dashboard to ``metrics/``: every number shown comes through here.

Every engine call is one function decorated with ``cache.cached``: written taking the
store's ``Snapshot`` first, called without it (the cache adds the current one):

    report = kpi_report(parse_period("2026Q3"), team="search")   # cli.md's `mlkpi kpis`

A new ingest or config edit shows at the next run (see ``cache``). Arguments come from
``filters.Scope`` (already validated, "all" already None); the engines take them as bound
values, never spliced into SQL. The store is opened read-only, one connection per call,
inside the engines; no connection is cached.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from dashboard import report, stored, tiles, views
from dashboard.cache import Snapshot, cached, current, db_path
from dashboard.filters import Scope
from metrics.catalog import Catalog, load_catalog
from metrics.kpi import report as kpi_engine
from metrics.kpi.targets import evaluate, resolve_target
from metrics.periods import Period, baseline_periods
from metrics.slo import report as slo_engine
from metrics.slo import series as slo_series
from metrics.slo.alerts import LOOKBACKS
from metrics.store import health, notes
from metrics.store.db import StoreError, snapshot_path

# The server is one long-lived process for every session: cap the memory of its DuckDB
# read connections (metrics.store.db.connect_read reads $MLKPI_READ_MEMORY; DuckDB's own
# default is 80 % of RAM). The engines stream their scans, so the cap costs no speed; an
# operator may set another.
READ_MEMORY = "512MB"
HOURLY_LOOKBACKS = ("1h", "2h", "6h", "1d", "3d")


def cap_read_memory() -> None:
    """Set $MLKPI_READ_MEMORY to READ_MEMORY unless the operator set it; the server's
    entrypoint calls this before anything reads the store."""
    os.environ.setdefault("MLKPI_READ_MEMORY", READ_MEMORY)


# --- the store -------------------------------------------------------------------------

def store_status() -> dict[str, Any]:
    """{'state': 'missing'|'empty'|'ok', 'db', 'message', 'kinds': {kind: rows/newest/stale}}."""
    snap = current()
    if not snap.path.exists() and not snapshot_path(snap.path).exists():
        return {"state": "missing", "db": snap.db, "message": "", "kinds": {}}
    return _status()


@cached(ttl=60, max_entries=16)
def _status(snap: Snapshot) -> dict[str, Any]:
    try:
        freshness = health.data_freshness(snap.path, datetime.now(UTC))
    except StoreError as exc:
        return {"state": "missing", "db": snap.db, "message": str(exc), "kinds": {}}
    rows = sum(int(k.get("rows") or 0) for k in freshness.values())
    return {"state": "ok" if rows else "empty", "db": snap.db, "message": "",
            "kinds": freshness}


@cached()
def event_span(snap: Snapshot) -> tuple[datetime, datetime] | None:
    """(oldest, newest) event instant in the store, or None."""
    return health.event_span(snap.path)


@cached()
def teams(snap: Snapshot) -> list[str]:
    """Team names from the roster and the events, sorted."""
    return health.team_names(snap.path)


@cached()
def tiers(snap: Snapshot) -> list[str]:
    """Tiers any stored event carries, as the picker shows them ('1', '2', '3')."""
    return [str(t) for t in health.tiers_seen(snap.path)]


@cached()
def quarantine_rows(snap: Snapshot, limit: int = 500) -> pd.DataFrame:
    return health.quarantine_rows(snap.path, limit)


@cached()
def ingest_history(snap: Snapshot, limit: int = 50) -> pd.DataFrame:
    return health.ingest_history(snap.path, limit)


# --- KPIs ------------------------------------------------------------------------------

def catalog() -> Catalog:
    return load_catalog()


@cached()
def resolved_targets(snap: Snapshot, period: Period) -> dict[str, dict[str, Any]]:
    """KPI id -> the target in force for `period` (kind, op, value, stretch, source, from)."""
    config = snap.org_config()
    return {kpi_id: resolve_target(kpi, period, config).to_json()
            for kpi_id, kpi in catalog().items()}


@cached()
def kpi_report(snap: Snapshot, period: Period, team: str | None = None,
               tier: int | None = None) -> dict[str, Any]:
    """cli.md's `mlkpi kpis` object for one period and scope."""
    if stored.serving_results():  # mlkpi serve --backend: what mlkpi refresh stored
        return stored.kpi_report(snap, period, team, tier)
    return kpi_engine.kpi_report(snap.path, period, team=team, tier=tier,
                                 config=snap.org_config())


@cached()
def kpi_series(snap: Snapshot, end: Period, n: int = 8, kpi_ids: list[str] | None = None,
               team: str | None = None, tier: int | None = None) -> pd.DataFrame:
    """Per KPI and period of `end`'s grain, the last `n` up to `end`: value, sample_size,
    status, target, stretch, change."""
    return kpi_engine.kpi_series(snap.path, end, n=n, kpi_ids=kpi_ids, team=team, tier=tier,
                                 config=snap.org_config(), grain=end.grain)


@cached()
def kpi_tiles(snap: Snapshot, period: Period, team: str | None = None,
              tier: int | None = None) -> dict[str, dict[str, Any]]:
    """The scorecard's tiles (``views.tiles`` over the period's report and the 8-period
    series of every KPI), cached as plain lists: a scorecard run reads a small dict
    instead of unpickling the series frame and filtering it per KPI."""
    return views.tiles(kpi_report(period, team, tier), kpi_series(period, 8, None, team, tier))


@cached()
def scorecard(snap: Snapshot, period: Period, team: str | None = None,
              tier: int | None = None) -> tiles.ScorecardPage:
    """Everything the scorecard draws, as finished text (``tiles.scorecard_page``: title,
    caption, headline, stale-data warning, and the attention list and tiles as one HTML
    block), cached: a run reads five strings instead of the report and draws nothing again
    (a third of a scorecard run's own time under 16 sessions at once)."""
    cat = catalog()
    return tiles.scorecard_page(kpi_report(period, team, tier), kpi_tiles(period, team, tier),
                                Scope(period, team, tier), {k: v.what for k, v in cat.items()},
                                {k: v.family for k, v in cat.items()})


@cached()
def review_table(snap: Snapshot, quarter: Period, team: str | None = None,
                 tier: int | None = None) -> pd.DataFrame:
    """The quarterly review's table (``report.review_table`` of the quarter's report and its
    8-quarter series against the last quarter and the same quarter a year before)."""
    return report.review_table(kpi_report(quarter, team, tier),
                               kpi_series(quarter, 8, None, team, tier),
                               quarter.shift(-1).label, quarter.shift(-4).label)


@cached()
def review_pack(snap: Snapshot, quarter: Period, team: str | None = None,
                tier: int | None = None) -> Any:
    """The quarter's review pack (``metrics.review.figures.Pack``), the same as
    ``mlkpi report``'s: closed figures and restatements included."""
    from metrics.review.figures import build_pack

    return build_pack(snap.path, quarter, team, tier, snap.org_config())


@cached()
def quarter_closed(snap: Snapshot, quarter: Period, team: str | None = None,
                   tier: int | None = None) -> bool:
    """Whether `mlkpi close` froze this quarter and scope (one small read of the store)."""
    from metrics.store import closes

    return closes.closure(snap.path, quarter.label, team, tier) is not None


@cached(max_entries=32)
def review_file(snap: Snapshot, quarter: Period, team: str | None, tier: int | None,
                fmt: str) -> bytes:
    """The pack as a file: fmt 'pdf' (A4), 'html' or 'csv'."""
    from metrics.review import render

    return render(review_pack(quarter, team, tier), fmt)


@cached()
def kpi_events(snap: Snapshot, kpi_id: str, period: Period, team: str | None = None,
               tier: int | None = None) -> pd.DataFrame:
    """The events behind one KPI value (drill-down)."""
    return kpi_engine.kpi_events(snap.path, kpi_id, period, team, tier, snap.org_config())


@cached()
def kpi_by_team(snap: Snapshot, period: Period, kpi_id: str,
                tier: int | None = None) -> pd.DataFrame:
    """One KPI for each team: the engine's value, status and change for that team's scope
    (``views.by_team``), with the level that meets the target."""
    target = resolved_targets(period)[kpi_id]
    back = int(target.get("baseline_periods") or 0)
    return views.by_team({team: kpi_series(period, back + 1, [kpi_id], team, tier)
                          for team in teams()}, target)


@cached()
def spread_by_period(snap: Snapshot, end: Period, kpi_id: str, column: str, n: int = 8,
                     team: str | None = None, tier: int | None = None) -> pd.DataFrame:
    """Per period: median, p25, p75 and count of a drill-down column (lead_time_hours)."""
    series = kpi_series(end, n, None, team, tier)  # the all-KPI call, cached
    periods = [end.shift(-back) for back in range(n - 1, -1, -1)]
    shown = set(series.loc[series["kpi"] == kpi_id, "period"].astype(str))
    return views.spread({p.label: kpi_events(kpi_id, p, team, tier)
                         for p in periods if p.label in shown}, column)


@cached()
def cost_by_service_vs_year(snap: Snapshot, period: Period, team: str | None = None,
                            tier: int | None = None, top: int = 12) -> pd.DataFrame:
    """Cost per 1k inferences per service this period and a year earlier, with the level
    that meets the year-over-year target and the status the engine's ``evaluate`` gives."""
    kpi_id = "cost_per_1k_inferences"
    target = resolve_target(catalog()[kpi_id], period, snap.org_config())
    before = period.shift(-(target.baseline_periods or 4))
    table = views.cost_vs_baseline(kpi_events(kpi_id, period, team, tier),
                                   kpi_events(kpi_id, before, team, tier), target.value, top)
    table["status"] = [evaluate(value, target, None if pd.isna(base) else base).status
                       for value, base in zip(table["cost_per_1k"], table["baseline"],
                                              strict=True)]
    return table


def catalog_table(period: Period | None) -> pd.DataFrame:
    """``views.catalog_table`` with the targets in force for `period` (defaults: None)."""
    targets = resolved_targets(period) if period else {
        kpi_id: {"kind": kpi.target.kind, "op": kpi.target.op, "value": kpi.target.value,
                 "stretch": kpi.target.stretch, "source": "default", "from": None,
                 "baseline_periods": baseline_periods("quarter", kpi.target.baseline)
                 if kpi.target.baseline else None}
        for kpi_id, kpi in catalog().items()}
    return views.catalog_table(catalog(), targets)


# --- SLO -------------------------------------------------------------------------------

@cached()
def slo_report(snap: Snapshot, team: str | None = None, tier: int | None = None,
               endpoint: str | None = None) -> dict[str, Any]:
    """cli.md's `mlkpi slo` object (+ thresholds, hours_to_exhaustion, warnings)."""
    if stored.serving_results():  # mlkpi serve --backend: what mlkpi refresh stored
        return stored.slo_report(snap, team, tier, endpoint)
    return slo_engine.slo_report(snap.path, team=team, tier=tier, endpoint=endpoint,
                                 config=snap.org_config())


@cached()
def burn_rate_series(snap: Snapshot, endpoint: str) -> pd.DataFrame:
    """The last 7 days at a 1-hour step: the look-backs that are whole hours."""
    return slo_series.burn_rate_series(snap.path, endpoint, config=snap.org_config(),
                                       lookbacks=HOURLY_LOOKBACKS)


@cached()
def recent_burn_rates(snap: Snapshot, endpoint: str) -> pd.DataFrame:
    """The last 24 hours at a 5-minute step, all seven look-backs: a 2-hour page is
    24 points wide, not the last pixels of a week."""
    return slo_series.burn_rate_series(snap.path, endpoint, config=snap.org_config(),
                                       days=1, step="5m", lookbacks=tuple(LOOKBACKS))


@cached()
def budget_burndown(snap: Snapshot, endpoint: str) -> pd.DataFrame:
    return slo_series.budget_burndown(snap.path, endpoint, config=snap.org_config())


@cached()
def latency_series(snap: Snapshot, endpoint: str) -> pd.DataFrame:
    return slo_series.latency_series(snap.path, endpoint, config=snap.org_config())


@cached()
def slo_notifications(snap: Snapshot, endpoint: str) -> pd.DataFrame:
    """The endpoint's alert-state changes sent by ``mlkpi slo notify``, newest first."""
    from metrics.slo.notifications import history

    rows = history(snap.path, endpoint)
    return pd.DataFrame({
        "evaluated at": [r["evaluated_at"] for r in rows],
        "change": [f"{r['previous']} → {r['state']}" for r in rows],
        "rules fired": [r["fired"].replace(",", ", ") or "none" for r in rows],
        "targets reached": [r["sent"] for r in rows],
        "targets pending": [r["failed"] for r in rows],
        "last error": [r["last_error"] or "" for r in rows],
    })


# --- notes (their own small store; never cached, never the event store) --------------

def notes_file() -> Path:
    return notes.notes_path(db_path(), os.environ)
