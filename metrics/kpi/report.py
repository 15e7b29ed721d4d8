"""The public KPI API: what the CLI and the dashboard call (spec: kpis.md, cli.md).

    kpi_report(db, parse_period("2026Q3"), team="search")   # cli.md's JSON object
    kpi_series(db, parse_period("2026Q3"), n=8)              # a trend per KPI, a DataFrame
    kpi_events(db, "time_to_detect", parse_period("2026Q3")) # the incidents behind TTD

Each call opens one read connection, runs one query for all its KPIs and periods
(compiled once per shape, see ``metrics.sql.templates``: ``mlkpi kpis`` does not import ibis
or pandas) and closes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from metrics.catalog import KPI, Catalog, load_catalog
from metrics.config import OrgConfig
from metrics.events import KINDS
from metrics.kpi.compute import NO_DATA, Result, compute
from metrics.kpi.context import Ctx, Scope
from metrics.kpi.targets import ResolvedTarget, evaluate, resolve_target
from metrics.periods import Period, grain_for_cadence, iso_z, period_containing
from metrics.periods import periods_ending as _periods_ending
from metrics.sql.engine import Engine, open_engine
from metrics.store.health import freshness, kpi_freshness

if TYPE_CHECKING:
    import pandas as pd

SERIES_COLUMNS = ["kpi", "period", "period_start", "period_end", "value", "sample_size",
                  "status", "target", "stretch", "change", "provisional", "pace"]


def _ctx(engine: Engine, team: str | None, tier: int | None,
         config: OrgConfig | None, catalog: Catalog) -> Ctx:
    return Ctx(engine, Scope(team, tier), catalog, config or OrgConfig())


# -- kpi_report ----------------------------------------------------------------------------

def kpi_report(db: Path, period: Period, team: str | None = None, tier: int | None = None,
               config: OrgConfig | None = None, now: datetime | None = None,
               backend: str | None = None) -> dict:
    """Every catalog KPI for one period and scope: the object of ``mlkpi kpis --format json``.

    A period still running at `now` (default: the clock) is reported to date: ``complete``
    false, ``elapsed`` its share behind us, every status ``provisional``, and a KPI that
    counts over the whole period (``pace`` in the catalog) reported as its pace, value ÷
    elapsed. ``backend``: the engine's URL (``metrics.sql.engine``); None is the store.
    """
    now = now or datetime.now(UTC)
    elapsed = period.elapsed(now)
    catalog = load_catalog()
    config = config or OrgConfig()
    targets = {kpi_id: resolve_target(kpi, period, config) for kpi_id, kpi in catalog.items()}
    wanted = {kpi_id: [period, *_baseline_period(period, targets[kpi_id])]
              for kpi_id in catalog}
    with open_engine(db, backend) as engine:
        ctx = _ctx(engine, team, tier, config, catalog)
        results = compute(ctx, wanted)
        kinds = freshness(engine, now, catalog)
    refused = ctx.memo.get("refused", {})
    kpis = []
    for kpi_id, kpi in catalog.items():
        target = targets[kpi_id]
        current = to_date(results.get((kpi_id, period.label), NO_DATA), kpi, elapsed)
        entry = {"id": kpi_id, "name": kpi.name, "unit": kpi.unit,
                 "value": current.value, "sample_size": current.sample_size}
        entry.update(_judge(current, target, period, results, kpi_id))
        entry.update({
            "pace": kpi.pace and elapsed < 1.0, "provisional": elapsed < 1.0,
            "family": kpi.family, "direction": kpi.direction, "cadence": kpi.cadence,
            "tier_filter_applied": tier is not None and kpi.tier_filter,
            "team_filter_applied": team is not None and _team_filtered(kpi),
            "freshness": kpi_freshness(kpi, kinds),
        })
        if kpi_id in refused:
            entry["refused"] = refused[kpi_id]
        kpis.append(entry)
    return {"period": period.label, "period_start": period.start_iso,
            "period_end": period.end_iso, "complete": elapsed >= 1.0,
            "as_of": iso_z(min(now, period.end)), "elapsed": elapsed,
            "scope": {"team": team, "tier": tier}, "kpis": kpis}


def to_date(result: Result, kpi: KPI, elapsed: float) -> Result:
    """The figure as it stands: a pace KPI in a running period is scaled by 1 ÷ elapsed
    (3 releases a team in the first 46 of 92 days of a quarter: a pace of 6); nothing has
    a pace before the period starts."""
    if not kpi.pace or elapsed >= 1.0 or result.value is None:
        return result
    return Result(result.value / elapsed if elapsed > 0 else None, result.sample_size)


def _baseline_period(period: Period, target: ResolvedTarget) -> list[Period]:
    """[2025Q3] for a 'year' target in 2026Q3, [] for an absolute target."""
    if target.kind != "relative" or not target.baseline_periods:
        return []
    return [period.shift(-target.baseline_periods)]


def _judge(current: Result, target: ResolvedTarget, period: Period,
           results: dict, kpi_id: str) -> dict:
    """status, target, baseline (relative targets only) and change for one KPI value."""
    baseline = None
    baseline_value = None
    for earlier in _baseline_period(period, target):
        baseline_value = results.get((kpi_id, earlier.label), NO_DATA).value
        baseline = {"period": earlier.label, "value": baseline_value}
    evaluation = evaluate(current.value, target, baseline_value)
    return {"status": evaluation.status, "target": target.to_json(), "baseline": baseline,
            "change": evaluation.change}


def _team_filtered(kpi: KPI) -> bool:
    return any(KINDS[kind].has_column("team") for kind in kpi.sources)


# -- kpi_series ----------------------------------------------------------------------------

def kpi_series(db: Path, end: Period, n: int = 8, kpi_ids: list[str] | None = None,
               team: str | None = None, tier: int | None = None,
               config: OrgConfig | None = None, grain: str | None = None,
               now: datetime | None = None, backend: str | None = None) -> pd.DataFrame:
    """`n` periods per KPI ending with the period that holds `end`'s start, at the KPI's
    cadence grain (or `grain` for all): one row per (KPI, period), oldest first. A period
    still running at `now` is marked ``provisional``, with pace KPIs at their pace, as in
    ``kpi_report``.

    end=2026-08, n=3: a monthly KPI gets 2026-06..2026-08, a weekly one 2026-W29..W31,
    a quarterly one 2026Q1..2026Q3.
    """
    import pandas as pd

    rows = series_rows(db, end, n, kpi_ids, team, tier, config, grain, now, backend)
    frame = pd.DataFrame(rows, columns=SERIES_COLUMNS)
    for column in ("value", "target", "stretch", "change"):
        frame[column] = frame[column].astype("float64")
    frame["sample_size"] = frame["sample_size"].astype("int64")
    return frame


def series_rows(db: Path, end: Period, n: int = 8, kpi_ids: list[str] | None = None,
                team: str | None = None, tier: int | None = None,
                config: OrgConfig | None = None, grain: str | None = None,
                now: datetime | None = None, backend: str | None = None) -> list[dict]:
    """``kpi_series`` as a list of row dicts (SERIES_COLUMNS), without pandas."""
    now = now or datetime.now(UTC)
    catalog = load_catalog()
    config = config or OrgConfig()
    ids = _check_ids(kpi_ids, catalog)
    plan: dict[str, list[tuple[Period, ResolvedTarget]]] = {}
    wanted: dict[str, list[Period]] = {}
    for kpi_id in ids:
        kpi_grain = grain or grain_for_cadence(catalog[kpi_id].cadence)
        periods = _periods_ending(period_containing(end.start, kpi_grain), n)
        plan[kpi_id] = [(p, resolve_target(catalog[kpi_id], p, config)) for p in periods]
        wanted[kpi_id] = [*periods,
                          *(b for p, t in plan[kpi_id] for b in _baseline_period(p, t))]
    with open_engine(db, backend) as engine:
        results = compute(_ctx(engine, team, tier, config, catalog), wanted)
    rows = []
    for kpi_id, periods in plan.items():
        for period, target in periods:
            elapsed = period.elapsed(now)
            current = to_date(results.get((kpi_id, period.label), NO_DATA), catalog[kpi_id],
                              elapsed)
            judged = _judge(current, target, period, results, kpi_id)
            rows.append({"kpi": kpi_id, "period": period.label, "period_start": period.start,
                         "period_end": period.end, "value": current.value,
                         "sample_size": current.sample_size, "status": judged["status"],
                         "target": target.value, "stretch": target.stretch,
                         "change": judged["change"], "provisional": elapsed < 1.0,
                         "pace": catalog[kpi_id].pace and elapsed < 1.0})
    return rows


def _check_ids(kpi_ids: Sequence[str] | None, catalog: Catalog) -> list[str]:
    if kpi_ids is None:
        return list(catalog)
    unknown = [kpi_id for kpi_id in kpi_ids if kpi_id not in catalog]
    if unknown:
        raise ValueError(f"{', '.join(unknown)} is not a KPI of the catalog; "
                         f"use one of: {', '.join(catalog)}.")
    return list(kpi_ids)


# -- kpi_events ----------------------------------------------------------------------------

def kpi_events(db: Path, kpi_id: str, period: Period, team: str | None = None,
               tier: int | None = None, config: OrgConfig | None = None,
               backend: str | None = None) -> pd.DataFrame:
    """The rows behind one KPI value: e.g. the incidents detected in the period with their
    `detect_minutes`, the production models of the latest snapshot with their flags, or
    the SLI windows aggregated per endpoint (requests, errors, availability)."""
    from metrics.kpi.formulas import FORMULAS
    from metrics.kpi.formulas.base import HELPER_COLUMNS

    catalog = load_catalog()
    _check_ids([kpi_id], catalog)
    formula = FORMULAS[kpi_id]
    with open_engine(db, backend) as engine:
        ctx = _ctx(engine, team, tier, config, catalog)
        table = (formula.events(ctx, period) if formula.events
                 else formula.rows(ctx, [period]))
        table = table.drop(*[c for c in HELPER_COLUMNS if c in table.columns])
        frame = engine.to_pyarrow(table).to_pandas()
    return frame
