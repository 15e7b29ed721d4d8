"""Display helpers over engine output: deltas, counts, tables and sparklines for pages.

No KPI logic and no query: numbers come from the engines through ``dashboard.data``
(cached); these functions only arrange them for showing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from dashboard import data, theme
from metrics.config import resolve_target
from metrics.kpi.targets import evaluate
from metrics.periods import parse_period


def status_counts(report: dict[str, Any]) -> dict[str, int]:
    """{'ahead': 3, 'on_track': 9, 'off_track': 5, 'no_data': 2, 'no_baseline': 2}."""
    counts = dict.fromkeys(("ahead", "on_track", "off_track", "no_baseline", "no_data"), 0)
    for kpi in report["kpis"]:
        counts[kpi["status"]] = counts.get(kpi["status"], 0) + 1
    return counts


def tiles(report: dict[str, Any], series: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per KPI: `spark` (values of the last periods, oldest first), `delta` (value minus the
    previous period's value, None when either is missing) and `previous` (its label).
    Plain Python over the series' rows (21 KPIs × 8 periods): one pandas filter per KPI
    cost ~25 ms of held GIL per scorecard run."""
    rows: dict[str, list[tuple]] = {}
    if len(series):
        for kpi_id, start, value, period in zip(series["kpi"], series["period_start"],
                                                series["value"], series["period"],
                                                strict=True):
            rows.setdefault(kpi_id, []).append((start, value, period))
    out: dict[str, dict[str, Any]] = {}
    for kpi in report["kpis"]:
        part = sorted(rows.get(kpi["id"], []), key=lambda row: row[0])
        values = [None if pd.isna(v) else float(v) for _, v, _ in part]
        prev = values[-2] if len(values) >= 2 else None
        delta = None if prev is None or kpi["value"] is None else kpi["value"] - prev
        out[kpi["id"]] = {"spark": [v for v in values if v is not None], "delta": delta,
                          "previous": str(part[-2][2]) if len(part) >= 2 else None}
    return out


def slo_table(report: dict[str, Any]) -> pd.DataFrame:
    """One row per endpoint (worst first, as the engine sorts), burn rates as columns."""
    rows = []
    for e in report["endpoints"]:
        row = {"endpoint": e["endpoint"], "team": e["team"], "tier": e["tier"],
               "alert": theme.alert_text(e["alert"]), "fired": ", ".join(e["fired"]) or "–",
               "burning since": since_text(e.get("burning_since"), report.get("at")),
               "availability %": e["availability"], "objective %": e["objective"],
               "latency compliance %": e["latency_compliance"],
               "budget remaining %": e["budget_remaining"],
               "hours to exhaustion": e.get("hours_to_exhaustion")}
        row.update({f"burn {w}": v for w, v in e["burn_rates"].items()})
        rows.append(row)
    return pd.DataFrame(rows)


def since_text(since: str | None, at: str | None) -> str:
    """'2026-11-21 22:00 UTC (2 h)' from ISO instants; '–' when not burning.
    Over two days the length reads in days and hours: '(3 d 4 h)'."""
    if not since or not at:
        return "–"
    start = datetime.fromisoformat(since.replace("Z", "+00:00"))
    hours = round((datetime.fromisoformat(at.replace("Z", "+00:00")) - start).total_seconds()
                  / 3600)
    length = f"{hours} h" if hours < 48 else (f"{hours // 24} d"
                                                + (f" {hours % 24} h" if hours % 24 else ""))
    return f"{start:%Y-%m-%d %H:%M} UTC ({length})"


def threshold_text(thresholds: dict[str, float]) -> str:
    """'1h/5m > 14.4 · 6h/30m > 6 (page); 1d/2h > 3 · 3d/6h > 1 (ticket)'."""
    shown = [f"{name} > {value:.3g}" for name, value in thresholds.items()]
    return " · ".join(shown[:2]) + " (page); " + " · ".join(shown[2:]) + " (ticket)"


def kpi_by_team(period: str, kpi_id: str, tier: str | int | None = None) -> pd.DataFrame:
    """One KPI for each team (the engine's value for that team's scope): team, value,
    sample_size, status, change, target_level (the value that just meets the target: the
    target itself when absolute, baseline × (1 + target ÷ 100) when relative)."""
    p = parse_period(period)
    target = data.resolved_targets(period)[kpi_id]
    back = int(target.get("baseline_periods") or 0)
    rows = []
    for team in data.teams():
        series = data.kpi_series(period, back + 1, [kpi_id], team, tier, p.grain)
        last, first = series.iloc[-1], series.iloc[0]
        value = None if pd.isna(last["value"]) else float(last["value"])
        entry = {"value": value, "target": target, "change": last["change"],
                 "baseline": {"value": None if pd.isna(first["value"]) else first["value"]}}
        rows.append({"team": team, "value": value, "sample_size": int(last["sample_size"]),
                     "status": last["status"], "change": last["change"],
                     "target_level": target_level(entry)})
    return pd.DataFrame(rows)


def target_level(kpi: dict[str, Any]) -> float | None:
    """The KPI value that would just meet its target (see kpi_by_team)."""
    target = kpi.get("target") or {}
    if target.get("kind") != "relative":
        return target.get("value")
    base = (kpi.get("baseline") or {}).get("value")
    return None if base is None else base * (1 + target["value"] / 100)


def spread_by_period(end: str, kpi_id: str, column: str, n: int = 8,
                     team: str | None = None, tier: str | int | None = None,
                     grain: str | None = None) -> pd.DataFrame:
    """Per period: median, p25, p75 and count of a drill-down column (e.g. lead_time_hours)."""
    series = data.kpi_series(end, n, None, team, tier, grain)  # the all-KPI call, cached
    periods = series[series["kpi"] == kpi_id]["period"].astype(str)
    rows = []
    for period in periods:
        values = data.kpi_events(kpi_id, period, team, tier).get(column, pd.Series(dtype=float))
        values = pd.to_numeric(values, errors="coerce").dropna()
        rows.append({"period": period, "median": values.median() if len(values) else None,
                     "p25": values.quantile(0.25) if len(values) else None,
                     "p75": values.quantile(0.75) if len(values) else None,
                     "sample_size": len(values)})
    return pd.DataFrame(rows)


def cost_by_service(events: pd.DataFrame, top: int = 12) -> pd.DataFrame:
    """Cost per 1k inferences per service over cost_per_1k_inferences drill-down rows."""
    cols = ["service", "team", "cost_per_1k", "sample_size", "cost_usd"]
    if events.empty:
        return pd.DataFrame(columns=cols)
    grouped = events.groupby(["service", "team"], as_index=False).agg(
        cost_usd=("cost_usd", "sum"), inferences=("inferences", "sum"),
        sample_size=("cost_usd", "size"))
    grouped = grouped[grouped["inferences"] > 0]
    grouped["cost_per_1k"] = 1000 * grouped["cost_usd"] / grouped["inferences"]
    return grouped.sort_values("cost_usd", ascending=False).head(top)[cols]


def uncovered(events: pd.DataFrame, flag: str, max_tier: int | None = None) -> pd.DataFrame:
    """Inventory drill-down rows (production models, tier <= max_tier) where `flag` is false."""
    if events.empty or flag not in events:
        return events
    rows = events[events[flag].fillna(False).astype(bool).eq(False)]
    if "in_production" in rows:
        rows = rows[rows["in_production"].fillna(False).astype(bool)]
    if max_tier is not None and "tier" in rows:
        rows = rows[rows["tier"] <= max_tier]
    keep = [c for c in ("model", "team", "tier", "snapshot_date", flag) if c in rows]
    return rows[keep].reset_index(drop=True)


def freshness_table(status: dict[str, Any]) -> pd.DataFrame:
    """Per kind: rows, newest event, stale — from data_freshness."""
    return pd.DataFrame([{"kind": kind, "rows": info.get("rows", 0),
                          "newest": info.get("newest"), "stale": bool(info.get("stale"))}
                         for kind, info in status.get("kinds", {}).items()])


def catalog_table(period: str | None) -> pd.DataFrame:
    """Every KPI's definition and the target in force for `period` (default or the
    organisation's, and from which period)."""
    targets = data.resolved_targets(period) if period else {}
    rows = []
    for kpi_id, kpi in data.catalog().items():
        t = targets.get(kpi_id) or {"kind": kpi.target.kind, "op": kpi.target.op,
                                    "value": kpi.target.value, "stretch": kpi.target.stretch,
                                    "source": "default", "from": None}
        relative = t["kind"] == "relative"
        rows.append({
            "KPI": kpi.name, "id": kpi_id, "family": kpi.family_name, "what": kpi.what,
            "why": kpi.why, "formula": kpi.formula, "anchor": kpi.anchor, "unit": kpi.unit,
            "direction": f"{kpi.direction} is better", "cadence": kpi.cadence,
            "target": _target_words(t, kpi.unit, relative, kpi.target.baseline),
            "target source": t["source"] + (f" from {t['from']}" if t.get("from") else ""),
            "blueprint target": kpi.blueprint_target, "sources": ", ".join(kpi.sources),
            "tier filter": "applies" if kpi.tier_filter else "does not apply"})
    return pd.DataFrame(rows)


def _target_words(t: dict[str, Any], unit: str, relative: bool, baseline: str | None) -> str:
    from dashboard.charts import target_text

    text = target_text(t["op"], t["value"], t.get("stretch"), unit, relative)
    if relative:
        text += " vs a year earlier" if baseline == "year" else " vs the previous period"
    return text


def cost_by_service_vs_year(period: str, team: str | None = None,
                            tier: str | int | None = None, top: int = 12) -> pd.DataFrame:
    """Cost per 1k inferences per service this period and a year earlier, with the level
    that meets the year-over-year target and the status from the engine's `evaluate`."""
    kpi_id = "cost_per_1k_inferences"
    p = parse_period(period)
    _, _, cfg, _ = data._key()
    target = resolve_target(data.catalog()[kpi_id], p, data._config(cfg))
    before_label = p.shift(-(target.baseline_periods or 4)).label
    now = cost_by_service(data.kpi_events(kpi_id, period, team, tier), top)
    before = cost_by_service(data.kpi_events(kpi_id, before_label, team, tier), 10_000)
    base = dict(zip(before["service"], before["cost_per_1k"], strict=False))
    now = now.assign(baseline=[base.get(s) for s in now["service"]])
    now["target_level"] = [None if b is None else b * (1 + target.value / 100)
                           for b in now["baseline"]]
    now["status"] = [evaluate(v, target, b).status
                     for v, b in zip(now["cost_per_1k"], now["baseline"], strict=False)]
    return now
