"""Reports computed elsewhere, kept in the store for the dashboard (spec: backend.md).

``mlkpi refresh --backend URL`` computes the reports the dashboard shows on a distributed
engine and stores them here, stamped with when and on which engine; ``mlkpi serve
--backend URL`` then reads them, so a page never waits for a cluster:

    save_results(db, [Stored("kpis", "2026Q3", "search", None, report)], "spark://local[2]",
                 computed_at)
    stored(db, "kpis", "2026Q3", team="search")  # -> {"report": {...}, "computed_at": …,
                                                 #     "engine": "spark://local[2]"}

One row per (report, period, team, tier); a refresh replaces the rows it computes and
keeps the others. The SLO report is stored once for the whole org ("" period): its
endpoints carry their team and tier, so the team and tier views are filters of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from metrics.store.db import connect_read, writer

TABLE = "result_report"
_DDL = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    report VARCHAR NOT NULL, period VARCHAR NOT NULL, team VARCHAR NOT NULL,
    tier INTEGER NOT NULL, body VARCHAR NOT NULL, computed_at TIMESTAMPTZ NOT NULL,
    engine VARCHAR NOT NULL, PRIMARY KEY (report, period, team, tier))"""


@dataclass(frozen=True)
class Stored:
    """One computed report: kind ("kpis", "series" or "slo"), its period and scope."""

    report: str
    period: str
    team: str | None
    tier: int | None
    body: Any


def save_results(db: Path, results: Iterable[Stored], engine: str,
                 computed_at: datetime) -> int:
    """Store (replace) the reports in one transaction; how many were stored."""
    rows = [(r.report, r.period, r.team or "", r.tier or 0, json.dumps(r.body, default=str),
             computed_at.astimezone(UTC), engine) for r in results]
    with writer(db) as con:
        con.execute(_DDL)
        con.execute("BEGIN")
        con.executemany(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("COMMIT")
    return len(rows)


def stored(db: Path, report: str, period: str = "", team: str | None = None,
           tier: int | None = None) -> dict[str, Any] | None:
    """{"report", "computed_at", "engine"} of one stored report, or None (not refreshed)."""
    found = _query(db, f"SELECT body, computed_at, engine FROM {TABLE} WHERE report = ? AND "
                   "period = ? AND team = ? AND tier = ?", [report, period, team or "", tier or 0])
    if not found:
        return None
    body, computed_at, engine = found[0]
    return {"report": json.loads(body), "computed_at": computed_at.astimezone(UTC),
            "engine": engine}


def freshness(db: Path) -> dict[str, Any] | None:
    """The oldest and newest refresh stamps and their engines; None when never refreshed:
    {"oldest": datetime, "newest": datetime, "engines": ["spark://local[2]"], "reports": 40}."""
    found = _query(db, f"SELECT min(computed_at), max(computed_at), list(DISTINCT engine "
                   f"ORDER BY engine), count(*) FROM {TABLE}", [])
    if not found or not found[0][3]:
        return None
    oldest, newest, engines, count = found[0]
    return {"oldest": oldest.astimezone(UTC), "newest": newest.astimezone(UTC),
            "engines": list(engines), "reports": int(count)}


def slo_view(report: dict[str, Any], team: str | None = None, tier: int | None = None
             ) -> dict[str, Any]:
    """The org's stored SLO report narrowed to a team and/or a tier (their endpoints)."""
    endpoints = [e for e in report["endpoints"]
                 if (team is None or e["team"] == team) and (tier is None or e["tier"] == tier)]
    return {**report, "endpoints": endpoints}


def _query(db: Path, sql: str, params: list) -> list[tuple]:
    con = connect_read(Path(db))
    try:
        return con.execute(sql, params).fetchall()
    except duckdb.CatalogException:  # never refreshed: no results table yet
        return []
    finally:
        con.close()
