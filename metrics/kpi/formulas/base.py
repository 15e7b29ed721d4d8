"""The building blocks of KPI formulas (spec: kpis.md, "Conventions").

A formula is written once, over *many* periods of one grain: the events are filtered on
the KPI's anchor by the periods' bounds (half-open, UTC) and labelled with their period,
so that one query answers a whole trend. ``rows(ctx, periods)`` gives the qualifying events, each
with its ``period`` label; ``measures(rows, ctx)`` reduces them per period to
``value`` and ``sample_size``. Formulas sharing a ``rows`` function (the two SLI KPIs,
the three inventory KPIs ...) are answered by one aggregate.

Only the portable ibis subset is used (no SQL strings, no pandas for KPI logic).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import ibis
import ibis.expr.types as ir

from metrics.events import KINDS
from metrics.kpi.context import Ctx
from metrics.periods import Period, PeriodError, quarter_of, scale_to_quarter

Rows = Callable[[Ctx, Sequence[Period]], ir.Table]
Measures = Callable[[ir.Table, Ctx], dict[str, ir.Value]]
Events = Callable[[Ctx, Period], ir.Table]


@dataclass(frozen=True)
class Formula:
    """One KPI's formula: qualifying rows per period, then value and sample_size.

    ``sample_size`` says what the value stands on (events, rows or entities), per KPI.
    ``events`` (optional) replaces ``rows`` for the drill-down when the raw rows read
    better aggregated, e.g. availability per endpoint.
    """

    kpi_id: str
    rows: Rows
    measures: Measures
    events: Events | None = None


def scoped(ctx: Ctx, kind: str) -> ir.Table:
    """The kind's table with the scope applied: team on kinds with a team column, tier on
    kinds with a tier column; other kinds are left unfiltered (kpis.md)."""
    table = ctx.table(kind)
    spec = KINDS[kind]
    if ctx.scope.team is not None and spec.has_column("team"):
        table = table.filter(table.team == ctx.scope.team)
    if ctx.scope.tier is not None and spec.has_column("tier"):
        table = table.filter(table.tier == ctx.scope.tier)
    return table.drop(*[c for c in table.columns if c == "_ingest_id"])  # store-only


def _scale(period: Period) -> float | None:
    try:
        return float(scale_to_quarter(period.grain))
    except PeriodError:  # a day has no quarter rate
        return None


# Columns the formulas add for their own arithmetic, dropped before rows are shown to people.
HELPER_COLUMNS = ("p_quarter", "p_days", "p_scale", "teams_in_scope")


def period_columns(period: Period) -> dict[str, ir.Value]:
    """The period's label, its quarter, its length in days and its quarter-rate factor, as
    literal columns: 2026-08 -> ("2026-08", "2026Q3", 31.0, 3.0)."""
    scale = _scale(period)
    return {"period": ibis.literal(period.label, type="string"),
            "p_quarter": ibis.literal(quarter_of(period).label, type="string"),
            "p_days": ibis.literal(period.days, type="float64"),
            "p_scale": ibis.literal(scale, type="float64")}


def each_period(periods: Sequence[Period], part: Callable[[Period], ir.Table]) -> ir.Table:
    """UNION ALL over the periods of `part(period)` with the period's columns added."""
    ordered = sorted(set(periods), key=lambda p: (p.start, p.grain))
    return ibis.union(*(part(p).mutate(**period_columns(p)) for p in ordered))


def in_periods(table: ir.Table, anchor: str, periods: Sequence[Period]) -> ir.Table:
    """Rows whose `anchor` lies in one of the periods, half-open [start, end) in UTC, each
    with its period's columns. A date anchor (snapshot_date, cost date) is compared with
    UTC dates.

    Periods that follow each other (same grain, one's end the next one's start) share one
    range filter, and a CASE on the anchor names the period of each row; separate runs
    (e.g. 2026Q3 and its baseline 2025Q3) are glued by UNION ALL. So the store still skips
    blocks outside the ranges, while a 12-quarter trend is one filter, not 12 — a much
    smaller query for ibis to build and compile (the bulk of a KPI call's time).

        2025Q3 … 2026Q3 → 2025-07-01 ≤ t < 2026-10-01, period = CASE WHEN t < 2025-10-01
        THEN '2025Q3' WHEN t < 2026-01-01 THEN '2025Q4' … END
    """
    col = table[anchor]
    bound = (lambda ts: ts.date()) if col.type().is_date() else _lit
    parts = []
    for run in _runs(periods):
        rows = table.filter(col >= bound(run[0].start), col < bound(run[-1].end))
        if len(run) == 1:
            parts.append(rows.mutate(**period_columns(run[0])))
            continue
        limits = [rows[anchor] < bound(p.end) for p in run[:-1]]
        *earlier, last = [period_columns(p) for p in run]
        columns = {name: ibis.cases(*zip(limits, [c[name] for c in earlier], strict=True),
                                    else_=value)
                   for name, value in last.items()}
        parts.append(rows.mutate(**columns))
    return ibis.union(*parts)


def _runs(periods: Sequence[Period]) -> list[list[Period]]:
    """Distinct periods split into runs of one grain that follow each other, in order:
    [2025Q3, 2026Q2, 2026Q3] → [[2025Q3], [2026Q2, 2026Q3]]."""
    runs: list[list[Period]] = []
    for p in sorted(set(periods), key=lambda p: (p.grain, p.start)):
        if runs and runs[-1][-1].grain == p.grain and runs[-1][-1].end == p.start:
            runs[-1].append(p)
        else:
            runs.append([p])
    return sorted(runs, key=lambda run: (run[0].start, run[0].grain))


def _lit(ts: datetime) -> ir.Value:
    return ibis.literal(ts.astimezone(UTC), type="timestamp('UTC')")


def seconds(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    """later − earlier in seconds (as a float), exact to the microsecond on every engine:
    09:00:00.250 − 08:59:59.900 = 0.35 s (Spark's epoch seconds drop the fractions)."""
    return later.delta(earlier, unit="microsecond").cast("float64") / 1e6


def latest_snapshot(rows: ir.Table) -> ir.Table:
    """Per period, only the rows of the greatest snapshot_date in it (rows already scoped).

    Dates 2026-08-31 and 2026-09-30 in 2026Q3: only the 2026-09-30 rows remain; a model
    missing from that snapshot no longer counts.
    """
    latest = rows.group_by("period").aggregate(latest_date=rows.snapshot_date.max())
    joined = rows.join(latest, [rows.period == latest.period,
                                rows.snapshot_date == latest.latest_date])
    return joined.drop("latest_date")


def latest_per(rows: ir.Table, keys: Sequence[str], order: str) -> ir.Table:
    """Per period and `keys`, the row with the greatest `order` value (keys + order unique)."""
    latest = rows.group_by(["period", *keys]).aggregate(latest_at=rows[order].max())
    preds = [rows.period == latest.period, rows[order] == latest.latest_at]
    preds += [rows[k] == latest[k] for k in keys]
    return rows.join(latest, preds).select(rows.columns)


def share(part: ir.IntegerValue, whole: ir.IntegerValue) -> ir.FloatingValue:
    """100 × part ÷ whole, null when whole is 0. In floating point on every engine (Spark
    reads ``100.0 × count`` as DECIMAL) and 0 for a count Spark left NULL (its conditional
    count is a SUM: NULL when no condition was true or false)."""
    return 100.0 * part.fill_null(0).cast("float64") / whole.cast("float64").nullif(0)


def not_true(col: ir.BooleanValue) -> ir.BooleanValue:
    """True when the boolean is false or missing: rollback (default false)."""
    return ~col.fill_null(False)
