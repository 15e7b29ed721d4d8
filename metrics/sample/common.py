"""Shared pieces of the sample generator: the context, the org it describes, formatting.

Every kind gets its own seeded generator (``ctx.rand("deployment")``), so changing how one
kind is drawn never reshuffles another. Nothing here reads the clock.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import NormalDist

import numpy as np

from metrics.events import KINDS

# The columns of each kind, in the event contract's order (the header of each file).
COLUMNS: dict[str, tuple[str, ...]] = {name: tuple(kind.names) for name, kind in KINDS.items()}

P95_OBJECTIVE_MS = {1: 300.0, 2: 500.0, 3: 1000.0}
SLI_FINE_DAYS = 35  # the last 35 days of the small sample use 5-minute windows


@dataclass(frozen=True)
class Team:
    name: str
    area: str
    lead: str
    base: str  # the small-scale team it copies ("search" for "search-3")
    copy: int  # 0 for the original, 1.. for large-scale copies


@dataclass(frozen=True)
class Model:
    name: str
    team: str
    tier: int
    metric: str
    higher_is_better: bool
    baseline: float
    added: float = 0.0  # share of the history elapsed when it first appears
    retired: float | None = None  # share elapsed when it leaves the inventory
    drifting: bool = False


@dataclass(frozen=True)
class Endpoint:
    name: str
    team: str
    tier: int
    rps: float  # mean requests per second at the start of the history
    latency_share: float  # typical p95 as a share of the tier objective


@dataclass(frozen=True)
class Pipeline:
    name: str
    team: str
    tier: int
    hour: int  # daily run hour (tier-1 pipelines run hourly)


@dataclass
class Org:
    teams: list[Team]
    models: list[Model]
    endpoints: list[Endpoint]
    pipelines: list[Pipeline]
    team_by_name: dict[str, Team] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.team_by_name = {t.name: t for t in self.teams}

    def team_models(self, team: str) -> list[Model]:
        return [m for m in self.models if m.team == team]


@dataclass
class Ctx:
    seed: int
    scale: str
    start: datetime  # first instant of the history (a quarter start)
    end: datetime  # as_of midnight UTC, excluded
    org: Org
    factor: int  # 1 for small, 5 for large

    def rand(self, kind: str) -> random.Random:
        # random.Random(str) is seeded via SHA-512: stable across processes, unlike hash().
        return random.Random(f"{self.seed}:{kind}")

    def nprng(self, *parts: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, *parts])

    def frac(self, when: datetime) -> float:
        """Share of the history elapsed at ``when``: 0 at start, 1 at end."""
        return (when - self.start) / (self.end - self.start)

    def years(self, when: datetime) -> float:
        return (when - self.start).total_seconds() / (365.25 * 86400)


# ---------------------------------------------------------------- calendar helpers


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def quarter_start(day: date, back: int = 0) -> date:
    q = (day.year * 4 + (day.month - 1) // 3) - back
    return date(q // 4, (q % 4) * 3 + 1, 1)


def quarter_label(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def add_months(day: date, n: int) -> date:
    m = day.year * 12 + day.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


def months(ctx: Ctx) -> list[tuple[datetime, datetime]]:
    """Calendar months of the history as [start, end) pairs, the last one cut at ctx.end."""
    out, first = [], ctx.start.date()
    while midnight(first) < ctx.end:
        nxt = add_months(first, 1)
        out.append((midnight(first), min(midnight(nxt), ctx.end)))
        first = nxt
    return out


def quarters(ctx: Ctx) -> list[tuple[datetime, datetime]]:
    """Calendar quarters of the history as [start, end) pairs, the last one cut at ctx.end."""
    return [(s, min(midnight(add_months(s.date(), 3)), ctx.end))
            for s, _ in months(ctx) if s.month % 3 == 1]


def month_firsts(ctx: Ctx) -> list[date]:
    """Snapshot dates: the 1st of every month strictly before as_of."""
    return [s.date() for s, _ in months(ctx)]


def weeks(ctx: Ctx) -> list[datetime]:
    """Mondays 00:00 from the first Monday of the history up to as_of."""
    day = ctx.start + timedelta(days=(7 - ctx.start.weekday()) % 7)
    out = []
    while day < ctx.end:
        out.append(day)
        day += timedelta(days=7)
    return out


def random_instant(rnd: random.Random, start: datetime, end: datetime,
                   work_hours: bool = False) -> datetime:
    """A whole-second instant in [start, end); office hours (08-18 UTC) when asked."""
    span = int((end - start).total_seconds())
    when = start + timedelta(seconds=rnd.randrange(max(span, 1)))
    if work_hours:
        moved = when.replace(hour=8 + rnd.randrange(10), minute=rnd.randrange(60))
        when = moved if start <= moved < end else when
    return when


def stratified_lognormal(rnd: random.Random, n: int, median: float, sigma: float) -> list[float]:
    """n lognormal draws from evenly spread quantiles: a small sample with a steady median."""
    qs = [(i + rnd.random()) / n for i in range(n)]
    rnd.shuffle(qs)
    nd = NormalDist()
    return [median * math.exp(sigma * nd.inv_cdf(min(max(q, 1e-9), 1 - 1e-9))) for q in qs]


def scaled_count(rnd: random.Random, low: int, high: int, share: float) -> int:
    """A count in [low, high] scaled by the share of the period that is in the history."""
    return round(rnd.randint(low, high) * share)


# ---------------------------------------------------------------- formatting


def ts(when: datetime | None) -> str:
    """2026-07-01 09:30 UTC -> '2026-07-01T09:30:00Z'; None -> ''."""
    return "" if when is None else when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def flag(value: bool) -> str:
    return "true" if value else "false"


def write_csv(path: Path, kind: str, rows: list[tuple]) -> int:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS[kind])
        writer.writerows(rows)
    return len(rows)
