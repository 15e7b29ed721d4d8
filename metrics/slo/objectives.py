"""The endpoints' objectives as the SLO queries need them (spec: slo.md "Objectives").

An endpoint's objective comes from ``metrics.config.slo_objective`` (tier defaults, then
``[slo.tier.N]``, then ``[slo.endpoint."name"]``); here it becomes rows of a parameter
table, one per endpoint, that the queries join on:

    ranker-v2, 99.9 %, 300 ms, 30 days, at 2026-07-10 12:00Z
    → {"endpoint": "ranker-v2", "budget": 0.001, "latency_objective": 300.0,
       "window_from": 2026-06-10 12:00Z}
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from metrics.config import SLO_DEFAULTS, Objective, OrgConfig

OBJECTIVES = "slo_objectives"  # the parameter table of the endpoints' objectives


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
