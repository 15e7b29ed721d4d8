"""Rows an older mlkpi stored that the contract now refuses move to the quarantine.

Timestamps and dates must lie in ``[events.EARLIEST, events.END)`` (``events.md``); a store
written before that bound may hold, say, a year-10000 instant, which no reader can turn
into a Python datetime. The first writer of such a store (an ingest, or a reader that
publishes, ``db.recover``) moves each such row to the quarantine with its reason, in one
transaction, and marks the store checked (``meta``), so it runs once per store:

    moved = quarantine_out_of_bounds(con)   # {"deployment": 1}
"""

from __future__ import annotations

import duckdb

from metrics.events import EARLIEST, END, KINDS, Kind

MARKER = "bounds_checked"
STORED_EARLIER = "(stored before the bounds were checked)"


def is_checked(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM meta WHERE key = ?", [MARKER]).fetchall()[0][0])


def quarantine_out_of_bounds(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Move out-of-bounds rows to the quarantine (once per store); the counts moved."""
    if is_checked(con):
        return {}
    moved: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        ingest_id = con.execute(
            "SELECT COALESCE(max(ingest_id), 0) + 1 FROM ingest_log").fetchall()[0][0]
        for kind in KINDS.values():
            n = _move(con, kind, ingest_id)
            if n:
                moved[kind.name] = n
        if moved:
            con.execute("INSERT INTO ingest_log VALUES (?, now(), ?, ?, 0, 0, 0, ?, '{}')",
                        [ingest_id, ",".join(moved), f'["{STORED_EARLIER}"]',
                         sum(moved.values())])
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, 'true')", [MARKER])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return moved


def _move(con: duckdb.DuckDBPyConnection, kind: Kind, ingest_id: int) -> int:
    dated = [c for c in kind.columns if c.type in ("ts", "date")]
    if not dated:
        return 0
    outside = {c.name: _outside(c.name, c.sql_type) for c in dated}
    where = " OR ".join(outside.values())
    column = "CASE " + " ".join(f"WHEN {cond} THEN '{name}'" for name, cond in outside.items())
    reason = ("CASE " + " ".join(
        f"WHEN {cond} THEN '{name} must lie between {EARLIEST} and {END} (UTC)'"
        for name, cond in outside.items()) + " END")
    raw = "to_json(struct_pack(" + ", ".join(f'"{c}" := "{c}"' for c in kind.names) + "))"
    n = con.execute(f'SELECT count(*) FROM "{kind.name}" WHERE {where}').fetchall()[0][0]
    if n:
        con.execute(
            f"""INSERT INTO quarantine SELECT ?, ?, ?, NULL, {column} END, {reason}, {raw}
                FROM "{kind.name}" WHERE {where}""", [ingest_id, kind.name, STORED_EARLIER])
        con.execute(f'DELETE FROM "{kind.name}" WHERE {where}')
    return n


def _outside(name: str, sql_type: str) -> str:
    lo, hi = (f"TIMESTAMPTZ '{EARLIEST} 00:00:00+00'", f"TIMESTAMPTZ '{END} 00:00:00+00'") \
        if sql_type == "TIMESTAMPTZ" else (f"DATE '{EARLIEST}'", f"DATE '{END}'")
    return f'("{name}" < {lo} OR "{name}" >= {hi})'
