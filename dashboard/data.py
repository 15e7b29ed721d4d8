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

import functools
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from dashboard import process
from metrics.catalog import Catalog, load_catalog
from metrics.config import OrgConfig, config_path_from_env, load_config, resolve_target
from metrics.kpi import report as kpi_engine
from metrics.periods import parse_period
from metrics.slo import report as slo_engine
from metrics.slo import series as slo_series
from metrics.store import health, notes
from metrics.store.db import StoreError, db_path_from_env, snapshot_path

# The server is one long-lived process for every session: cap the memory of its DuckDB
# read connections (metrics.store.db.connect_read reads $MLKPI_READ_MEMORY; DuckDB's own
# default is 80 % of RAM, and at 263M SLI rows its buffer pool took the server to 1.7 GB).
# The engines stream their scans, so the cap costs no speed; an operator may set another.
READ_MEMORY = "512MB"


def cap_read_memory() -> None:
    """Set $MLKPI_READ_MEMORY to READ_MEMORY unless the operator set it; the server's
    entrypoint calls this before anything reads the store."""
    os.environ.setdefault("MLKPI_READ_MEMORY", READ_MEMORY)

# A new ingest shows at once anyway (the snapshot mtime is in the key), so the TTL only
# bounds how old "now"-relative flags (stale data) get. It is long so that the figures the
# warm-up computed after an ingest are still there when someone opens a link hours later.
TTL = 6 * 3600  # seconds
# "background": once an entry's TTL is over, callers still get it (for one more TTL) while
# one thread recomputes it, so nobody waits for an engine run because a clock ran out.
T = TypeVar("T")
CACHE = dict(ttl=TTL, max_entries=256, show_spinner=False, refresh_mode="background")


def _cached(**options: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """``st.cache_data(**options)``, with the computation itself (a cache miss) run aside
    of this session's turn (``process.aside``): other sessions draw while it computes."""
    def decorate(fn: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(fn)  # Streamlit keys the cache on the name and source of fn
        def compute(*args: Any, **kwargs: Any) -> T:
            with process.aside():
                return fn(*args, **kwargs)
        return st.cache_data(**options)(compute)
    return decorate


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
    """(db, snapshot mtime, config path, config mtime): part of every cached call; the
    stamp pinned by ``one_snapshot`` when inside one."""
    pinned = getattr(_PINNED, "stamp", None)
    return pinned if pinned is not None else snapshot_stamp()


def snapshot_stamp() -> tuple[str, float, str, float]:
    """The cache key's (db, snapshot mtime (0.0: none), config, config mtime): two
    os.stat calls; changes at each ingest and each config edit."""
    db = db_path()
    config = config_path_from_env(None)
    return str(db), _mtime(snapshot_path(db)), str(config or ""), _mtime(config)


_PINNED = threading.local()


@contextmanager
def one_snapshot() -> Iterator[None]:
    """Within the block (one script run, in its own thread), every call reads the stamp
    taken on entering it: a page's figures all come from the same snapshot even if an
    ingest publishes a new one meanwhile, and the run stats the files once rather than
    once per call (each stat lets the event loop take the GIL)."""
    _PINNED.stamp = snapshot_stamp()
    try:
        yield
    finally:
        _PINNED.stamp = None


def _config(config_path: str) -> OrgConfig:
    return load_config(config_path or None)


def _tier(tier: str | int | None) -> int | None:
    return None if tier in (None, "", "all") else int(tier)


def _team(team: str | None) -> str | None:
    return None if team in (None, "", "all") else team


# --- the store -------------------------------------------------------------------------

@_cached(ttl=60, max_entries=16, show_spinner=False, refresh_mode="background")
def _status(db: str, snap: float) -> dict[str, Any]:
    path = Path(db)
    try:
        freshness = health.data_freshness(path, datetime.now(UTC))
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


@_cached(**CACHE)
def _span(db: str, snap: float) -> tuple[datetime, datetime] | None:
    return health.event_span(Path(db))


def event_span() -> tuple[datetime, datetime] | None:
    """(oldest, newest) event instant in the store, or None."""
    db, snap, _, _ = _key()
    return _span(db, snap)


@_cached(**CACHE)
def _teams(db: str, snap: float) -> list[str]:
    return health.team_names(Path(db))


def teams() -> list[str]:
    """Team names from the roster and the events, sorted."""
    db, snap, _, _ = _key()
    return _teams(db, snap)


@_cached(**CACHE)
def _quarantine(db: str, snap: float, limit: int) -> pd.DataFrame:
    return health.quarantine_rows(Path(db), limit)


def quarantine_rows(limit: int = 500) -> pd.DataFrame:
    db, snap, _, _ = _key()
    return _quarantine(db, snap, limit)


@_cached(**CACHE)
def _ingests(db: str, snap: float, limit: int) -> pd.DataFrame:
    return health.ingest_history(Path(db), limit)


def ingest_history(limit: int = 50) -> pd.DataFrame:
    db, snap, _, _ = _key()
    return _ingests(db, snap, limit)


# --- KPIs ------------------------------------------------------------------------------

def catalog() -> Catalog:
    return load_catalog()


@_cached(**CACHE)
def _kpi_report(db: str, snap: float, cfg: str, cfg_t: float, period: str,
                team: str | None, tier: int | None) -> dict[str, Any]:
    return kpi_engine.kpi_report(Path(db), parse_period(period), team=team, tier=tier,
                                 config=_config(cfg))


def kpi_report(period: str, team: str | None = None, tier: str | int | None = None
               ) -> dict[str, Any]:
    """cli.md's `mlkpi kpis` object for one period and scope."""
    return _kpi_report(*_key(), period, _team(team), _tier(tier))


@_cached(**CACHE)
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


@_cached(**CACHE)
def _kpi_tiles(db: str, snap: float, cfg: str, cfg_t: float, period: str, team: str | None,
               tier: int | None, grain: str | None) -> dict[str, dict[str, Any]]:
    from dashboard import views  # views imports this module

    report = _kpi_report(db, snap, cfg, cfg_t, period, team, tier)
    series = _kpi_series(db, snap, cfg, cfg_t, period, 8, None, team, tier, grain)
    return views.tiles(report, series)


def kpi_tiles(period: str, team: str | None = None, tier: str | int | None = None,
              grain: str | None = None) -> dict[str, dict[str, Any]]:
    """The scorecard's tiles (``views.tiles`` over the period's report and its 8-period
    series of every KPI), cached as plain lists: a scorecard run reads a small dict
    instead of unpickling the series frame and filtering it per KPI."""
    return _kpi_tiles(*_key(), period, _team(team), _tier(tier), grain)


@_cached(**CACHE)
def _review_table(db: str, snap: float, cfg: str, cfg_t: float, quarter: str,
                  team: str | None, tier: int | None) -> pd.DataFrame:
    from dashboard import report  # display code; imported here to keep this module's head light

    q = parse_period(quarter)
    return report.review_table(_kpi_report(db, snap, cfg, cfg_t, quarter, team, tier),
                               _kpi_series(db, snap, cfg, cfg_t, quarter, 8, None, team, tier,
                                           "quarter"),
                               q.shift(-1).label, q.shift(-4).label)


def review_table(quarter: str, team: str | None = None,
                 tier: str | int | None = None) -> pd.DataFrame:
    """The quarterly review's table (``report.review_table`` of the quarter's report and
    its 8-quarter series against the last quarter and the same quarter a year before),
    cached: building it filters the series once per KPI (~50 ms per run)."""
    return _review_table(*_key(), quarter, _team(team), _tier(tier))


def series_by_team(end: str, kpi_id: str, team_names: list[str], n: int = 8,
                   tier: str | int | None = None, grain: str | None = None) -> pd.DataFrame:
    """kpi_series of one KPI once per team, stacked with a `team` column."""
    parts = []
    for team in team_names:
        part = kpi_series(end, n, [kpi_id], team, tier, grain)
        parts.append(part.assign(team=team))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


@_cached(**CACHE)
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

@_cached(**CACHE)
def _slo_report(db: str, snap: float, cfg: str, cfg_t: float, team: str | None,
                tier: int | None, endpoint: str | None) -> dict[str, Any]:
    return slo_engine.slo_report(Path(db), team=team, tier=tier, endpoint=endpoint,
                                 config=_config(cfg))


def slo_report(team: str | None = None, tier: str | int | None = None,
               endpoint: str | None = None) -> dict[str, Any]:
    """cli.md's `mlkpi slo` object (+ thresholds, hours_to_exhaustion, warnings)."""
    return _slo_report(*_key(), _team(team), _tier(tier), endpoint)


@_cached(**CACHE)
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
