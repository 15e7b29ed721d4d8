"""Operations, model and cost KPIs: incidents, serving SLIs, pipelines, model performance,
cost (formulas of kpis.md and slo.md)."""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from metrics.events import TIERS
from metrics.kpi.context import Ctx
from metrics.kpi.formulas.base import Formula, in_periods, latest_per, scoped, seconds, share
from metrics.periods import Period
from metrics.slo.objectives import slo_objective

# -- incidents: time_to_detect (anchor detected_at), time_to_mitigate (anchor mitigated_at) -


def detected(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    rows = in_periods(scoped(ctx, "incident"), "detected_at", periods)
    return rows.mutate(detect_minutes=seconds(rows.detected_at, rows.onset_at) / 60)


def mitigated(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    # an ongoing incident (mitigated_at empty) never falls in a period
    rows = in_periods(scoped(ctx, "incident"), "mitigated_at", periods)
    return rows.mutate(mitigate_hours=seconds(rows.mitigated_at, rows.detected_at) / 3600)


def _ttd(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # continuous median in minutes; sample_size: incidents detected in the period.
    return {"value": rows.detect_minutes.median(), "sample_size": rows.count()}


def _ttm(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # continuous median in hours; sample_size: incidents mitigated in the period.
    return {"value": rows.mitigate_hours.median(), "sample_size": rows.count()}


# -- inference_sli: inference_availability, inference_latency_slo (one aggregate) -----------

def latest_tiers(ctx: Ctx, since: ir.TimestampValue) -> ir.Table:
    """(o_endpoint, slo_tier): the tier of each endpoint's most recent SLI row overall, for
    endpoints with a row at or after `since`. Such an endpoint's most recent row is at or
    after `since` too, so only those rows are read (a period's query never scans older
    history for this); the join on (endpoint, its newest window_start) lets DuckDB prune
    the probe scan to the newest rows."""
    sli = ctx.table("inference_sli")
    rows = sli.filter(sli.window_start >= since, sli.endpoint.notnull())
    last = rows.group_by("endpoint").aggregate(last_start=rows.window_start.max())
    # joined to the whole table, not to `rows`: a self-join of `rows` would become a CTE
    # that DuckDB materialises (15M rows for a quarter of 30M)
    return sli.join(last, [sli.endpoint == last.endpoint, sli.window_start == last.last_start]
                    ).select(o_endpoint=sli.endpoint, slo_tier=sli.tier)


def objective_p95(ctx: Ctx, endpoint: ir.StringValue, tier: ir.IntegerValue
                  ) -> tuple[ir.FloatingValue, list[float]]:
    """The p95 objective of slo.md for an endpoint of a tier, as one CASE over the config
    (endpoint overrides first, then tiers), and every value it can take, ascending.
    Tier 1, no config: 300.0; an endpoint override of 250 ms on tier 1: 250.0."""
    cases, limits = [], set()
    for name in sorted(ctx.config.slo_endpoints):
        for tier_value in TIERS:
            value = _objective(ctx, name, tier_value)
            cases.append(((endpoint == name) & (tier == tier_value), value))
            limits.add(value)
    for tier_value in TIERS:
        value = _objective(ctx, None, tier_value)
        cases.append((tier == tier_value, value))
        limits.add(value)
    return ibis.cases(*cases, else_=ibis.null("float64")).cast("float64"), sorted(limits)


def _objective(ctx: Ctx, endpoint: str | None, tier: int) -> float:
    """slo_objective's p95; endpoint None: no endpoint override applies."""
    return float(slo_objective(endpoint, tier, ctx.config).latency_p95_ms)


def windows(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    """Per period and endpoint: SLI windows, Σrequests, Σerrors, the windows counted for
    latency (requests > 0 and a p95) and those meeting the endpoint's p95 objective.

    The raw windows are reduced first, counting the windows under each objective the config
    allows (300, 500, 1000 ms by default); the endpoint's own count is then picked after a
    join of a few hundred rows, not of millions. The objective is that of the tier of the
    endpoint's most recent SLI row (slo.md).
    """
    rows = in_periods(scoped(ctx, "inference_sli"), "window_start", periods)
    since = min(periods, key=lambda p: p.start).start
    tiers = latest_tiers(ctx, ibis.literal(since, type="timestamp('UTC')"))
    objective, limits = objective_p95(ctx, tiers.o_endpoint, tiers.slo_tier)
    objectives = tiers.select("o_endpoint", objective_p95_ms=objective)
    timed = (rows.requests > 0) & rows.latency_p95_ms.notnull()
    under = {f"met_{i}": rows.count(where=timed & (rows.latency_p95_ms <= limit))
             for i, limit in enumerate(limits)}
    per = rows.group_by(["period", "p_days", "p_scale", "p_quarter", "endpoint"]).aggregate(
        windows=rows.count(), requests=rows.requests.sum(), errors=rows.errors.sum(),
        latency_windows=rows.count(where=timed), **under)
    per = per.left_join(objectives, per.endpoint == objectives.o_endpoint)
    picked = [(per.objective_p95_ms == limit, per[f"met_{i}"]) for i, limit in enumerate(limits)]
    return per.mutate(latency_met=ibis.cases(*picked, else_=0)).drop("o_endpoint", *under)


def _availability(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # 100 × (1 − Σerrors ÷ Σrequests), null when Σrequests = 0; sample_size: SLI windows.
    ratio = rows.errors.sum() / rows.requests.sum().nullif(0)
    return {"value": 100.0 * (1 - ratio), "sample_size": rows.windows.sum()}


def _latency(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # windows meeting the p95 objective ÷ windows with requests > 0 and a p95;
    # sample_size: those counted windows.
    n = rows.latency_windows.sum()
    return {"value": share(rows.latency_met.sum(), n), "sample_size": n}


def sli_events(ctx: Ctx, period: Period) -> ir.Table:
    """Per endpoint: windows, requests, errors, availability and latency compliance."""
    per = windows(ctx, [period])
    return per.mutate(
        availability=100.0 * (1 - per.errors / per.requests.nullif(0)),
        latency_compliance=share(per.latency_met, per.latency_windows),
    ).order_by("endpoint")


# -- pipeline_reliability ------------------------------------------------------------------

def pipeline_runs(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    return in_periods(scoped(ctx, "pipeline_run"), "scheduled_at", periods)


def _reliability(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # 100 × successes ÷ runs; sample_size: runs scheduled in the period.
    n = rows.count()
    return {"value": share(rows.count(where=rows.status == "success"), n), "sample_size": n}


# -- model_performance: model_performance_lift, performance_drift_rate ---------------------

def performance(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    """Each (model, metric)'s latest measurement in the period, with its lift and whether
    it drifted: value 0.27 on baseline 0.30, higher better -> lift −10 %, drifted at 5."""
    rows = in_periods(scoped(ctx, "model_performance"), "measured_at", periods)
    rows = latest_per(rows, ["model", "metric"], "measured_at")
    raw = 100.0 * (rows.value - rows.baseline) / rows.baseline.abs()
    lift = ibis.ifelse(rows.higher_is_better, raw, -raw)
    threshold = ctx.param("performance_drift_rate", "drift_threshold", 5.0)
    return rows.mutate(lift=lift, drifted=lift < -threshold)


def _lift(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # mean lift over the (model, metric) pairs; sample_size: pairs.
    return {"value": rows.lift.mean(), "sample_size": rows.count()}


def _drift(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # share of pairs with lift < −drift_threshold; sample_size: pairs.
    n = rows.count()
    return {"value": share(rows.count(where=rows.drifted), n), "sample_size": n}


# -- cost ----------------------------------------------------------------------------------

def inference_costs(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    costs = scoped(ctx, "cost")
    return in_periods(costs.filter(costs.category == "inference"), "date", periods)


def _per_1k(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # 1000 × Σcost_usd ÷ Σinferences (null when no inferences); sample_size: inference lines.
    return {"value": 1000.0 * rows.cost_usd.sum() / rows.inferences.sum().nullif(0),
            "sample_size": rows.count()}


def training_runs(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    return in_periods(scoped(ctx, "training_run"), "started_at", periods)


def _per_run(rows: ir.Table, ctx: Ctx) -> dict[str, ir.Value]:
    # Σcost_usd ÷ count of runs (every status); sample_size: runs.
    n = rows.count()
    return {"value": rows.cost_usd.sum() / n.nullif(0), "sample_size": n}


OPS = [
    Formula("time_to_detect", detected, _ttd),
    Formula("time_to_mitigate", mitigated, _ttm),
    Formula("inference_availability", windows, _availability, sli_events),
    Formula("inference_latency_slo", windows, _latency, sli_events),
    Formula("pipeline_reliability", pipeline_runs, _reliability),
    Formula("model_performance_lift", performance, _lift),
    Formula("performance_drift_rate", performance, _drift),
    Formula("cost_per_1k_inferences", inference_costs, _per_1k),
    Formula("cost_per_training_run", training_runs, _per_run),
]
