"""The registry of KPI formulas, one per catalog KPI, and their grouped execution.

    results = compute(ctx, {"time_to_detect": periods_ending(q3, 8)})
    results[("time_to_detect", "2026Q3")]  # -> Result(value=42.5, sample_size=12)

All periods of one call are answered by one query per *rows* function: the KPIs that
share their rows (the two SLI KPIs, the three inventory KPIs, lift and drift, ...) share
one aggregate too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from metrics.formulas_base import Ctx, Formula, Scope
from metrics.formulas_delivery import DELIVERY
from metrics.formulas_ops import OPS
from metrics.formulas_org import ORG
from metrics.periods import Period

__all__ = ["FORMULAS", "Ctx", "Formula", "Result", "Scope", "compute"]


def _registry(formulas: Iterable[Formula]) -> dict[str, Formula]:
    registry: dict[str, Formula] = {}
    for formula in formulas:
        if formula.kpi_id in registry:
            raise ValueError(f"two formulas for KPI '{formula.kpi_id}'; keep one.")
        registry[formula.kpi_id] = formula
    return registry


FORMULAS: dict[str, Formula] = _registry([*DELIVERY, *OPS, *ORG])


@dataclass(frozen=True)
class Result:
    """A KPI's value in one period and what it stands on; value None = no data."""

    value: float | None
    sample_size: int


NO_DATA = Result(None, 0)


def compute(ctx: Ctx, wanted: Mapping[str, Sequence[Period]]
            ) -> dict[tuple[str, str], Result]:
    """(kpi_id, period label) -> Result for each KPI id of `wanted` and its periods.

    KPIs sharing a rows function are answered by one query over the union of their
    periods. Periods without a qualifying event are left out (callers use NO_DATA).
    """
    groups: dict[object, tuple[list[Formula], set[Period]]] = {}
    for kpi_id, periods in wanted.items():
        formula = FORMULAS[kpi_id]
        members, union = groups.setdefault(formula.rows, ([], set()))
        members.append(formula)
        union.update(periods)
    parts = [_long(ctx, rows_fn, members, sorted(periods, key=_order))
             for rows_fn, (members, periods) in groups.items() if periods]
    if not parts:
        return {}
    table = ibis.union(*parts)
    return {(r["kpi"], r["period"]): Result(_number(r["value"]), int(r["sample_size"] or 0))
            for r in ctx.backend.to_pyarrow(table).to_pylist()}


def _order(period: Period) -> tuple:
    return (period.start, period.grain)


def _long(ctx: Ctx, rows_fn, members: list[Formula], periods: list[Period]) -> ir.Table:
    """One aggregate per rows function, reshaped to (kpi, period, value, sample_size)."""
    rows = rows_fn(ctx, periods)
    measures = {}
    for i, formula in enumerate(members):
        for name, expr in formula.measures(rows, ctx).items():
            measures[f"m{i}_{name}"] = expr
    table = rows.group_by("period").aggregate(**measures)
    return ibis.union(*(
        table.select(kpi=ibis.literal(formula.kpi_id, type="string"), period=table.period,
                     value=table[f"m{i}_value"].cast("float64"),
                     sample_size=table[f"m{i}_sample_size"].cast("int64"))
        for i, formula in enumerate(members)))


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number
