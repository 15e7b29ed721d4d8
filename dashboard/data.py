"""The one bridge from the dashboard to ``metrics/``: every number shown comes through here.

Each engine call is cached with ``st.cache_data`` keyed on (store path, snapshot mtime,
config mtime, arguments). ``mlkpi ingest`` replaces ``<db>.snapshot`` at each ingest, so
its mtime changes and the next run recomputes: new data shows without a restart.

    report = kpi_report("2026Q3", team="search", tier=None)   # cli.md's `mlkpi kpis` object

Arguments are plain strings and ints (hashable, and already validated by ``filters``);
the engines take them as bound values, never spliced into SQL. The store is opened
read-only, one connection per call, inside the engines; no connection is cached.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import theme
from metrics import health, notes, slo_series
from metrics import kpis as kpi_engine
from metrics import slo as slo_engine
from metrics.catalog import Catalog, load_catalog
from metrics.config import OrgConfig, config_path_from_env, load_config, resolve_target
from metrics.periods import parse_period
from metrics.store import StoreError, db_path_from_env, snapshot_path
from metrics.targets import evaluate

# A new ingest shows at once anyway (the snapshot mtime is in the key), so the TTL only
# bounds how old "now"-relative flags (stale data) get. It is long so that the figures the
# warm-up computed after an ingest are still there when someone opens a link hours later.
TTL = 6 * 3600  # seconds
CACHE = dict(ttl=TTL, max_entries=256, show_spinner=False)


# --- keys ------------------------------------------------------------------------------

def db_path() -> Path:
    """`$MLKPI_DB` (set by `mlkpi serve`), else mlkpi.duckdb in the working folder."""
    return db_path_from_env(None)


def _mtime(path: Path | None) -> float:
    try:
        return path.stat().st_mtime if path is not None else 0.0
    except OSError:
        return 0.0


def _key() -> tuple[str, float, str, float]:
    """(db, snapshot mtime, config path, config mtime): part of every cached call."""
    db = db_path()
    config = config_path_from_env(None)
    return str(db), _mtime(snapshot_path(db)), str(config or ""), _mtime(config)


def snapshot_stamp() -> tuple[str, float, str, float]:
    """The cache key's (db, snapshot mtime (0.0: none), config, config mtime): two
    os.stat calls; changes at each ingest and each config edit."""
    return _key()


def _config(config_path: str) -> OrgConfig:
    return load_config(config_path or None)


def _tier(tier: str | int | None) -> int | None:
    return None if tier in (None, "", "all") else int(tier)


def _team(team: str | None) -> str | None:
    return None if team in (None, "", "all") else team


# --- the store -------------------------------------------------------------------------

@st.cache_data(ttl=60, max_entries=16, show_spinner=False)
def _status(db: str, snap: float) -> dict[str, Any]:
    path = Path(db)
    try:
        freshness = kpi_engine.data_freshness(path, datetime.now(UTC))
    except StoreError as exc:
        return {"state": "missing", "db": db, "message": str(exc), "kinds": {}}
    rows = sum(int(k.get("rows") or 0) for k in freshness.values())
    return {"state": "ok" if rows else "empty", "db": db, "message": "", "kinds": freshness}


def store_status() -> dict[str, Any]:
    """{'state': 'missing'|'empty'|'ok', 'db', 'message', 'kinds': {kind: rows/newest/stale}}."""
    db, snap, _, _ = _key()
    if not Path(db).exists() and not snapshot_path(Path(db)).exists():
        return {"state": "missing", "db": db, "message": "", "kinds": {}}
    return _status(db, snap)


@st.cache_data(**CACHE)
def _span(db: str, snap: float) -> tuple[datetime, datetime] | None:
    return health.event_span(Path(db))


def event_span() -> tuple[datetime, datetime] | None:
    """(oldest, newest) event instant in the store, or None."""
    db, snap, _, _ = _key()
    return _span(db, snap)


@st.cache_data(**CACHE)
def _teams(db: str, snap: float) -> list[str]:
    return health.team_names(Path(db))


def teams() -> list[str]:
    """Team names from the roster and the events, sorted."""
    db, snap, _, _ = _key()
    return _teams(db, snap)


@st.cache_data(**CACHE)
def _quarantine(db: str, snap: float, limit: int) -> pd.DataFrame:
    return health.quarantine_rows(Path(db), limit)


def quarantine_rows(limit: int = 500) -> pd.DataFrame:
    db, snap, _, _ = _key()
    return _quarantine(db, snap, limit)


@st.cache_data(**CACHE)
def _ingests(db: str, snap: float, limit: int) -> pd.DataFrame:
    return health.ingest_history(Path(db), limit)


def ingest_history(limit: int = 50) -> pd.DataFrame:
    db, snap, _, _ = _key()
    return _ingests(db, snap, limit)


# --- KPIs ------------------------------------------------------------------------------

def catalog() -> Catalog:
    return load_catalog()


@st.cache_data(**CACHE)
def _kpi_report(db: str, snap: float, cfg: str, cfg_t: float, period: str,
                team: str | None, tier: int | None) -> dict[str, Any]:
    return kpi_engine.kpi_report(Path(db), parse_period(period), team=team, tier=tier,
                                 config=_config(cfg))


def kpi_report(period: str, team: str | None = None, tier: str | int | None = None
               ) -> dict[str, Any]:
    """cli.md's `mlkpi kpis` object for one period and scope."""
    return _kpi_report(*_key(), period, _team(team), _tier(tier))


@st.cache_data(**CACHE)
def _kpi_series(db: str, snap: float, cfg: str, cfg_t: float, end: str, n: int,
                kpi_ids: tuple[str, ...] | None, team: str | None, tier: int | None,
                grain: str | None) -> pd.DataFrame:
    return kpi_engine.kpi_series(Path(db), parse_period(end), n=n,
                                 kpi_ids=list(kpi_ids) if kpi_ids else None, team=team,
                                 tier=tier, config=_config(cfg), grain=grain)


def kpi_series(end: str, n: int = 8, kpi_ids: list[str] | None = None,
               team: str | None = None, tier: str | int | None = None,
               grain: str | None = None) -> pd.DataFrame:
    """Per KPI and period: value, sample_size, status, target, stretch, change."""
    ids = tuple(kpi_ids) if kpi_ids else None
    return _kpi_series(*_key(), end, n, ids, _team(team), _tier(tier), grain)


def series_by_team(end: str, kpi_id: str, team_names: list[str], n: int = 8,
                   tier: str | int | None = None, grain: str | None = None) -> pd.DataFrame:
    """kpi_series of one KPI once per team, stacked with a `team` column."""
    parts = []
    for team in team_names:
        part = kpi_series(end, n, [kpi_id], team, tier, grain)
        parts.append(part.assign(team=team))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


@st.cache_data(**CACHE)
def _kpi_events(db: str, snap: float, cfg: str, cfg_t: float, kpi_id: str, period: str,
                team: str | None, tier: int | None) -> pd.DataFrame:
    return kpi_engine.kpi_events(Path(db), kpi_id, parse_period(period), team, tier,
                                 _config(cfg))


def kpi_events(kpi_id: str, period: str, team: str | None = None,
               tier: str | int | None = None) -> pd.DataFrame:
    """The events behind one KPI value (drill-down)."""
    return _kpi_events(*_key(), kpi_id, period, _team(team), _tier(tier))


def resolved_targets(period: str) -> dict[str, dict[str, Any]]:
    """KPI id -> the target in force for `period` (kind, op, value, stretch, source, from)."""
    _, _, cfg, _ = _key()
    config = _config(cfg)
    p = parse_period(period)
    return {kpi_id: resolve_target(kpi, p, config).to_json()
            for kpi_id, kpi in catalog().items()}


def group_median(events: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    """Display helper over drill-down rows: median and count of `value` per `by` group."""
    if events.empty or by not in events or value not in events:
        return pd.DataFrame(columns=[by, "median", "sample_size"])
    grouped = events.groupby(by, dropna=False)[value]
    out = pd.DataFrame({"median": grouped.median(), "sample_size": grouped.count()})
    return out.reset_index()


def to_csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8")


# --- SLO -------------------------------------------------------------------------------

@st.cache_data(**CACHE)
def _slo_report(db: str, snap: float, cfg: str, cfg_t: float, team: str | None,
                tier: int | None, endpoint: str | None) -> dict[str, Any]:
    return slo_engine.slo_report(Path(db), team=team, tier=tier, endpoint=endpoint,
                                 config=_config(cfg))


def slo_report(team: str | None = None, tier: str | int | None = None,
               endpoint: str | None = None) -> dict[str, Any]:
    """cli.md's `mlkpi slo` object (+ thresholds, hours_to_exhaustion, warnings)."""
    return _slo_report(*_key(), _team(team), _tier(tier), endpoint)


@st.cache_data(**CACHE)
def _slo_frame(db: str, snap: float, cfg: str, cfg_t: float, what: str,
               endpoint: str) -> pd.DataFrame:
    path, config = Path(db), _config(cfg)
    if what == "burn":
        return slo_series.burn_rate_series(path, endpoint, config=config)
    if what == "burndown":
        return slo_series.budget_burndown(path, endpoint, config=config)
    return slo_series.latency_series(path, endpoint, config=config)


def burn_rate_series(endpoint: str) -> pd.DataFrame:
    return _slo_frame(*_key(), "burn", endpoint)


def budget_burndown(endpoint: str) -> pd.DataFrame:
    return _slo_frame(*_key(), "burndown", endpoint)


def latency_series(endpoint: str) -> pd.DataFrame:
    return _slo_frame(*_key(), "latency", endpoint)


# --- notes (their own small store; never cached, never the event store) --------------

def notes_file() -> Path:
    return notes.notes_path(db_path(), os.environ)


def notes_for(period: str, team: str | None, tier: str | int | None) -> list[dict[str, Any]]:
    return notes.notes_for(notes_file(), period, _team(team), _tier(tier))


def note_history(note_id: int) -> list[dict[str, Any]]:
    return notes.note_history(notes_file(), note_id)


def add_note(kpi: str, period: str, team: str | None, tier: str | int | None, author: str,
             text: str) -> int:
    return notes.add_note(notes_file(), kpi, period, _team(team), _tier(tier), author, text)


def edit_note(note_id: int, author: str, text: str) -> int:
    return notes.edit_note(notes_file(), note_id, author, text)


def clear_caches() -> None:
    st.cache_data.clear()


# --- display helpers over engine output (no KPI logic: deltas, counts, sparklines) ----

def status_counts(report: dict[str, Any]) -> dict[str, int]:
    """{'ahead': 3, 'on_track': 9, 'off_track': 5, 'no_data': 2, 'no_baseline': 2}."""
    counts = dict.fromkeys(("ahead", "on_track", "off_track", "no_baseline", "no_data"), 0)
    for kpi in report["kpis"]:
        counts[kpi["status"]] = counts.get(kpi["status"], 0) + 1
    return counts


def tiles(report: dict[str, Any], series: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per KPI: `spark` (values of the last periods, oldest first), `delta` (value minus the
    previous period's value, None when either is missing) and `previous` (its label)."""
    out: dict[str, dict[str, Any]] = {}
    for kpi in report["kpis"]:
        part = series[series["kpi"] == kpi["id"]].sort_values("period_start")
        values = [None if pd.isna(v) else float(v) for v in part["value"]]
        prev = values[-2] if len(values) >= 2 else None
        delta = None if prev is None or kpi["value"] is None else kpi["value"] - prev
        out[kpi["id"]] = {"spark": [v for v in values if v is not None], "delta": delta,
                          "previous": str(part["period"].iloc[-2]) if len(part) >= 2 else None}
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
    target = resolved_targets(period)[kpi_id]
    back = int(target.get("baseline_periods") or 0)
    rows = []
    for team in teams():
        series = kpi_series(period, back + 1, [kpi_id], team, tier, p.grain)
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
    series = kpi_series(end, n, None, team, tier, grain)  # the all-KPI call, cached
    periods = series[series["kpi"] == kpi_id]["period"].astype(str)
    rows = []
    for period in periods:
        values = kpi_events(kpi_id, period, team, tier).get(column, pd.Series(dtype=float))
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
    targets = resolved_targets(period) if period else {}
    rows = []
    for kpi_id, kpi in catalog().items():
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
    _, _, cfg, _ = _key()
    target = resolve_target(catalog()[kpi_id], p, _config(cfg))
    before_label = p.shift(-(target.baseline_periods or 4)).label
    now = cost_by_service(kpi_events(kpi_id, period, team, tier), top)
    before = cost_by_service(kpi_events(kpi_id, before_label, team, tier), 10_000)
    base = dict(zip(before["service"], before["cost_per_1k"], strict=False))
    now = now.assign(baseline=[base.get(s) for s in now["service"]])
    now["target_level"] = [None if b is None else b * (1 + target.value / 100)
                           for b in now["baseline"]]
    now["status"] = [evaluate(v, target, b).status
                     for v, b in zip(now["cost_per_1k"], now["baseline"], strict=False)]
    return now
