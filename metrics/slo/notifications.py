"""The notification log in the store: every alert-state change and every delivery attempt.

Two append-only tables (nothing is ever updated or deleted, so they are the audit trail):

    slo_alert_change    one row per change of an endpoint's alert state that was notified
                        (change 7: ranker-v2 ok → page, fired 1h/5m, at 12:00Z)
    slo_alert_delivery  one row per attempt to send a change to a target
                        (change 7 to json://hooks.example.org/…: failed at 12:01Z, then
                        sent at 12:06Z on the next run)

An endpoint's last notified state is the state of its newest change. A delivery is
pending while its (change, target) has attempts but none that succeeded. Targets are
kept redacted (no tokens or passwords) with a SHA-256 of the full URL to recognise them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb

from metrics.store.db import connect_read, snapshot_path

CHANGES, DELIVERIES = "slo_alert_change", "slo_alert_delivery"
_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {CHANGES} (
        change_id BIGINT, endpoint VARCHAR, team VARCHAR, tier INTEGER,
        previous VARCHAR, state VARCHAR, fired VARCHAR, evaluated_at TIMESTAMPTZ,
        detected_at TIMESTAMPTZ, title VARCHAR, body VARCHAR, facts VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {DELIVERIES} (
        change_id BIGINT, target VARCHAR, target_key VARCHAR, attempted_at TIMESTAMPTZ,
        ok BOOLEAN, error VARCHAR)""",
)


@dataclass(frozen=True)
class Change:
    """An alert-state change to notify (``change_id`` given when it is recorded)."""

    change_id: int
    endpoint: str
    team: str | None
    tier: int | None
    previous: str
    state: str
    fired: tuple[str, ...]
    evaluated_at: datetime
    title: str
    body: str
    facts: dict[str, Any]


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt of a change to a target."""

    change_id: int
    target: str  # the full URL: only its redacted form and key are stored
    attempted_at: datetime
    ok: bool
    error: str | None
    title: str = ""  # the message's title, for the run's summary (not stored twice)


def target_key(url: str) -> str:
    """A stable name for a target that does not reveal it: sha256 of the URL."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def redact(url: str) -> str:
    """The URL's scheme and host only: 'slack://T1/B2/secret' → 'slack://T1/…',
    'mailto://ana:pw@mail.example.org' → 'mailto://mail.example.org/…'."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(a target that is not a URL)"
    return f"{parts.scheme}://{host}{port}/…"


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The two tables (idempotent); called inside the store's writer."""
    for ddl in _DDL:
        con.execute(ddl)


def record(con: duckdb.DuckDBPyConnection, changes: list[Change], attempts: list[Attempt],
           detected_at: datetime) -> None:
    """Append the new changes and every attempt of this run, in one transaction."""
    create_tables(con)
    con.execute("BEGIN")
    if changes:
        con.executemany(
            f"INSERT INTO {CHANGES} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(c.change_id, c.endpoint, c.team, c.tier, c.previous, c.state,
              ",".join(c.fired), c.evaluated_at, detected_at, c.title, c.body,
              json.dumps(c.facts)) for c in changes])
    if attempts:
        con.executemany(
            f"INSERT INTO {DELIVERIES} VALUES (?, ?, ?, ?, ?, ?)",
            [(a.change_id, redact(a.target), target_key(a.target), a.attempted_at, a.ok,
              a.error) for a in attempts])
    con.execute("COMMIT")


def _read(db: Path, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    """Rows of ``sql`` from the snapshot; none when the store or the tables do not exist."""
    if not db.exists() and not snapshot_path(db).exists():
        return []
    con = connect_read(db)
    try:
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name IN (?, ?)",
            [CHANGES, DELIVERIES]).fetchall()}
        if present != {CHANGES, DELIVERIES}:
            return []
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def last_states(db: Path) -> tuple[dict[str, str], int]:
    """({endpoint: last notified state}, the highest change id so far (0: none))."""
    rows = _read(db, f"""SELECT endpoint, state, change_id FROM {CHANGES}
                         QUALIFY row_number() OVER (PARTITION BY endpoint
                                                    ORDER BY change_id DESC) = 1""")
    top = _read(db, f"SELECT coalesce(max(change_id), 0) AS top FROM {CHANGES}")
    return {r["endpoint"]: r["state"] for r in rows}, (top[0]["top"] if top else 0)


_PENDING = f"""
    WITH tried AS (
        SELECT change_id, target_key, any_value(target) AS target, bool_or(ok) AS sent,
               count(*) AS attempts, arg_max(error, attempted_at) AS error,
               max(attempted_at) AS last_attempt
        FROM {DELIVERIES} GROUP BY change_id, target_key)
    SELECT c.*, t.target, t.target_key, t.attempts, t.error, t.last_attempt
    FROM tried t JOIN {CHANGES} c USING (change_id)
    WHERE NOT t.sent ORDER BY c.change_id, t.target"""


def pending(db: Path) -> list[dict[str, Any]]:
    """Deliveries not yet made, oldest change first: the change's columns plus target
    (redacted), target_key, attempts, error (the last one) and last_attempt."""
    return _read(db, _PENDING)


def history(db: Path, endpoint: str, limit: int = 50) -> list[dict[str, Any]]:
    """The endpoint's notified changes, newest first, each with its delivery summary:
    sent (targets reached), failed (targets still pending), last_error."""
    return _read(db, f"""
        WITH tried AS (
            SELECT change_id, target_key, bool_or(ok) AS sent,
                   arg_max(error, attempted_at) AS error
            FROM {DELIVERIES} GROUP BY change_id, target_key)
        SELECT c.change_id, c.evaluated_at, c.detected_at, c.previous, c.state, c.fired,
               c.title, count(*) FILTER (WHERE t.sent) AS sent,
               count(*) FILTER (WHERE NOT t.sent) AS failed,
               max(t.error) FILTER (WHERE NOT t.sent) AS last_error
        FROM {CHANGES} c LEFT JOIN tried t USING (change_id)
        WHERE c.endpoint = ?
        GROUP BY ALL ORDER BY c.change_id DESC LIMIT ?""", [endpoint, int(limit)])


def status(db: Path) -> dict[str, Any]:
    """For ``mlkpi status``: {"changes": n, "pending": deliveries not yet made,
    "last_error": the newest failure's message (None when nothing is pending)}."""
    waiting = pending(db)
    changes = _read(db, f"SELECT count(*) AS n FROM {CHANGES}")
    newest = max(waiting, key=lambda r: r["last_attempt"], default=None)
    return {"changes": changes[0]["n"] if changes else 0, "pending": len(waiting),
            "last_error": newest["error"] if newest else None}
