"""Pure shaping of the SLO report for the SLO burn page: budget urgency in words, time
to exhaustion, one table row per endpoint. The numbers are the engine's (``metrics.slo``);
only their wording is decided here.

>>> exhaustion_text({"alert": "page", "budget_remaining": 50.0, "window_days": 30,
...                  "burn_rates": {"1h": 25.0}})
'14 h at the 1h rate (25×)'
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from metrics import present
from metrics.slo import alerts

BUDGET_STATES = ((0.0, "✗✗ exhausted"), (25.0, "✗ critical"), (50.0, "! low"))


def budget_state(remaining: float | None) -> str:
    """The urgency of an error budget in words: exhausted, critical (< 25 % left), low
    (< 50 %), healthy.

    >>> budget_state(78.0), budget_state(30.0), budget_state(12.5), budget_state(0.0)
    ('✓ healthy', '! low', '✗ critical', '✗✗ exhausted')
    """
    if present.missing(remaining):
        return present.MISSING
    for below, word in BUDGET_STATES:
        if remaining <= below if below == 0.0 else remaining < below:
            return word
    return "✓ healthy"


def exhaustion(entry: dict[str, Any]) -> tuple[float | None, str]:
    """Hours until the budget is spent and the rate that says so: a paging endpoint at its
    1h rate (what it burns now), any other at its 1d rate; None when not burning."""
    rates = entry.get("burn_rates") or {}
    look = "1h" if entry.get("alert") == "page" else "1d"
    hours = alerts.hours_to_exhaustion(entry.get("budget_remaining"), rates.get(look),
                                       int(entry.get("window_days") or 30))
    return hours, look


def exhaustion_text(entry: dict[str, Any]) -> str:
    """'11 h at the 1h rate (25×)', 'not burning', 'spent'."""
    hours, look = exhaustion(entry)
    if hours is None:
        return "not burning"
    if hours <= 0:
        return "spent"
    rate = (entry.get("burn_rates") or {}).get(look)
    shown = present.duration(round(hours)) if hours >= 1 else f"{round(hours * 60)} min"
    return f"{shown} at the {look} rate ({present.number(rate)}×)"


# the columns of the SLO page's first two tables (the third is "endpoint" + the burn rates)
STANDING = ("endpoint", "alert", "budget", "budget remaining %", "time to exhaustion",
            "burning since")
COMPLIANCE = ("endpoint", "team", "tier", "fired", "availability %", "objective %",
              "latency compliance %")


def slo_table(report: dict[str, Any]) -> pd.DataFrame:
    """One row per endpoint (worst first, as the engine sorts), burn rates as columns."""
    rows = []
    for e in report["endpoints"]:
        row = {"endpoint": e["endpoint"], "alert": present.alert_text(e["alert"]),
               "budget": budget_state(e["budget_remaining"]),
               "budget remaining %": e["budget_remaining"],
               "time to exhaustion": exhaustion_text(e),
               "burning since": present.since_text(e.get("burning_since"), report.get("at")),
               "team": e["team"], "tier": e["tier"],
               "fired": ", ".join(e["fired"]) or "–",
               "availability %": e["availability"], "objective %": e["objective"],
               "latency compliance %": e["latency_compliance"]}
        row.update({f"burn {w}": v for w, v in e["burn_rates"].items()})
        rows.append(row)
    return pd.DataFrame(rows)


def threshold_text(thresholds: dict[str, float]) -> str:
    """'1h/5m > 14.4 · 6h/30m > 6 (page); 1d/2h > 3 · 3d/6h > 1 (ticket)'."""
    shown = [f"{name} > {value:.3g}" for name, value in thresholds.items()]
    return " · ".join(shown[:2]) + " (page); " + " · ".join(shown[2:]) + " (ticket)"
