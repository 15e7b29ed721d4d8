"""Delivery and governance KPIs: throughput, lead time, inventory coverage, roadmap,
platform adoption, defect escapes (formulas of kpis.md)."""

from __future__ import annotations

from collections.abc import Sequence

import ibis.expr.types as ir

from metrics.kpi.context import Ctx
from metrics.kpi.formulas.base import (
    Formula,
    each_period,
    in_periods,
    latest_snapshot,
    not_true,
    scoped,
    seconds,
    share,
)
from metrics.periods import Period, quarter_of

# -- releases: ml_release_throughput, lead_time_for_ml_changes -----------------------------

def releases(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    """Deployments with rollback = false deployed in the period (team and tier scope), each
    with its lead time in hours and the number of roster teams in scope (team scope only)."""
    deploys = scoped(ctx, "deployment")
    deploys = deploys.filter(not_true(deploys.rollback))
    rows = in_periods(deploys, "deployed_at", periods)
    roster = scoped(ctx, "team")
    teams = roster.aggregate(teams_in_scope=roster.count())
    rows = rows.cross_join(teams)
    return rows.mutate(lead_time_hours=seconds(rows.deployed_at, rows.spec_approved_at) / 3600)


def _throughput(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # 6 releases in 2026-08 over 4 teams: 6 / 4 × 3 = 4.5 releases/team/quarter.
    # sample_size: releases. Zero teams in scope -> null.
    count = rows.count()
    return {"value": count / rows.teams_in_scope.max().nullif(0) * rows.p_scale.max(),
            "sample_size": count}


def _lead_time(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # continuous median of (deployed_at − spec_approved_at) in hours; sample_size: releases.
    return {"value": rows.lead_time_hours.median(), "sample_size": rows.count()}


# -- model_inventory: cicd_coverage, lineage_coverage, monitoring_coverage ----------------

def inventory(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    """The latest model_inventory snapshot in each period, after the scope filter."""
    return latest_snapshot(in_periods(scoped(ctx, "model_inventory"), "snapshot_date", periods))


def _covered(flag: str):
    def measures(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
        # production models with `flag` ÷ production models; sample_size: production models.
        prod = rows.in_production
        n = rows.count(where=prod)
        return {"value": share(rows.count(where=prod & rows[flag]), n), "sample_size": n}
    return measures


def _monitored(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # production tier-1/2 models with all three monitors ÷ production tier-1/2 models;
    # sample_size: production tier-1/2 models.
    base = rows.in_production & rows.tier.isin([1, 2])
    monitors = (rows.performance_monitoring & rows.drift_monitoring
                & rows.data_quality_monitoring)
    n = rows.count(where=base)
    return {"value": share(rows.count(where=base & monitors), n), "sample_size": n}


def inventory_events(ctx: Ctx, period: Period) -> ir.Table:
    """The production models of the latest snapshot, with their coverage flags."""
    rows = inventory(ctx, [period])
    rows = rows.filter(rows.in_production)
    return rows.mutate(all_monitors=rows.performance_monitoring & rows.drift_monitoring
                       & rows.data_quality_monitoring).order_by(["team", "model"])


# -- roadmap_predictability ----------------------------------------------------------------

def roadmap(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    """Roadmap items of the quarter containing the period start (2026-08 -> 2026Q3)."""
    items = scoped(ctx, "roadmap_item")
    return each_period(periods, lambda p: items.filter(items.quarter == quarter_of(p).label))


def _predictability(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # 100 × committed and delivered ÷ committed; sample_size: committed items.
    n = rows.count(where=rows.committed)
    return {"value": share(rows.count(where=rows.committed & rows.delivered), n),
            "sample_size": n}


# -- platform_adoption ---------------------------------------------------------------------

def adoption(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    """The latest team_adoption snapshot in each period, after the team filter."""
    rows = latest_snapshot(in_periods(scoped(ctx, "team_adoption"), "snapshot_date", periods))
    return rows.mutate(uses_all_three=rows.uses_standard_deployment
                       & rows.uses_standard_monitoring & rows.uses_model_registry)


def _adoption(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # teams using all three ÷ teams in the snapshot; sample_size: teams in the snapshot.
    n = rows.count()
    return {"value": share(rows.count(where=rows.uses_all_three), n), "sample_size": n}


# -- defect_escape_rate --------------------------------------------------------------------

def defects(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    return in_periods(scoped(ctx, "defect"), "found_at", periods)


def _escape_rate(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # 100 × post_release ÷ all defects; sample_size: defects.
    n = rows.count()
    return {"value": share(rows.count(where=rows.stage == "post_release"), n), "sample_size": n}


DELIVERY = [
    Formula("ml_release_throughput", releases, _throughput),
    Formula("lead_time_for_ml_changes", releases, _lead_time),
    Formula("cicd_coverage", inventory, _covered("automated_cicd"), inventory_events),
    Formula("lineage_coverage", inventory, _covered("full_lineage"), inventory_events),
    Formula("monitoring_coverage", inventory, _monitored, inventory_events),
    Formula("roadmap_predictability", roadmap, _predictability),
    Formula("platform_adoption", adoption, _adoption),
    Formula("defect_escape_rate", defects, _escape_rate),
]
