"""The registry of KPI formulas, one per catalog KPI, and the expression of a KPI query.

    expression(ctx, {"time_to_detect": periods_ending(q3, 8)})  # one ibis table:
    # (kpi, period, value, sample_size), run by metrics.kpi.compute.compute

All periods of one call are answered by one aggregate per *rows* function: the KPIs that
share their rows (the two SLI KPIs, the three inventory KPIs, lift and drift, ...) share
one aggregate too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import ibis
import ibis.expr.types as ir

from metrics.kpi.context import Ctx
from metrics.kpi.formulas.base import Formula
from metrics.kpi.formulas.delivery import DELIVERY
from metrics.kpi.formulas.ops import OPS
from metrics.kpi.formulas.org import ORG
from metrics.periods import Period

__all__ = ["FORMULAS", "expression", "refusal"]


def _registry(formulas: Iterable[Formula]) -> dict[str, Formula]:
    registry: dict[str, Formula] = {}
    for formula in formulas:
        if formula.kpi_id in registry:
            raise ValueError(f"two formulas for KPI '{formula.kpi_id}'; keep one.")
        registry[formula.kpi_id] = formula
    return registry


FORMULAS: dict[str, Formula] = _registry([*DELIVERY, *OPS, *ORG])


def expression(ctx: Ctx, wanted: Mapping[str, Sequence[Period]]) -> ir.Table:
    """(kpi, period, value, sample_size) for each KPI of `wanted` over its periods."""
    groups: dict[object, tuple[list[Formula], set[Period]]] = {}
    for kpi_id, periods in wanted.items():
        formula = FORMULAS[kpi_id]
        members, union = groups.setdefault(formula.rows, ([], set()))
        members.append(formula)
        union.update(periods)
    parts = [_long(ctx, rows_fn, members, sorted(periods, key=lambda p: (p.start, p.grain)))
             for rows_fn, (members, periods) in groups.items() if periods]
    return ibis.union(*parts)


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


def refusal(ctx: Ctx, kpi_id: str, periods: Sequence[Period]) -> str | None:
    """One sentence when the engine lacks an operation of the KPI's formula (an exact
    median on Trino or BigQuery): the KPI is refused rather than approximated."""
    formula = FORMULAS[kpi_id]
    rows = formula.rows(ctx, list(periods)[:1])
    for expr in formula.measures(rows, ctx).values():
        missing = ctx.engine.missing_operation(expr)
        if missing:
            return (f"{kpi_id} is not computed on {ctx.engine.name}: the engine has no "
                    f"{_WORDS.get(missing, missing)}, and mlkpi does not approximate it; "
                    "run this KPI on the store or on Spark.")
    return None


_WORDS = {"Median": "exact median", "TimestampDelta": "exact difference of timestamps"}
