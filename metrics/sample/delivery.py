"""Delivery and operations kinds: deployment, incident, defect, training_run, pipeline_run."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from metrics.sample.common import (
    Ctx,
    Model,
    flag,
    months,
    random_instant,
    scaled_count,
    stratified_lognormal,
    ts,
    weeks,
)

SEVERITY_WEIGHTS = {"SEV1": 4, "SEV2": 14, "SEV3": 42, "SEV4": 40}
CAUSE_WEIGHTS = {"drift": 22, "data_quality": 26, "pipeline": 20, "infrastructure": 14,
                 "code": 13, "other": 5}
LEAD_TIME_HOURS = 110.0  # median lead time at the start of the history
LEAD_TIME_YOY = 0.7  # about -25 % a year, quarter on quarter-a-year-ago


def live_models(ctx: Ctx, team: str, when: datetime) -> list[Model]:
    """The team's models in the inventory at ``when`` (falls back to all of them)."""
    f = ctx.frac(when)
    alive = [m for m in ctx.org.team_models(team)
             if m.added <= f and (m.retired is None or f < m.retired)]
    return alive or ctx.org.team_models(team)


def _pick(rnd: random.Random, weights: dict[str, int]) -> str:
    return rnd.choices(list(weights), weights=list(weights.values()))[0]


def _share(start: datetime, end: datetime) -> float:
    return (end - start) / timedelta(days=30.4)


def deployment_rows(ctx: Ctx) -> list[tuple]:
    rnd, rows = ctx.rand("deployment"), []
    for start, end in months(ctx):
        share = min(_share(start, end), 1.0)
        slots = [(t.name, random_instant(rnd, start, end, work_hours=True))
                 for t in ctx.org.teams for _ in range(scaled_count(rnd, 2, 5, share))]
        median = LEAD_TIME_HOURS * LEAD_TIME_YOY ** ctx.years(start + (end - start) / 2)
        leads = stratified_lognormal(rnd, len(slots), median, 0.7)
        for (team, deployed), hours in zip(slots, leads, strict=True):
            model = rnd.choice(live_models(ctx, team, deployed))
            approved = deployed - timedelta(seconds=round(max(hours, 0.5) * 3600))
            automated = rnd.random() < 0.72 + 0.22 * ctx.frac(deployed)
            rows.append([team, model.name, model.tier, approved, deployed, automated,
                         rnd.random() < 0.05])
    rows.sort(key=lambda r: (r[4], r[0], r[1]))
    return [(f"dep-{i:05d}", t, m, tier, ts(a), ts(d), flag(auto), flag(rb))
            for i, (t, m, tier, a, d, auto, rb) in enumerate(rows, 1)]


def _incident(ctx: Ctx, rnd: random.Random, onset: datetime) -> list:
    team = rnd.choice(ctx.org.teams).name
    model = rnd.choice(live_models(ctx, team, onset))
    ttd_median = {1: 24.0, 2: 48.0, 3: 70.0}[model.tier]
    ttd = min(max(ttd_median * math.exp(rnd.gauss(0, 0.55)), 5.0), 120.0)
    detected = onset + timedelta(seconds=round(ttd * 60))
    ttm = min(max(3.5 * math.exp(rnd.gauss(0, 0.8)), 0.5), 20.0)
    mitigated = detected + timedelta(seconds=round(ttm * 3600))
    if mitigated >= ctx.end:  # keep only the two planned incidents ongoing
        mitigated = detected + (ctx.end - detected) / 2
        mitigated = mitigated.replace(microsecond=0)
    return [team, model.name, model.tier, _pick(rnd, SEVERITY_WEIGHTS), _pick(rnd, CAUSE_WEIGHTS),
            onset, detected, mitigated]


def _ongoing(ctx: Ctx) -> list[list]:
    """The incidents still open at as_of; they match the burning endpoints of inference_sli."""
    fast = ctx.end - timedelta(minutes=115)
    slow = ctx.end - timedelta(hours=41)
    return [
        ["search", "query-intent", 1, "SEV2", "infrastructure", fast,
         fast + timedelta(minutes=7), None],
        ["fraud", "txn-fraud", 1, "SEV3", "data_quality", slow,
         slow + timedelta(minutes=52), None],
    ]


def incident_rows(ctx: Ctx) -> list[tuple]:
    rnd, rows = ctx.rand("incident"), _ongoing(ctx)
    cutoff = ctx.end - timedelta(hours=6)
    for start, end in months(ctx):
        end = min(end, cutoff)
        if end <= start:
            continue
        for _ in range(scaled_count(rnd, 4, 8, min(_share(start, end), 1.0)) * ctx.factor):
            rows.append(_incident(ctx, rnd, random_instant(rnd, start, end)))
    rows.sort(key=lambda r: (r[5], r[0], r[1]))
    return [(f"INC-{i:04d}", *r[:5], ts(r[5]), ts(r[6]), ts(r[7]))
            for i, r in enumerate(rows, 1)]


def defect_rows(ctx: Ctx) -> list[tuple]:
    rnd, rows = ctx.rand("defect"), []
    for start, end in months(ctx):
        share = min(_share(start, end), 1.0)
        found = [(t.name, random_instant(rnd, start, end, work_hours=True))
                 for t in ctx.org.teams for _ in range(scaled_count(rnd, 2, 6, share))]
        escaped = 0.32 - 0.14 * ctx.frac(start)  # post-release share falls 32 % -> 18 %
        n_post = round(len(found) * escaped)
        stages = ["post_release"] * n_post + ["pre_release"] * (len(found) - n_post)
        rnd.shuffle(stages)
        for (team, when), stage in zip(found, stages, strict=True):
            model = rnd.choice(live_models(ctx, team, when))
            rows.append((team, model.name, when, stage, _pick(rnd, SEVERITY_WEIGHTS)))
    rows.sort(key=lambda r: (r[2], r[0], r[1]))
    return [(f"DEF-{i:05d}", t, m, ts(w), s, sev) for i, (t, m, w, s, sev) in enumerate(rows, 1)]


TEAM_RUN_COST = {"search": 260.0, "ranking": 420.0, "fraud": 180.0, "growth": 90.0,
                 "platform": 150.0, "forecasting": 70.0}


def training_run_rows(ctx: Ctx) -> list[tuple]:
    rnd, rows = ctx.rand("training_run"), []
    for monday in weeks(ctx):
        end = min(monday + timedelta(days=7), ctx.end)
        for team in ctx.org.teams:
            for _ in range(rnd.randint(1, 5)):
                started = random_instant(rnd, monday, end)
                model = rnd.choice(live_models(ctx, team.name, started))
                status = rnd.choices(("succeeded", "failed", "cancelled"), (85, 10, 5))[0]
                cost = TEAM_RUN_COST[team.base] * 0.9 ** ctx.years(started)
                cost *= math.exp(rnd.gauss(0, 0.45)) * {"succeeded": 1.0, "failed": 0.45,
                                                         "cancelled": 0.2}[status]
                rows.append((started, team.name, model.name, status, round(cost, 2)))
    rows.sort()
    return [(f"tr-{i:06d}", t, m, ts(s), st, f"{c:.2f}")
            for i, (s, t, m, st, c) in enumerate(rows, 1)]


FAILURE_RATE = {1: 0.006, 2: 0.011, 3: 0.016}


def pipeline_run_rows(ctx: Ctx) -> list[tuple]:
    rnd, rows = ctx.rand("pipeline_run"), []
    days = (ctx.end - ctx.start).days
    for p in ctx.org.pipelines:
        hours = range(24) if p.tier == 1 else (p.hour,)
        for d in range(days):
            for h in hours:
                when = ctx.start + timedelta(days=d, hours=h)
                ok = rnd.random() >= FAILURE_RATE[p.tier]
                fresh = ok and rnd.random() < 0.985
                rows.append((when, p.name, p.team, p.tier, ok, fresh))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [(f"{name}-{when:%Y%m%d%H}", name, team, tier, ts(when),
             "success" if ok else "failed", flag(fresh))
            for when, name, team, tier, ok, fresh in rows]
