"""The quarterly review's on-screen table. No Streamlit. (The downloadable pack, PDF, HTML
and CSV, is ``metrics.review``'s, the same files as ``mlkpi report``.)

    table = review_table(report, quarters)    # one row per KPI, changed status first
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from metrics import present
from metrics.kpi.targets import change_percent

COLUMNS = ["KPI", "Family", "Value", "Unit", "Target", "Status", "Previous status", "QoQ %",
           "YoY %", "Sample size", "Stale", "id"]


def _value(part: pd.DataFrame, period: str) -> float | None:
    row = part[part["period"].astype(str) == period]
    if row.empty or pd.isna(row["value"].iloc[0]):
        return None
    return float(row["value"].iloc[0])


def _status(part: pd.DataFrame, period: str) -> str | None:
    row = part[part["period"].astype(str) == period]
    return None if row.empty else str(row["status"].iloc[0])


def _change(value: float | None, before: float | None) -> float | None:
    if value is None or before is None or before == 0:
        return None
    return change_percent(value, before)


def review_table(report: dict[str, Any], quarters: pd.DataFrame, previous: str,
                 year_before: str) -> pd.DataFrame:
    """One row per KPI of `report` (a quarter): value, target, status, QoQ and YoY change in
    % (from `quarters` = kpi_series at quarter grain), sample size; KPIs whose status
    changed since `previous` come first, then catalog order."""
    rows = []
    for order, kpi in enumerate(report["kpis"]):
        part = quarters[quarters["kpi"] == kpi["id"]]
        before = _status(part, previous)
        target = kpi.get("target") or {}
        rows.append({
            "KPI": kpi["name"], "Family": kpi.get("family", ""),
            "Value": kpi["value"], "Unit": kpi.get("unit", ""),
            "Target": present.kpi_target(target, kpi.get("unit", "")),
            "Status": present.status_text(kpi["status"]),
            "Previous status": present.status_text(before) if before else "–",
            "QoQ %": _change(kpi["value"], _value(part, previous)),
            "YoY %": _change(kpi["value"], _value(part, year_before)),
            "Sample size": kpi.get("sample_size"),
            "Stale": bool((kpi.get("freshness") or {}).get("stale")),
            "id": kpi["id"], "_changed": before is not None and before != kpi["status"],
            "_order": order,
        })
    df = pd.DataFrame(rows)
    numbers = ["Value", "QoQ %", "YoY %"]  # None → NaN: an empty cell, not the word "None"
    df[numbers] = df[numbers].astype("float64")
    df = df.sort_values(["_changed", "_order"], ascending=[False, True])
    return df.drop(columns=["_order"]).reset_index(drop=True)


def with_closed_figures(table: pd.DataFrame, rows: Sequence[Any]) -> pd.DataFrame:
    """The table of a closed quarter: the closed value and status as the quarter's figure,
    and a 'Restated' column with the recomputed value and why ('' when it did not move).
    `rows`: the review pack's rows (``metrics.review.figures.Row``)."""
    closed = {row.id: row for row in rows}
    out = table.copy()
    out["Value"] = [closed[i].value if i in closed else v
                    for i, v in zip(out["id"], out["Value"], strict=True)]
    out["Value"] = out["Value"].astype("float64")
    out["Status"] = [present.status_text(closed[i].status) if i in closed else s
                     for i, s in zip(out["id"], out["Status"], strict=True)]
    out["Restated"] = [
        f"now {present.quantity(closed[i].recomputed, closed[i].unit)}: {closed[i].reason}"
        if i in closed and closed[i].restated else "" for i in out["id"]]
    return out
