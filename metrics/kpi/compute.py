"""Running KPI queries: ``compute(ctx, wanted)`` → {(kpi_id, period label): Result}.

    results = compute(ctx, {"time_to_detect": periods_ending(q3, 8)})
    results[("time_to_detect", "2026Q3")]  # -> Result(value=42.5, sample_size=12)

The formulas (``metrics.kpi.formulas``, ibis) are built and compiled only the first time a
query of that shape is seen; after that the compiled SQL runs with plain duckdb
(``metrics.sql.templates``), so a CLI call does not import ibis.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

from metrics.catalog import Catalog
from metrics.config import OrgConfig
from metrics.kpi.context import NO_DATA, Ctx, Result, Scope
from metrics.periods import Period, quarter_of
from metrics.sql.engine import DuckDBEngine
from metrics.sql.templates import Query, shifted

__all__ = ["NO_DATA", "Result", "compute"]


def compute(ctx: Ctx, wanted: Mapping[str, Sequence[Period]]
            ) -> dict[tuple[str, str], Result]:
    """(kpi_id, period label) -> Result for each KPI id of `wanted` and its periods.

    One query for the whole call, compiled once per shape (``metrics.sql.templates``): KPIs
    sharing a rows function are answered by one aggregate over the union of their periods.
    Periods without a qualifying event are left out (callers use NO_DATA).
    """
    refused = _refusals(ctx, wanted)
    if refused:  # an engine without an exact median, say: those KPIs are left out
        ctx.memo["refused"] = refused
        wanted = {k: ps for k, ps in wanted.items() if k not in refused}
    periods = sorted({p for ps in wanted.values() for p in ps}, key=_order)
    if not periods:
        return {}
    index = {p: i for i, p in enumerate(periods)}
    check = replace(ctx, scope=Scope(None if ctx.scope.team is None
                                     else f"{ctx.scope.team} (check)", ctx.scope.tier))
    old = {p: Period(p.grain, shifted(p.start)) for p in periods}
    query = Query(
        name="kpis",
        shape=(tuple((k, tuple(sorted(index[p] for p in set(ps))))
                     for k, ps in wanted.items() if ps),
               tuple((p.grain, p.days) for p in periods),
               ctx.scope.team is None, ctx.scope.tier,
               config_shape(ctx.config), params_shape(ctx.catalog)),
        params=_params(periods, ctx.scope),
        check_params=_params([old[p] for p in periods], check.scope),
        build=lambda is_check: (
            _expression(check, {k: [old[p] for p in ps] for k, ps in wanted.items()})
            if is_check else _expression(ctx, wanted)))
    return {(r["kpi"], r["period"]): Result(_number(r["value"]), int(r["sample_size"] or 0))
            for r in ctx.engine.fetch(query)}


def _refusals(ctx: Ctx, wanted: Mapping[str, Sequence[Period]]) -> dict[str, str]:
    """{kpi_id: sentence} for the KPIs the engine cannot compute exactly (none on DuckDB)."""
    if isinstance(ctx.engine, DuckDBEngine):
        return {}
    from metrics.kpi.formulas import refusal

    found = {k: refusal(ctx, k, ps) for k, ps in wanted.items() if ps}
    return {k: sentence for k, sentence in found.items() if sentence}


def _params(periods: Sequence[Period], scope: Scope) -> dict[str, object]:
    """The values a KPI query's SQL takes as parameters: per period its bounds (timestamps
    and dates), label and quarter label; the team of the scope."""
    params: dict[str, object] = {}
    for i, p in enumerate(periods):
        params.update({f"s{i}": p.start, f"e{i}": p.end, f"sd{i}": p.start.date(),
                       f"ed{i}": p.end.date(), f"l{i}": p.label,
                       f"q{i}": quarter_of(p).label})
    if scope.team is not None:
        params["team"] = scope.team
    return params


def config_shape(config: OrgConfig) -> tuple:
    """What of the organisation's config reaches SQL: the SLO objectives."""
    return (tuple(sorted((k, repr(v)) for k, v in config.slo_tiers.items())),
            tuple(sorted((k, repr(v)) for k, v in config.slo_endpoints.items())))


def params_shape(catalog: Catalog) -> tuple:
    """The catalog's formula parameters (e.g. drift_threshold), which are SQL literals."""
    return tuple(sorted((k, tuple(sorted(kpi.params.items()))) for k, kpi in catalog.items()
                        if kpi.params))


def _expression(ctx: Ctx, wanted: Mapping[str, Sequence[Period]]):
    from metrics.kpi.formulas import expression

    return expression(ctx, wanted)


def _order(period: Period) -> tuple:
    return (period.start, period.grain)


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number
