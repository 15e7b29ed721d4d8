"""Pure shaping of engine output for pages: counts, tables, sparklines, groupings.

No KPI logic, no query and no status of its own: the engines' results come in as
arguments (``dashboard.data`` fetches them, cached, and calls these), tables go out.

>>> status_counts({"kpis": [{"status": "on_track"}, {"status": "ahead"}]})["on_track"]
1
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import pandas as pd

from metrics import compact, present
from metrics.catalog import Catalog
from metrics.kpi.targets import STATUSES


def status_counts(report: dict[str, Any]) -> dict[str, int]:
    """{'ahead': 3, 'on_track': 9, 'off_track': 5, 'no_data': 2, 'no_baseline': 2}."""
    counts = dict.fromkeys(STATUSES, 0)
    for kpi in report["kpis"]:
        counts[kpi["status"]] = counts.get(kpi["status"], 0) + 1
    return counts


def tiles(report: dict[str, Any], series: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per KPI what its tile compares, the comparison its status is judged on:

    * `delta`: a relative target's change in % against its baseline (`relative` True,
      `previous` the baseline period), else the value minus the previous period's value;
    * `spark` / `spark_status`: the values of the last periods holding one (oldest first)
      and each one's status.

    Plain Python over the series' rows, not one pandas filter per KPI: it runs on every
    scorecard (docs/performance.md)."""
    rows: dict[str, list[tuple]] = {}
    if len(series):
        statuses = series["status"] if "status" in series else [None] * len(series)
        for kpi_id, start, value, period, status in zip(
                series["kpi"], series["period_start"], series["value"], series["period"],
                statuses, strict=True):
            rows.setdefault(kpi_id, []).append((start, value, period, status))
    out: dict[str, dict[str, Any]] = {}
    for kpi in report["kpis"]:
        part = sorted(rows.get(kpi["id"], []), key=lambda row: row[0])
        shown = [(float(v), s) for _, v, _, s in part if not pd.isna(v)]
        target = kpi.get("target") or {}
        relative = target.get("kind") == "relative" and bool(target.get("baseline_periods"))
        if relative:
            delta = kpi.get("change")
            previous = (kpi.get("baseline") or {}).get("period")
        else:
            prev = part[-2][1] if len(part) >= 2 else None
            prev = None if prev is None or pd.isna(prev) else float(prev)
            delta = None if prev is None or kpi["value"] is None else kpi["value"] - prev
            previous = str(part[-2][2]) if len(part) >= 2 else None
        out[kpi["id"]] = {"spark": [v for v, _ in shown],
                          "spark_status": [s for _, s in shown],
                          "delta": None if present.missing(delta) else delta,
                          "previous": previous, "relative": relative}
    return out


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


def _value_at(part: pd.DataFrame, period: str) -> float | None:
    row = part[part["period"].astype(str) == period]
    if row.empty or pd.isna(row["value"].iloc[0]):
        return None
    return float(row["value"].iloc[0])


def comparison(kpi: dict[str, Any], before: float | None) -> str:
    """A change against an earlier value as people read it: in 'pp' for a percentage, in
    '%' of the earlier value otherwise; '–' when either is missing or the earlier is 0.

    >>> comparison({"value": 84.0, "unit": "%"}, 80.0), comparison({"value": 3, "unit": "h"}, 4)
    ('+4 pp', '-25 %')
    """
    value, unit = kpi.get("value"), kpi.get("unit", "")
    if present.missing(value) or present.missing(before):
        return present.MISSING
    if compact.is_percentage(unit):
        return compact.change_delta(value - before, unit) or present.MISSING
    if before == 0:
        return present.MISSING
    return compact.change_delta(100 * (value - before) / abs(before), "", relative=True) \
        or present.MISSING


def review_view(table: pd.DataFrame, report: dict[str, Any], quarters: pd.DataFrame,
                previous: str, year_before: str, marks: Mapping[str, str | None]
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The quarterly table as people read it: (the columns that matter, the rest).

    Every cell is text from ``metrics.present`` (no 'None', no unrounded float); a KPI the
    scope's filter cannot cut carries its mark ('org-wide'); in a running quarter every
    status is provisional and none counts as changed."""
    kpis = {k["id"]: k for k in report["kpis"]}
    running = report.get("complete") is False
    main, more = [], []
    for _, row in table.iterrows():
        kpi = kpis[row["id"]]
        if "Value" in row and not present.missing(row["Value"]):  # a closed quarter's figure
            kpi = {**kpi, "value": float(row["Value"])}
        part = quarters[quarters["kpi"] == row["id"]]
        mark = marks.get(row["id"])
        shown = row["Status"] if "Status" in row else present.status_text(kpi["status"])
        status = str(shown).replace(" ", "\u00a0")  # one line; a closed quarter's status
        status += " (provisional)" if running else ""
        main.append({
            "KPI": kpi["name"] + (f" [{mark}]" if mark else ""),
            "Status": status,
            "Value": present.quantity(kpi["value"], kpi.get("unit", ""))
                     + (" (pace)" if kpi.get("pace") else ""),
            "Target": present.kpi_target(kpi.get("target"), kpi.get("unit", "")),
            f"vs {previous}": comparison(kpi, _value_at(part, previous)),
            f"vs {year_before}": comparison(kpi, _value_at(part, year_before)),
            "Changed": "✱" if (row["_changed"] and not running) else ""})
        if row.get("Restated"):
            main[-1]["Restated"] = row["Restated"]
        more.append({"KPI": kpi["name"], "Previous status": row["Previous status"],
                     "Sample size": present.number(kpi.get("sample_size")),
                     "Stale data": "yes" if row.get("Stale") else "no",
                     "Family": row.get("Family", "")})
    return pd.DataFrame(main).fillna(""), pd.DataFrame(more)


def readable(df: pd.DataFrame, blank: str = present.MISSING) -> pd.DataFrame:
    """A frame as people read it, for tables and CSV downloads: instants as
    '2026-11-24 22:00 UTC', numbers rounded by ``present.number`` (never '-0.0'), missing
    values as `blank` (never 'None' or 'nan'); integers and text as they are."""
    out = pd.DataFrame(index=df.index)
    for name, col in df.items():
        if pd.api.types.is_datetime64_any_dtype(col):
            out[name] = [blank if pd.isna(v) else present.instant(v.to_pydatetime())
                         for v in col]
        elif pd.api.types.is_float_dtype(col):
            out[name] = [blank if pd.isna(v) else present.number(float(v)) for v in col]
        elif pd.api.types.is_integer_dtype(col) or pd.api.types.is_bool_dtype(col):
            out[name] = col
        else:
            out[name] = [_cell(v, blank) for v in col]
    return out


def _cell(value: Any, blank: str) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return blank
    if isinstance(value, float):
        return present.number(value)
    if hasattr(value, "isoformat") and hasattr(value, "hour"):
        return present.instant(value)
    return value


def without_paths(df: pd.DataFrame) -> pd.DataFrame:
    """Ingest history or quarantine rows for any viewer: a file's name without the server's
    folders, instants read as UTC minutes, '{}' and '[]' as '–'."""
    out = df.copy()
    for name in ("files", "file"):
        if name in out:
            out[name] = out[name].map(_file_names)
    out = readable(out)
    return out.replace({"{}": present.MISSING, "[]": present.MISSING})


def _file_names(value: Any) -> str:
    """'["/srv/in/a.csv", "/srv/in/b.csv"]' -> 'a.csv, b.csv'."""
    if value is None:
        return present.MISSING
    text = str(value).strip()
    try:
        items = json.loads(text) if text.startswith("[") else [text]
    except ValueError:
        items = [text]
    return ", ".join(PurePath(str(i)).name for i in items) or present.MISSING
