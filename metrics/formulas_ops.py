"""Operations, model and cost KPIs: incidents, serving SLIs, pipelines, model performance,
cost (formulas of kpis.md and slo.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import ibis
import ibis.expr.types as ir

from metrics.config import slo_objective
from metrics.formulas_base import Ctx, Formula, in_periods, latest_per, scoped, seconds, share
from metrics.periods import Period

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

def endpoint_objectives(ctx: Ctx, since: datetime) -> ir.Table:
    """(endpoint, slo_tier, objective_p95_ms) for every endpoint with a window at or after
    `since`: config.slo_objective for the tier of its most recent SLI row (slo.md)."""
    tiers = latest_tiers(ctx, since)
    return ibis.memtable(
        {"o_endpoint": list(tiers), "slo_tier": list(tiers.values()),
         "objective_p95_ms": [_objective(ctx, e, t) for e, t in tiers.items()]},
        schema={"o_endpoint": "string", "slo_tier": "int64", "objective_p95_ms": "float64"})


def _objective(ctx: Ctx, endpoint: str, tier: int) -> float:
    return float(slo_objective(endpoint, tier, ctx.config).latency_p95_ms)


def latest_tiers(ctx: Ctx, since: datetime) -> dict[str, int]:
    """endpoint -> tier of its most recent SLI row overall, for endpoints with a row at or
    after `since`. Such an endpoint's most recent row is at or after `since` too, so only
    those rows are read (a period's query never scans older history for this).
    Cached per published snapshot: a snapshot never changes once written."""
    key = (ctx.snapshot_key(), since)
    if key[0] is not None and key in _TIER_CACHE:
        return _TIER_CACHE[key]
    sli = ctx.table("inference_sli")
    since_lit = ibis.literal(since, type="timestamp('UTC')")
    last = sli.filter(sli.window_start >= since_lit)
    last = last.group_by("endpoint").aggregate(last_start=last.window_start.max())
    rows = sli.filter(sli.window_start >= since_lit, sli.endpoint.notnull())
    found = rows.join(last, [rows.endpoint == last.endpoint,
                             rows.window_start == last.last_start]).select("endpoint", "tier")
    tiers = {r["endpoint"]: int(r["tier"])
             for r in ctx.backend.to_pyarrow(found).to_pylist()}
    if key[0] is not None:
        if len(_TIER_CACHE) >= 64:
            _TIER_CACHE.pop(next(iter(_TIER_CACHE)))
        _TIER_CACHE[key] = tiers
    return tiers


_TIER_CACHE: dict[tuple, dict[str, int]] = {}


def windows(ctx: Ctx, periods: Sequence[Period]) -> ir.Table:
    """Per period and endpoint: SLI windows, Σrequests, Σerrors, the windows counted for
    latency (requests > 0 and a p95) and those meeting the endpoint's p95 objective.

    The raw windows are reduced first, counting the windows under each distinct objective
    (300, 500, 1000 ms by default); the endpoint's own count is then picked after a join of
    a few hundred rows, not of millions.
    """
    rows = in_periods(scoped(ctx, "inference_sli"), "window_start", periods)
    since = min(p.start for p in periods)
    limits = sorted({_objective(ctx, e, t) for e, t in latest_tiers(ctx, since).items()})
    timed = (rows.requests > 0) & rows.latency_p95_ms.notnull()
    under = {f"met_{i}": rows.count(where=timed & (rows.latency_p95_ms <= limit))
             for i, limit in enumerate(limits)}
    per = rows.group_by(["period", "p_days", "p_scale", "p_quarter", "endpoint"]).aggregate(
        windows=rows.count(), requests=rows.requests.sum(), errors=rows.errors.sum(),
        latency_windows=rows.count(where=timed), **under)
    objectives = endpoint_objectives(ctx, since)
    per = per.left_join(objectives, per.endpoint == objectives.o_endpoint)
    picked = [(per.objective_p95_ms == limit, per[f"met_{i}"]) for i, limit in enumerate(limits)]
    met = ibis.cases(*picked, else_=0) if picked else ibis.literal(0, type="int64")
    return per.mutate(latency_met=met).drop("o_endpoint", *under)


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
    Formula("time_to_detect", detected, _ttd, "incidents detected"),
    Formula("time_to_mitigate", mitigated, _ttm, "incidents mitigated"),
    Formula("inference_availability", windows, _availability, "SLI windows", sli_events),
    Formula("inference_latency_slo", windows, _latency, "SLI windows with requests and a p95",
            sli_events),
    Formula("pipeline_reliability", pipeline_runs, _reliability, "pipeline runs"),
    Formula("model_performance_lift", performance, _lift, "(model, metric) pairs"),
    Formula("performance_drift_rate", performance, _drift, "(model, metric) pairs"),
    Formula("cost_per_1k_inferences", inference_costs, _per_1k, "inference cost lines"),
    Formula("cost_per_training_run", training_runs, _per_run, "training runs"),
]
