"""KPI and SLO reports computed on another engine (``mlkpi refresh``), as served by
``mlkpi serve --backend URL``: the pages read what the refresh stored, never the cluster.

    stored.serving_results()      # True under `mlkpi serve --backend URL`
    stored.results_freshness()    # "Figures computed on spark://… 3.0 h ago (…) by mlkpi refresh."
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dashboard.cache import Snapshot, cached
from metrics import settings
from metrics.kpi import report as kpi_engine
from metrics.periods import Period
from metrics.store import results


def serving_results() -> bool:
    """Under `mlkpi serve --backend URL`: KPI and SLO reports come from the results that
    `mlkpi refresh` stored, never from the engine (a page does not wait for a cluster)."""
    return settings.backend() is not None


def kpi_report(snap: Snapshot, period: Period, team: str | None,
                      tier: int | None) -> dict[str, Any]:
    """The refreshed report; a period or scope never refreshed shows the store's own
    figures (empty for an org whose events live only in the lakehouse)."""
    found = results.stored(snap.path, "kpis", period.label, team, tier)
    if found is None:
        return kpi_engine.kpi_report(snap.path, period, team=team, tier=tier,
                                     config=snap.org_config())
    return found["report"]


def slo_report(snap: Snapshot, team: str | None, tier: int | None,
                      endpoint: str | None) -> dict[str, Any]:
    found = results.stored(snap.path, "slo")
    if found is None:
        return {"at": None, "endpoints": [], "warnings": []}
    report = results.slo_view(found["report"], team, tier)
    if endpoint is not None:
        report["endpoints"] = [e for e in report["endpoints"] if e["endpoint"] == endpoint]
    return report


def results_freshness(now: datetime | None = None) -> str | None:
    """One sentence on the stored results' age, or None when not serving them:
    "Figures computed on spark://local[2] 3.0 h ago (2026-11-25 11:02 UTC) by mlkpi
    refresh."""
    if not serving_results():
        return None
    found = _results_freshness()
    if found is None:
        return ("No refreshed figures yet: run 'mlkpi refresh --backend URL' (the figures "
                "shown meanwhile are the local store's).")
    hours = ((now or datetime.now(UTC)) - found["oldest"]).total_seconds() / 3600
    said = (f"{hours * 60:.0f} min" if hours < 1 else f"{hours:.1f} h" if hours < 48
            else f"{hours / 24:.0f} days")
    return (f"Figures computed on {', '.join(found['engines'])} {said} ago "
            f"({found['oldest']:%Y-%m-%d %H:%M} UTC) by mlkpi refresh.")


@cached()
def _results_freshness(snap: Snapshot) -> dict[str, Any] | None:
    return results.freshness(snap.path)
