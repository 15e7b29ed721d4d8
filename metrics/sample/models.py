"""Model and money kinds: model_inventory, model_performance, cost."""

from __future__ import annotations

import math
import random
from datetime import timedelta

from metrics.sample.common import Ctx, Model, flag, midnight, month_firsts, ts, weeks

CONTROLS = ("automated_cicd", "full_lineage", "performance_monitoring", "drift_monitoring",
            "data_quality_monitoring")
MONITORS = CONTROLS[2:]
FINAL_GAP = {"automated_cicd": 0.15, "full_lineage": 0.22}  # share never covered
UNMONITORED = 0.2  # share of tier-1/2 models missing a monitor at the end


def _since(rnd: random.Random, missing: bool) -> float | None:
    """When a control arrived, as a share of the history: about half were there at the start."""
    if missing:
        return None
    return 0.0 if rnd.random() < 0.5 else rnd.uniform(0.05, 0.85)


def _never(rnd: random.Random, models: list[Model], share: float) -> set[str]:
    names = sorted(m.name for m in models)
    return set(rnd.sample(names, round(len(names) * share)))


def coverage_plan(ctx: Ctx) -> dict[str, dict[str, float | None]]:
    """{model: {control: share of the history when it was switched on, or None}}."""
    rnd = ctx.rand("coverage")
    final = [m for m in ctx.org.models if m.retired is None]
    gaps = {c: _never(rnd, final, s) for c, s in FINAL_GAP.items()}
    critical = [m for m in final if m.tier <= 2]
    unmonitored = _never(rnd, critical, UNMONITORED)
    plan = {}
    for m in ctx.org.models:
        row = {c: _since(rnd, m.name in gaps[c]) for c in FINAL_GAP}
        lacking = rnd.choice(MONITORS) if m.name in unmonitored else None
        for c in MONITORS:
            missing = c == lacking or (m.tier == 3 and rnd.random() < 0.3)
            row[c] = _since(rnd, missing)
        plan[m.name] = {c: None if s is None else max(s, m.added) for c, s in row.items()}
    return plan


def model_inventory_rows(ctx: Ctx) -> list[tuple]:
    plan, rows = coverage_plan(ctx), []
    for day in month_firsts(ctx):
        f = ctx.frac(midnight(day))
        for m in ctx.org.models:
            if f < m.added or (m.retired is not None and f >= m.retired):
                continue
            in_prod = f >= m.added + 0.04 or m.added == 0.0  # new models stage a month first
            on = [s is not None and s <= f for s in plan[m.name].values()]
            rows.append((day.isoformat(), m.name, m.team, m.tier, flag(in_prod), *map(flag, on)))
    return sorted(rows)


def _lift(ctx: Ctx, m: Model, weeks_left: int, rnd: random.Random) -> float:
    """Relative improvement over the baseline; drifting models sink to about -9 %."""
    if m.drifting and weeks_left < 8:
        return -0.09 * (8 - weeks_left) / 8 + rnd.gauss(0, 0.004)
    return 0.015 + 0.03 * rnd.random() + rnd.gauss(0, 0.006)


def model_performance_rows(ctx: Ctx) -> list[tuple]:
    rnd, rows = ctx.rand("model_performance"), []
    mondays = weeks(ctx)
    for i, monday in enumerate(mondays):
        when = monday + timedelta(hours=6)
        if when >= ctx.end:
            continue
        f = ctx.frac(when)
        for m in ctx.org.models:
            if f < m.added or (m.retired is not None and f >= m.retired):
                continue
            lift = _lift(ctx, m, len(mondays) - 1 - i, rnd)
            value = m.baseline * (1 + lift if m.higher_is_better else 1 - lift)
            rows.append((m.name, m.team, m.metric, ts(when), f"{value:.5g}", f"{m.baseline:g}",
                         flag(m.higher_is_better)))
    return sorted(rows, key=lambda r: (r[3], r[0]))


UNIT_COST = {"search": 0.045, "ranking": 0.06, "fraud": 0.11, "growth": 0.08,
             "platform": 0.03, "forecasting": 0.09}  # USD per 1k inferences at the start
UNIT_COST_YOY = {"growth": 1.2}  # growth's serving got dearer; the others -15 % a year
TRAINING_DAILY = {"search": 520.0, "ranking": 800.0, "fraud": 310.0, "growth": 150.0,
                  "platform": 260.0, "forecasting": 120.0}


def traffic_factor(years: float, weekday: int) -> float:
    """Traffic grows 30 % a year; weekends are 20 % quieter. Shared with inference_sli."""
    return (1 + 0.3 * years) * (0.8 if weekday >= 5 else 1.0)


def cost_rows(ctx: Ctx) -> list[tuple]:
    rnd, rows = ctx.rand("cost"), []
    for d in range((ctx.end - ctx.start).days):
        day = ctx.start + timedelta(days=d)
        yrs, date = ctx.years(day), day.date().isoformat()
        for e in ctx.org.endpoints:
            base = ctx.org.team_by_name[e.team].base
            served = round(e.rps * 86400 * traffic_factor(yrs, day.weekday())
                           * math.exp(rnd.gauss(0, 0.04)))
            unit = UNIT_COST[base] * UNIT_COST_YOY.get(base, 0.85) ** yrs
            cost = served / 1000 * unit * math.exp(rnd.gauss(0, 0.03))
            rows.append((date, e.team, e.name, "inference", f"{cost:.2f}", str(served)))
        for t in ctx.org.teams:
            train = TRAINING_DAILY[t.base] * math.exp(rnd.gauss(0, 0.35))
            store = (40 + 25 * yrs) * (1.5 if t.area == "platform" else 1.0)
            rows.append((date, t.name, f"{t.name}-gpu-cluster", "training", f"{train:.2f}", ""))
            rows.append((date, t.name, f"{t.name}-lakehouse", "storage", f"{store:.2f}", ""))
            if t.area == "platform" and day.day == 1:
                rows.append((date, t.name, "observability-saas", "other", "1850.00", ""))
    return sorted(rows)
