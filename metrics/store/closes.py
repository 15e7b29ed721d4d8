"""Closed quarters: a quarter's figures frozen in the store, append-only (spec: review.md).

    close_quarter(db, "2026Q3", None, None, by="ana", figures=[...], notes=[...])
    closure(db, "2026Q3", None, None)    # Closure(at=..., by="ana", figures={kpi: {...}})
    reopen_quarter(db, "2026Q3", None, None, by="ben")
    late_events(db, closure, period, None, None, ["deployment"])   # {"deployment": 4}

Nothing is ever updated or deleted: ``close_log`` has one row per close or reopen (who,
when, the newest ingest at that moment, the notes as they stood) and ``closed_kpi`` the
figures of each close. A quarter and scope is closed while its latest log row is a close.
Writes go through ``store.writer`` (serialised, published to the read snapshot).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from metrics.events import KINDS
from metrics.periods import Period, quarter_of
from metrics.store.db import connect_read, writer

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS close_log (
        close_id BIGINT PRIMARY KEY, period VARCHAR NOT NULL, team VARCHAR NOT NULL,
        tier VARCHAR NOT NULL, action VARCHAR NOT NULL, done_at TIMESTAMPTZ NOT NULL,
        done_by VARCHAR NOT NULL, last_ingest_id BIGINT NOT NULL, notes VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS closed_kpi (
        close_id BIGINT NOT NULL, kpi VARCHAR NOT NULL, value DOUBLE, sample_size BIGINT,
        target VARCHAR, status VARCHAR, PRIMARY KEY (close_id, kpi))""",
)


@dataclass(frozen=True)
class Closure:
    """One close of a quarter and scope: who, when, the newest ingest it saw, its figures
    ({kpi: {value, sample_size, target, status}}) and its notes."""

    close_id: int
    at: datetime
    by: str
    last_ingest_id: int
    figures: dict[str, dict] = field(default_factory=dict)
    notes: list[dict] = field(default_factory=list)

    @property
    def at_iso(self) -> str:
        return self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    for statement in SCHEMA:
        con.execute(statement)


def _scope(value: object) -> str:
    return "" if value is None else str(value)


def _latest(con: duckdb.DuckDBPyConnection, period: str, team: str | None,
            tier: int | None) -> tuple | None:
    return con.execute(
        "SELECT close_id, action, done_at, done_by, last_ingest_id, notes FROM close_log "
        "WHERE period = ? AND team = ? AND tier = ? ORDER BY close_id DESC LIMIT 1",
        [period, _scope(team), _scope(tier)]).fetchone()


def _log(con: duckdb.DuckDBPyConnection, period: str, team: str | None, tier: int | None,
         action: str, by: str, at: datetime, notes: list[dict] | None) -> int:
    close_id = con.execute("SELECT COALESCE(max(close_id), 0) + 1 FROM close_log").fetchone()[0]
    last = con.execute("SELECT COALESCE(max(ingest_id), 0) FROM ingest_log").fetchone()[0]
    con.execute("INSERT INTO close_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [close_id, period, _scope(team), _scope(tier), action, at, by, last,
                 None if notes is None else json.dumps(notes, ensure_ascii=False)])
    return int(close_id)


def close_quarter(db: Path, period: str, team: str | None, tier: int | None, *, by: str,
                  figures: list[dict], notes: list[dict], at: datetime | None = None
                  ) -> bool:
    """Freeze `figures` (dicts with id, value, sample_size, target, status) and `notes`;
    False, with nothing written, when the quarter and scope is already closed."""
    at = at or datetime.now(UTC)
    with writer(Path(db)) as con:
        latest = _latest(con, period, team, tier)
        if latest is not None and latest[1] == "close":
            return False
        con.execute("BEGIN")
        close_id = _log(con, period, team, tier, "close", by, at, notes)
        con.executemany("INSERT INTO closed_kpi VALUES (?, ?, ?, ?, ?, ?)", [
            [close_id, f["id"], f["value"], f["sample_size"],
             json.dumps(f["target"], ensure_ascii=False), f["status"]] for f in figures])
        con.execute("COMMIT")
    return True


def reopen_quarter(db: Path, period: str, team: str | None, tier: int | None, *, by: str,
                   at: datetime | None = None) -> bool:
    """Record a reopen; False, with nothing written, when the quarter is not closed."""
    with writer(Path(db)) as con:
        latest = _latest(con, period, team, tier)
        if latest is None or latest[1] != "close":
            return False
        _log(con, period, team, tier, "reopen", by, at or datetime.now(UTC), None)
    return True


def closure(db: Path, period: str, team: str | None = None,
            tier: int | None = None) -> Closure | None:
    """The close in force for a quarter and scope, or None (never closed, or reopened)."""
    con = connect_read(Path(db))
    try:
        if not _has_tables(con):  # a store written before closes existed
            return None
        latest = _latest(con, period, team, tier)
        if latest is None or latest[1] != "close":
            return None
        rows = con.execute("SELECT kpi, value, sample_size, target, status FROM closed_kpi "
                           "WHERE close_id = ?", [latest[0]]).fetchall()
    finally:
        con.close()
    figures = {kpi: {"value": value, "sample_size": size,
                     "target": json.loads(target) if target else None, "status": status}
               for kpi, value, size, target, status in rows}
    return Closure(int(latest[0]), latest[2], latest[3], int(latest[4]), figures,
                   json.loads(latest[5]) if latest[5] else [])


def history(db: Path, period: str, team: str | None = None,
            tier: int | None = None) -> list[dict]:
    """Every close and reopen of a quarter and scope, oldest first: action, at, by."""
    con = connect_read(Path(db))
    try:
        if not _has_tables(con):
            return []
        rows = con.execute("SELECT action, done_at, done_by FROM close_log WHERE period = ? "
                           "AND team = ? AND tier = ? ORDER BY close_id",
                           [period, _scope(team), _scope(tier)]).fetchall()
    finally:
        con.close()
    return [{"action": a, "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "by": b}
            for a, at, b in rows]


def _has_tables(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute("SELECT count(*) FROM information_schema.tables "
                        "WHERE table_name IN ('close_log', 'closed_kpi')").fetchone()[0]
    return found == 2


def late_events(db: Path, closed: Closure, period: Period, team: str | None,
                tier: int | None, kinds: list[str]) -> dict[str, int]:
    """Per kind, the rows of the period and scope ingested (or replaced) after the close:
    {"deployment": 4}. Kinds without a dating column count every late row."""
    counts: dict[str, int] = {}
    con = connect_read(Path(db))
    try:
        for name in kinds:
            sql, params = _late_sql(name, closed.last_ingest_id, period, team, tier)
            n = con.execute(sql, params).fetchone()[0]
            if n:
                counts[name] = int(n)
    finally:
        con.close()
    return counts


def _late_sql(name: str, last_ingest: int, period: Period, team: str | None,
              tier: int | None) -> tuple[str, list]:
    kind = KINDS[name]
    where, params = ["_ingest_id > ?"], [last_ingest]
    if kind.anchor:
        sql_type = kind.column(kind.anchor).sql_type
        if sql_type == "DATE":
            where.append(f'"{kind.anchor}" >= ? AND "{kind.anchor}" < ?')
            params += [period.start.date(), period.end.date()]
        elif sql_type.startswith("TIMESTAMP"):
            where.append(f'"{kind.anchor}" >= ? AND "{kind.anchor}" < ?')
            params += [period.start, period.end]
        else:  # roadmap_item.quarter: '2026Q3'
            where.append(f'"{kind.anchor}" = ?')
            params.append(quarter_of(period).label)
    if team is not None and kind.has_column("team"):
        where.append("team = ?")
        params.append(team)
    if tier is not None and kind.has_column("tier"):
        where.append("tier = ?")
        params.append(tier)
    return f'SELECT count(*) FROM "{name}" WHERE {" AND ".join(where)}', params
