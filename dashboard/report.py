"""The quarterly review as a table, a self-contained HTML report and CSV. No Streamlit.

    table = review_table(report, quarters)    # one row per KPI, changed status first
    html = review_html(table, figures, notes, title="ML KPI review 2026Q3")

The HTML inlines Plotly's JavaScript (`include_plotlyjs=True` once, then `False`), so it
opens offline and loads nothing from a CDN. Every text is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go

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


def review_csv(table: pd.DataFrame, period: str, scope: str) -> bytes:
    out = table.drop(columns=["_changed"], errors="ignore").assign(period=period, scope=scope)
    return out.to_csv(index=False).encode("utf-8")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return html.escape(present.number(value))
    if value is None:
        return "–"
    return html.escape(str(value))


def _table_html(table: pd.DataFrame) -> str:
    shown = [c for c in COLUMNS if c not in ("id", "Family")]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown)
    body = []
    for _, row in table.iterrows():
        mark = ' class="changed"' if row.get("_changed") else ""
        body.append(f"<tr{mark}>" + "".join(f"<td>{_cell(row[c])}</td>" for c in shown)
                    + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _notes_html(notes: Sequence[dict[str, Any]], names: dict[str, str]) -> str:
    if not notes:
        return "<p>No notes for this quarter.</p>"
    items = [f"<li><b>{html.escape(names.get(n['kpi'], n['kpi']))}</b> — "
             f"{html.escape(n['text'])} <small>({html.escape(n['author'])}, "
             f"{html.escape(present.instant(n['written_at']))})</small></li>" for n in notes]
    return f"<ul>{''.join(items)}</ul>"


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;background:#fff}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left}
tr.changed{background:#fff6e0}
h1{margin-bottom:.2rem}.meta{color:#555}
"""


def review_html(table: pd.DataFrame, figures: Sequence[go.Figure],
                notes: Sequence[dict[str, Any]], *, title: str, scope: str) -> str:
    """A single offline HTML file: summary table, notes, then the trend charts."""
    names = dict(zip(table["id"], table["KPI"], strict=False))
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='meta'>Scope: {html.escape(scope)} · generated "
        f"{present.instant(datetime.now(UTC))} by mlkpi · highlighted rows changed "
        "status since last quarter</p>",
        _table_html(table), "<h2>Notes</h2>", _notes_html(notes, names), "<h2>Trends</h2>",
    ]
    for i, fig in enumerate(figures):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0),
                                 config={"displaylogo": False}))
    parts.append("</body></html>")
    return "\n".join(parts)
