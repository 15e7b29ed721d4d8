"""Organisational KPIs: surveys, regretted attrition, hiring (formulas of kpis.md)."""

from __future__ import annotations

from collections.abc import Sequence

import ibis.expr.types as ir

from metrics.kpi.context import Ctx
from metrics.kpi.formulas.base import Formula, in_periods, scoped, seconds
from metrics.periods import Period

# -- survey_response: stakeholder_satisfaction, team_engagement ----------------------------

def _survey(name: str):
    def rows(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
        # survey_response has no team column: the team scope leaves it unfiltered
        answers = scoped(ctx, "survey_response")
        return in_periods(answers.filter(answers.survey == name), "submitted_at", periods)
    rows.__name__ = f"survey_{name}"
    return rows


def _mean_score(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # mean score; sample_size: responses.
    return {"value": rows.score.mean(), "sample_size": rows.count()}


# -- regretted_attrition -------------------------------------------------------------------

def headcount_rows(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    return in_periods(scoped(ctx, "headcount"), "snapshot_date", periods)


def headcount_dates(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    """Per period and snapshot date: headcount summed over teams, regretted departures,
    and the number of team rows."""
    rows = headcount_rows(ctx, periods)
    return rows.group_by(["period", "p_days", "snapshot_date"]).aggregate(
        total_headcount=rows.headcount.sum(),
        regretted=rows.regretted_departures.sum(),
        team_rows=rows.count())


def _attrition(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # 100 × Σregretted ÷ mean(per-date headcount) × 365 ÷ days in period.
    # 2026Q3 (92 days), dates 07-31 (100 people) and 08-31 (102), 2 regretted:
    # 100 × 2 ÷ 101 × 365 ÷ 92 = 7.856…; sample_size: headcount rows (team × date).
    mean_heads = rows.total_headcount.mean()
    return {"value": 100.0 * rows.regretted.sum().cast("float64") / mean_heads.nullif(0)
            * 365.0 / rows.p_days.max(),
            "sample_size": rows.team_rows.sum()}


def headcount_events(ctx: Ctx, period: Period) -> ir.Table:
    return headcount_rows(ctx, [period]).order_by(["snapshot_date", "team"])


# -- hiring_cycle_time ---------------------------------------------------------------------

def critical_hires(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    """Critical reqs filled in the period (hiring_req has no team or tier column)."""
    reqs = scoped(ctx, "hiring_req")
    rows = in_periods(reqs.filter(reqs.critical), "filled_at", periods)
    return rows.mutate(cycle_days=seconds(rows.filled_at, rows.opened_at) / 86400)


def _cycle(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # continuous median of (filled_at − opened_at) in days; sample_size: filled critical reqs.
    return {"value": rows.cycle_days.median(), "sample_size": rows.count()}


ORG = [
    Formula("stakeholder_satisfaction", _survey("stakeholder_satisfaction"), _mean_score),
    Formula("team_engagement", _survey("engagement"), _mean_score),
    Formula("regretted_attrition", headcount_dates, _attrition, headcount_events),
    Formula("hiring_cycle_time", critical_hires, _cycle),
]
