"""People and planning kinds: team_adoption, survey_response, roadmap_item, hiring_req,
headcount."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from metrics.sample.common import (
    Ctx,
    add_months,
    flag,
    midnight,
    month_firsts,
    quarter_label,
    quarters,
    random_instant,
    stratified_lognormal,
    ts,
)

# share of the history elapsed when a team adopted (deployment, monitoring, registry);
# None = not yet. Fully adopted: 2 of 6 teams at the start, 5 of 6 at the end.
ADOPTION = {
    "platform": (0.0, 0.0, 0.0),
    "search": (0.0, 0.0, 0.0),
    "ranking": (0.0, 0.35, 0.0),
    "fraud": (0.0, 0.1, 0.55),
    "growth": (0.2, 0.5, 0.8),
    "forecasting": (0.3, None, 0.6),
}


def team_adoption_rows(ctx: Ctx) -> list[tuple]:
    rows = []
    for day in month_firsts(ctx):
        f = ctx.frac(midnight(day))
        for team in ctx.org.teams:
            since = ADOPTION[team.base]
            lag = 0.04 * team.copy  # large-scale copies adopt a little later
            uses = [s is not None and s + lag <= f for s in since]
            rows.append((day.isoformat(), team.name, *map(flag, uses)))
    return sorted(rows)


GROUP_OFFSET = {"product": 0.1, "security": -0.25, "data": 0.0, "eng": 0.05}
ENGAGEMENT_DIP = 2  # the 3rd quarter of the history has an engagement dip


def _scores(rnd: random.Random, n: int, mean: float) -> list[int]:
    """n answers on the 1-5 scale whose average sits near ``mean``."""
    raw = stratified_lognormal(rnd, n, 1.0, 0.9)  # evenly spread normal quantiles
    return [min(5, max(1, round(mean + math.log(r) * 0.75))) for r in raw]


def _survey_window(start: datetime) -> tuple[datetime, datetime]:
    """The survey runs the first 14 days of the quarter's second month."""
    opens = midnight(add_months(start.date(), 1))
    return opens, opens + timedelta(days=14)


def survey_response_rows(ctx: Ctx) -> list[tuple]:
    rnd, rows = ctx.rand("survey_response"), []
    for qi, (start, _) in enumerate(quarters(ctx)):
        opens, closes = _survey_window(start)
        if opens >= ctx.end:
            continue
        closes = min(closes, ctx.end)
        mean = 4.0 + 0.32 * ctx.frac(start)
        for group, offset in GROUP_OFFSET.items():
            for score in _scores(rnd, 9 * ctx.factor, mean + offset):
                rows.append((random_instant(rnd, opens, closes), "stakeholder_satisfaction",
                             group, score))
        for team in ctx.org.teams:
            mean = 3.7 + 0.3 * ctx.frac(start) - (0.25 if qi == ENGAGEMENT_DIP else 0.0)
            for score in _scores(rnd, 8, mean):
                rows.append((random_instant(rnd, opens, closes), "engagement", team.name, score))
    rows.sort()
    return [(f"SR-{i:05d}", s, ts(w), g, str(sc)) for i, (w, s, g, sc) in enumerate(rows, 1)]


def _delivered(rnd: random.Random, committed: list[str], done_share: float) -> set[str]:
    n = round(len(committed) * rnd.uniform(0.75, 0.92) * done_share)
    return set(rnd.sample(committed, n))


def roadmap_item_rows(ctx: Ctx) -> list[tuple]:
    rnd, rows = ctx.rand("roadmap_item"), []
    for team in ctx.org.teams:
        carried: list[str] = []
        counter = 0
        for start, end in quarters(ctx):
            full = midnight(add_months(start.date(), 3)) - start
            done_share = min((end - start) / full, 1.0)  # the current quarter is in progress
            items = carried[:]
            while len(items) < 10:
                counter += 1
                items.append(f"RM-{team.name.upper()}-{counter:03d}")
            committed = [i for i in items if i in carried or rnd.random() < 0.85]
            done = _delivered(rnd, committed, done_share)
            done |= {i for i in items if i not in committed and rnd.random() < 0.4 * done_share}
            label = quarter_label(start.date())
            rows += [(i, label, team.name, flag(i in committed), flag(i in done)) for i in items]
            carried = [i for i in committed if i not in done][:3]
    return sorted(rows, key=lambda r: (r[1], r[2], r[0]))


CRITICAL_ROLES = ("Senior ML Engineer", "Senior MLOps Engineer", "Staff ML Engineer")
OTHER_ROLES = ("ML Engineer", "Data Scientist", "Data Engineer", "Analytics Engineer")


def hiring_req_rows(ctx: Ctx) -> list[tuple]:
    rnd, rows = ctx.rand("hiring_req"), []
    first = month_firsts(ctx)
    for day in first:
        start = midnight(day)
        end = min(midnight(add_months(day, 1)), ctx.end)
        for _ in range(rnd.randint(2, 4) * ctx.factor):
            critical = rnd.random() < 0.45
            opened = random_instant(rnd, start, end, work_hours=True)
            median = (80.0 if critical else 50.0) * (1 - 0.15 * ctx.frac(opened))
            days = min(max(median * math.exp(rnd.gauss(0, 0.3)), 30.0), 120.0)
            filled = opened + timedelta(days=days, hours=rnd.randint(0, 8))
            filled = filled.replace(microsecond=0)
            role = rnd.choice(CRITICAL_ROLES if critical else OTHER_ROLES)
            rows.append((opened, role, critical, filled if filled < ctx.end else None))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [(f"REQ-{i:04d}", role, flag(c), ts(o), ts(f))
            for i, (o, role, c, f) in enumerate(rows, 1)]


START_HEADCOUNT = {"search": 12, "ranking": 14, "fraud": 10, "growth": 8, "platform": 15,
                   "forecasting": 7}


def headcount_rows(ctx: Ctx) -> list[tuple]:
    rnd, rows = ctx.rand("headcount"), []
    for team in ctx.org.teams:
        size = START_HEADCOUNT[team.base] - team.copy % 2
        for n, day in enumerate(month_firsts(ctx)):
            left = 0 if n == 0 else sum(rnd.random() < 0.08 for _ in range(2))
            regretted = sum(rnd.random() < 0.25 for _ in range(left))
            hires = sum(rnd.random() < 0.2 for _ in range(2))
            size = min(max(size - left + hires, 6), 20)
            rows.append((day.isoformat(), team.name, size, left, regretted))
    return sorted(rows)
