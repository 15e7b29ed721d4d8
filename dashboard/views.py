"""Pure shaping of engine output for pages: counts, tables, sparklines, groupings.

No KPI logic, no query and no status of its own: the engines' results come in as
arguments (``dashboard.data`` fetches them, cached, and calls these), tables go out.

>>> status_counts({"kpis": [{"status": "on_track"}, {"status": "ahead"}]})["on_track"]
1
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from metrics import present
from metrics.catalog import Catalog
from metrics.kpi.targets import STATUSES


def status_counts(report: dict[str, Any]) -> dict[str, int]:
    """{'ahead': 3, 'on_track': 9, 'off_track': 5, 'no_data': 2, 'no_baseline': 2}."""
    counts = dict.fromkeys(STATUSES, 0)
    for kpi in report["kpis"]:
        counts[kpi["status"]] = counts.get(kpi["status"], 0) + 1
    return counts


def tiles(report: dict[str, Any], series: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per KPI: `spark` (values of the last periods, oldest first), `delta` (value minus the
    previous period's value, None when either is missing) and `previous` (its label).
    Plain Python over the series' rows, not one pandas filter per KPI: it runs on every
    scorecard (docs/performance.md)."""
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
               "alert": present.alert_text(e["alert"]), "fired": ", ".join(e["fired"]) or "–",
               "burning since": present.since_text(e.get("burning_since"), report.get("at")),
               "availability %": e["availability"], "objective %": e["objective"],
               "latency compliance %": e["latency_compliance"],
               "budget remaining %": e["budget_remaining"],
               "hours to exhaustion": e.get("hours_to_exhaustion")}
        row.update({f"burn {w}": v for w, v in e["burn_rates"].items()})
        rows.append(row)
    return pd.DataFrame(rows)


def threshold_text(thresholds: dict[str, float]) -> str:
    """'1h/5m > 14.4 · 6h/30m > 6 (page); 1d/2h > 3 · 3d/6h > 1 (ticket)'."""
    shown = [f"{name} > {value:.3g}" for name, value in thresholds.items()]
    return " · ".join(shown[:2]) + " (page); " + " · ".join(shown[2:]) + " (ticket)"


def by_team(series: Mapping[str, pd.DataFrame], target: dict[str, Any]) -> pd.DataFrame:
    """One row per team from its ``kpi_series`` of one KPI (the baseline period first, the
    period shown last): team, value, sample_size, status, change, target_level."""
    rows = []
    for team, part in series.items():
        last, first = part.iloc[-1], part.iloc[0]
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


def spread(events: Mapping[str, pd.DataFrame], column: str) -> pd.DataFrame:
    """Per period label (in the given order): median, p25, p75 and count of one numeric
    column of that period's drill-down rows."""
    rows = []
    for period, rows_of_period in events.items():
        values = rows_of_period.get(column, pd.Series(dtype=float))
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
                          "newest": present.instant(info.get("newest")),
                          "stale": bool(info.get("stale"))}
                         for kind, info in status.get("kinds", {}).items()])


def catalog_table(catalog: Catalog, targets: Mapping[str, dict[str, Any]]) -> pd.DataFrame:
    """Every KPI's definition and its target (the engine's resolved one: default or the
    organisation's, and from which period)."""
    rows = []
    for kpi_id, kpi in catalog.items():
        t = targets[kpi_id]
        rows.append({
            "KPI": kpi.name, "id": kpi_id, "family": kpi.family_name, "what": kpi.what,
            "why": kpi.why, "formula": kpi.formula, "anchor": kpi.anchor, "unit": kpi.unit,
            "direction": f"{kpi.direction} is better", "cadence": kpi.cadence,
            "target": present.kpi_target(t, kpi.unit),
            "target source": t["source"] + (f" from {t['from']}" if t.get("from") else ""),
            "blueprint target": kpi.blueprint_target, "sources": ", ".join(kpi.sources),
            "tier filter": "applies" if kpi.tier_filter else "does not apply"})
    return pd.DataFrame(rows)


def cost_vs_baseline(now: pd.DataFrame, before: pd.DataFrame, change: float,
                     top: int = 12) -> pd.DataFrame:
    """``cost_by_service`` of this period's rows (the `top` spenders), each with its cost
    per 1k in the baseline period's rows and the level that meets a target `change` in %
    against it (baseline × (1 + change ÷ 100))."""
    table = cost_by_service(now, top)
    before_costs = cost_by_service(before, 10_000)
    base = dict(zip(before_costs["service"], before_costs["cost_per_1k"], strict=True))
    table = table.assign(baseline=[base.get(s) for s in table["service"]])
    table["target_level"] = [None if b is None else b * (1 + change / 100)
                             for b in table["baseline"]]
    return table


def group_median(events: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    """Median and count of `value` per `by` group of drill-down rows."""
    if events.empty or by not in events or value not in events:
        return pd.DataFrame(columns=[by, "median", "sample_size"])
    grouped = events.groupby(by, dropna=False)[value]
    out = pd.DataFrame({"median": grouped.median(), "sample_size": grouped.count()})
    return out.reset_index()


def to_csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8")
