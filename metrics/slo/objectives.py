"""The endpoints' objectives as the SLO queries need them (spec: slo.md "Objectives").

An endpoint's objective comes from ``slo_objective`` (tier defaults, then
``[slo.tier.N]``, then ``[slo.endpoint."name"]``); here it becomes rows of a parameter
table, one per endpoint, that the queries join on:

    ranker-v2, 99.9 %, 300 ms, 30 days, at 2026-07-10 12:00Z
    → {"endpoint": "ranker-v2", "budget": 0.001, "latency_objective": 300.0,
       "window_from": 2026-06-10 12:00Z}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from metrics.config import OrgConfig, SloOverride
from metrics.events import TIERS_TEXT

OBJECTIVES = "slo_objectives"  # the parameter table of the endpoints' objectives


@dataclass(frozen=True)
class Objective:
    """An endpoint's SLO: availability in percent, p95 latency in ms, window in days."""

    availability: float
    latency_p95_ms: float
    window_days: int
    source: str


SLO_DEFAULTS = {1: (99.9, 300.0, 30), 2: (99.5, 500.0, 30), 3: (99.0, 1000.0, 30)}


def slo_objective(endpoint: str | None, tier: int, config: OrgConfig) -> Objective:
    """The endpoint's objectives: slo.md's tier defaults, then slo.tier.N, then
    slo.endpoint."name". Tier 1 with no config: Objective(99.9, 300.0, 30, 'default')."""
    if tier not in SLO_DEFAULTS:
        raise ValueError(f"tier {tier!r} is not a tier; use {TIERS_TEXT}.")
    availability, latency, days = SLO_DEFAULTS[tier]
    source = "default"
    for override in (config.slo_tiers.get(tier), config.slo_endpoints.get(endpoint)):
        if override is None or override == SloOverride():
            continue
        source = "organisation"
        availability = _pick(override.availability, availability)
        latency = _pick(override.latency_p95_ms, latency)
        days = _pick(override.window_days, days)
    return Objective(availability=availability, latency_p95_ms=latency, window_days=days,
                     source=source)


def _pick(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


def error_budget(objective: Objective) -> float:
    """The error ratio the objective allows, as a fraction: 99.9 % → 0.001."""
    return (100 - objective.availability) / 100


def longest_window_days(config: OrgConfig) -> int:
    """The longest compliance window any endpoint can have under ``config``."""
    overrides = [*config.slo_tiers.values(), *config.slo_endpoints.values()]
    return max([days for _, _, days in SLO_DEFAULTS.values()]
               + [o.window_days for o in overrides if o.window_days is not None])


def objectives_rows(at: datetime, objectives: list[dict[str, Any]]) -> dict[str, list]:
    """One row per endpoint (columns as lists): its objective figures and window start."""
    objs: list[Objective] = [o["objective"] for o in objectives]
    return {"endpoint": [o["endpoint"] for o in objectives],
            "budget": [error_budget(o) for o in objs],
            "latency_objective": [float(o.latency_p95_ms) for o in objs],
            "window_from": [at - timedelta(days=o.window_days) for o in objs]}
