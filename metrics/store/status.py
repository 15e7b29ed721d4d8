"""``mlkpi status``: rows, newest event and staleness per kind, quarantined rows."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from metrics.events import KINDS
from metrics.store.db import connect_read


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
    from metrics.kpi.report import data_freshness
    from metrics.slo.notifications import status as notification_status
    from metrics.store.db import snapshot_path

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
