"""What the store holds, for the data-health page and the dashboard's filters.

Read-only: one hardened connection per call (``store.connect_read``), closed after,
values bound as parameters. Table and column names come from the event contract
(``events.KINDS``), never from a caller.

    quarantine_rows(db)   # the rows ingest held back, newest ingest first, with reasons
    ingest_history(db)    # one row per ingest: kind, files, inserted, updated, ...
    event_span(db)        # (oldest, newest) anchor timestamp over every kind
    team_names(db)        # the roster, plus any team seen in events
    status_report(db, now)   # `mlkpi status`: rows, newest, stale per kind; quarantine counts
    data_freshness(db, now)  # rows, newest event (ISO, Z) and stale per kind
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from metrics.catalog import KPI, Catalog, load_catalog
from metrics.errors import MlkpiError
from metrics.events import KINDS
from metrics.periods import parse_period
from metrics.sql import answers
from metrics.sql.engine import Engine, as_engine
from metrics.sql.templates import Query
from metrics.store.db import connect_read, snapshot_path

if TYPE_CHECKING:  # pandas only for the frames of the data-health page, not for the CLI
    import pandas as pd

# two periods of the most frequent cadence a kind feeds (kpis.md, "Frequency")
STALE_AFTER = {"weekly": timedelta(days=14), "monthly": timedelta(days=62),
               "quarterly": timedelta(days=183)}
QUARANTINE_COLUMNS = ["ingest_id", "ingested_at", "kind", "file", "line", "column", "reason",
                      "raw"]
INGEST_COLUMNS = ["ingest_id", "ingested_at", "kind", "files", "inserted", "updated",
                  "duplicates", "quarantined", "extra_columns"]


def _rows(db: Path, sql: str, params: list | None = None, keep: bool = False) -> list[tuple]:
    """The rows of ``sql``; with ``keep``, kept for the store's content
    (``metrics.sql.answers``): the filters' teams and tiers scan every event table (0.4 s
    at 30M SLI rows)."""
    con = connect_read(Path(db))
    try:
        content = answers.stamp(con) if keep else None
        return answers.remembered(content, ("health", sql, params),
                                  lambda: con.execute(sql, params or []).fetchall())
    finally:
        con.close()


def quarantine_rows(db: Path, limit: int = 500) -> pd.DataFrame:
    """Quarantined rows with their reasons, newest ingest first, at most `limit`."""
    rows = _rows(db, """
        SELECT q.ingest_id, l.ingested_at, q.kind, q.file, q.line, q."column", q.reason, q.raw
        FROM quarantine q LEFT JOIN ingest_log l USING (ingest_id)
        ORDER BY q.ingest_id DESC, q.line LIMIT ?""", [int(limit)])
    import pandas as pd

    return pd.DataFrame(rows, columns=QUARANTINE_COLUMNS)


def ingest_history(db: Path, limit: int = 50) -> pd.DataFrame:
    """The last `limit` ingests, newest first."""
    rows = _rows(db, f"SELECT {', '.join(INGEST_COLUMNS)} FROM ingest_log "
                     "ORDER BY ingest_id DESC LIMIT ?", [int(limit)])
    import pandas as pd

    return pd.DataFrame(rows, columns=INGEST_COLUMNS)


def _dated_kinds() -> list[tuple[str, str]]:
    """(table, anchor column) of every kind dated by a timestamp or a date."""
    return [(kind.name, kind.anchor) for kind in KINDS.values()
            if kind.anchor and kind.column(kind.anchor).type in ("ts", "date")]


def event_span(db: Path) -> tuple[datetime, datetime] | None:
    """(oldest, newest) anchor instant over every dated kind, in UTC; None when empty."""
    parts = " UNION ALL ".join(
        f'SELECT min("{col}")::TIMESTAMPTZ AS lo, max("{col}")::TIMESTAMPTZ AS hi FROM "{table}"'
        for table, col in _dated_kinds())
    rows = _rows(db, f"SELECT min(lo), max(hi) FROM ({parts})", keep=True)
    lo, hi = rows[0] if rows else (None, None)
    if lo is None or hi is None:
        return None
    return _utc(lo), _utc(hi)


def stored_kinds(db: Path) -> list[str]:
    """The kinds with at least one stored row, in catalog order of ``KINDS``."""
    parts = " UNION ALL ".join(f"SELECT {i} AS i FROM (SELECT 1 FROM \"{name}\" LIMIT 1)"
                               for i, name in enumerate(KINDS))
    names = list(KINDS)
    return [names[i] for (i,) in sorted(_rows(db, parts, keep=True))]


def team_names(db: Path) -> list[str]:
    """Teams on the roster and teams seen in any kind with a team column, sorted."""
    tables = [kind.name for kind in KINDS.values() if kind.has_column("team")]
    union = " UNION ".join(f'SELECT DISTINCT team FROM "{table}"' for table in tables)
    return sorted(str(row[0]) for row in _rows(db, union, keep=True) if row[0])


def tiers_seen(db: Path) -> list[int]:
    """Tiers that any stored event with a tier column carries, sorted."""
    tables = [kind.name for kind in KINDS.values() if kind.has_column("tier")]
    union = " UNION ".join(f'SELECT DISTINCT tier FROM "{table}"' for table in tables)
    return sorted(int(row[0]) for row in _rows(db, union, keep=True) if row[0] is not None)


class ScopeError(MlkpiError):
    """A team or tier that no stored event mentions: an empty report would look like data."""


def check_scope(db: Path, team: str | None, tier: int | None) -> None:
    """Refuse a team or tier that no stored event mentions, naming the ones that exist."""
    if team is not None and team not in (known := team_names(db)):
        shown = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
        raise ScopeError(f"no stored event mentions team '{team}'; known teams: "
                         f"{shown or 'none yet'}")
    if tier is not None and tier not in (seen := tiers_seen(db)):
        shown = ", ".join(map(str, seen)) or "none yet"
        raise ScopeError(f"no stored event has tier {tier}; tiers in the store: {shown}")


def _utc(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


# -- status ---------------------------------------------------------------------------------

def quarantine_counts(db: Path) -> dict[str, int]:
    """Rows held back per kind: distinct raw rows, so a bad file ingested twice counts once."""
    con = connect_read(db)
    try:
        rows = con.execute(
            "SELECT kind, count(DISTINCT (file, line, raw)) FROM quarantine GROUP BY kind"
        ).fetchall()
    finally:
        con.close()
    return {kind: n for kind, n in rows if kind in KINDS}


def status_report(db: Path, now: datetime) -> dict:
    """cli.md's status object: every kind under ``kinds``, quarantine counts per kind.

    A store that does not exist yet is reported, not refused: every kind empty and
    stale (``"exists": false``), and nothing is created.
    """
    from metrics.slo.notifications import status as notification_status

    if not db.exists() and not snapshot_path(db).exists():
        empty = {"rows": 0, "newest": None, "stale": True}
        return {"db": str(db), "exists": False,
                "kinds": {kind: dict(empty) for kind in KINDS}, "quarantined": {}}
    return {
        "db": str(db),
        "kinds": data_freshness(db, now),
        "quarantined": quarantine_counts(db),
        "notifications": notification_status(db),
    }


# -- freshness ------------------------------------------------------------------------

def data_freshness(db: Path, now: datetime) -> dict[str, dict]:
    """Per kind of events.md: {"rows", "newest" (ISO, Z), "stale"} as of `now` (kpis.md,
    "Frequency"): stale when empty, or when the newest event is older than two periods of
    the most frequent cadence among the KPIs the kind feeds."""
    con = connect_read(Path(db))
    try:
        return freshness(con, now, load_catalog())
    finally:
        con.close()


def freshness(con: Engine | duckdb.DuckDBPyConnection, now: datetime,
              catalog: Catalog) -> dict[str, dict]:
    """data_freshness on an open engine or read connection (the KPI report shares its own)."""
    engine = as_engine(con)
    query = Query("freshness", (), {}, {}, lambda _: _newest_expression(engine))
    found = {r["kind"]: r for r in engine.fetch(query)}
    limits = _stale_after(catalog)
    out = {}
    for kind in KINDS:
        record = found[kind]
        newest = _newest(record)
        if record["rows"] == 0:
            stale = True
        elif newest is None or kind not in limits:  # e.g. the team roster: never stale
            stale = False
        else:
            stale = newest < now.astimezone(UTC) - limits[kind]
        out[kind] = {"rows": int(record["rows"]), "newest": _iso(newest), "stale": stale}
    return out


def _newest_expression(engine: Engine):
    """Per kind, one row: kind, rows, newest timestamp, newest date, newest quarter."""
    import ibis

    return ibis.union(*(_newest_query(engine, kind) for kind in KINDS))


def _newest_query(engine: Engine, kind: str):
    """One row: kind, rows, newest timestamp, newest date, newest quarter label."""
    import ibis
    import ibis.expr.datatypes as dt

    table = engine.table(kind)
    ts = ibis.null().cast("timestamp('UTC')")
    day = ibis.null().cast("date")
    quarter = ibis.null().cast("string")
    anchor = KINDS[kind].anchor
    if kind == "hiring_req":  # max(opened_at, filled_at)
        ts = ibis.greatest(table.opened_at.max(), table.filled_at.max().fill_null(
            table.opened_at.max()))
    elif kind == "roadmap_item":
        quarter = table.quarter.max()  # '2026Q3' > '2026Q2' as text
    elif anchor and table[anchor].type().is_date():
        day = table[anchor].max()
    elif anchor:
        ts = table[anchor].max()
    return table.aggregate(kind=ibis.literal(kind), rows=table.count(),
                           newest_ts=ts.cast(dt.Timestamp(timezone="UTC", scale=6)),
                           newest_date=day, newest_quarter=quarter)


def _newest(record: dict) -> datetime | None:
    if record["newest_ts"] is not None:
        return record["newest_ts"].astimezone(UTC)
    if record["newest_date"] is not None:
        d: date = record["newest_date"]
        return datetime(d.year, d.month, d.day, tzinfo=UTC)
    if record["newest_quarter"] is not None:
        return parse_period(record["newest_quarter"]).start
    return None


def _stale_after(catalog: Catalog) -> dict[str, timedelta]:
    """kind -> the shortest staleness limit among the KPIs it feeds."""
    limits: dict[str, timedelta] = {}
    for kpi in catalog.values():
        for kind in kpi.sources:
            limit = STALE_AFTER[kpi.cadence]
            limits[kind] = min(limits.get(kind, limit), limit)
    return limits


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def kpi_freshness(kpi: KPI, kinds: dict[str, dict]) -> dict:
    """The stalest of the KPI's sources: the oldest newest event, stale if any is stale."""
    newest = [kinds[k]["newest"] for k in kpi.sources if kinds[k]["newest"] is not None]
    return {"newest": min(newest) if newest else None,
            "stale": any(kinds[k]["stale"] for k in kpi.sources)}
