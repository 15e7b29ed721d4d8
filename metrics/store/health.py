"""What the store holds, for the data-health page and the dashboard's filters.

Read-only: one hardened connection per call (``store.connect_read``), closed after,
values bound as parameters. Table and column names come from the event contract
(``events.KINDS``), never from a caller.

    quarantine_rows(db)   # the rows ingest held back, newest ingest first, with reasons
    ingest_history(db)    # one row per ingest: kind, files, inserted, updated, ...
    event_span(db)        # (oldest, newest) anchor timestamp over every kind
    team_names(db)        # the roster, plus any team seen in events
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from metrics.events import KINDS
from metrics.store.db import connect_read

if TYPE_CHECKING:  # pandas only for the frames of the data-health page, not for the CLI
    import pandas as pd

QUARANTINE_COLUMNS = ["ingest_id", "ingested_at", "kind", "file", "line", "column", "reason",
                      "raw"]
INGEST_COLUMNS = ["ingest_id", "ingested_at", "kind", "files", "inserted", "updated",
                  "duplicates", "quarantined", "extra_columns"]


def _rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = connect_read(Path(db))
    try:
        return con.execute(sql, params or []).fetchall()
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
    rows = _rows(db, f"SELECT min(lo), max(hi) FROM ({parts})")
    lo, hi = rows[0] if rows else (None, None)
    if lo is None or hi is None:
        return None
    return _utc(lo), _utc(hi)


def stored_kinds(db: Path) -> list[str]:
    """The kinds with at least one stored row, in catalog order of ``KINDS``."""
    parts = " UNION ALL ".join(f"SELECT {i} AS i FROM (SELECT 1 FROM \"{name}\" LIMIT 1)"
                               for i, name in enumerate(KINDS))
    names = list(KINDS)
    return [names[i] for (i,) in sorted(_rows(db, parts))]


def team_names(db: Path) -> list[str]:
    """Teams on the roster and teams seen in any kind with a team column, sorted."""
    tables = [kind.name for kind in KINDS.values() if kind.has_column("team")]
    union = " UNION ".join(f'SELECT DISTINCT team FROM "{table}"' for table in tables)
    return sorted(str(row[0]) for row in _rows(db, union) if row[0])


def _utc(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)
