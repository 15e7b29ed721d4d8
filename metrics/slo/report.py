"""The SLO report (spec: slo.md, cli.md's JSON shape): per endpoint, its figures, burn
rates and alert state at one instant, worst first.

The figures come from ``metrics.slo.queries`` (one scan per shape of the store), the
alert state and its companions from the pure arithmetic of ``metrics.slo.alerts``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from metrics.config import OrgConfig
from metrics.periods import iso_z
from metrics.slo import alerts
from metrics.slo.alerts import LOOKBACKS, SEVERITY
from metrics.slo.objectives import Objective
from metrics.slo.queries import endpoint_objectives, figures, resolve_at
from metrics.sql.engine import connect


def slo_report(db: Path, at: datetime | None = None, team: str | None = None,
               tier: int | None = None, endpoint: str | None = None,
               config: OrgConfig | None = None, backend: str | None = None) -> dict[str, Any]:
    """Per-endpoint SLO figures and alert state at instant ``at`` (cli.md's JSON shape),
    on the store ``db`` or the engine of the ``backend`` URL (``metrics.sql.engine``).

    ``at`` defaults to the end of the newest SLI window of *all* endpoints,
    max(window_start + window_seconds); a naive ``at`` is taken as UTC. Endpoints listed
    are those with a row starting in [at − longest compliance window, at); an endpoint's
    team and tier are those of its latest row starting before ``at``, and the team/tier
    filters apply to them. An unknown endpoint gives an empty list. Sorted worst first:
    page, ticket, ok, no_data, then budget_remaining ascending (null last), then name.
    """
    config = config or OrgConfig()
    con = connect(Path(db), backend)
    try:
        at = resolve_at(con, at)
        if at is None:
            return {"at": None, "endpoints": [], "warnings": []}
        objectives = endpoint_objectives(con, at, config, endpoint, team, tier)
        rows = figures(con, at, objectives) if objectives else []
    finally:
        con.close()
    endpoints = sorted((_endpoint_entry(row) for row in rows), key=_worst_first)
    warnings = [alerts.unreachable_sentence(e["endpoint"], e["objective"], e["window_days"])
                for e in endpoints if e["page_unreachable"]]
    return {"at": iso_z(at), "endpoints": endpoints, "warnings": warnings}


def _endpoint_entry(row: dict[str, Any]) -> dict[str, Any]:
    obj: Objective = row["objective"]
    burn = {name: row.get(f"burn_{name}") for name in LOOKBACKS}
    alert, fired = alerts.alert_state(burn, obj.window_days,
                                      has_requests=bool(row.get("req_1h") or row.get("req_3d")))
    return {
        "endpoint": row["endpoint"], "team": row["team"], "tier": row["tier"],
        "objective": obj.availability, "latency_p95_objective_ms": obj.latency_p95_ms,
        "window_days": obj.window_days, "objective_source": obj.source,
        "availability": row["availability"], "latency_compliance": row["latency_compliance"],
        "budget_consumed": row["budget_consumed"], "budget_remaining": row["budget_remaining"],
        "burn_rates": burn, "alert": alert, "fired": [r.name for r in fired],
        "thresholds": alerts.thresholds(obj.window_days),
        "hours_to_exhaustion": alerts.hours_to_exhaustion(row["budget_remaining"],
                                                          burn["1d"], obj.window_days),
        "page_unreachable": alerts.page_alert_unreachable(obj.availability, obj.window_days),
        "requests": row["requests"] or 0, "errors": row["errors"] or 0,
        "burning_since": _since(row.get("burning_since"), burn["1h"]),
    }


def _since(since: datetime | None, burn_1h: float | None) -> str | None:
    """The start of the burn episode as ISO (Z); None unless the 1h burn rate is above 1."""
    if since is None or not alerts.burning(burn_1h):
        return None
    return iso_z(since)


def _worst_first(entry: dict[str, Any]) -> tuple:
    remaining = entry["budget_remaining"]
    return (SEVERITY[entry["alert"]], remaining is None,
            0.0 if remaining is None else remaining, entry["endpoint"])
