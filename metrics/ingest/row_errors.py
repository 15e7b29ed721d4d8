"""The row errors of a batch for the summary: file, line, column and reason.

    collect(con, staged, result)   # result.quarantined, result.errors

A record's line is its physical line: a CSV record after a quoted newline or a blank line
starts lower down (``record_lines``); Parquet and JSON arrays report the record number.
"""

from __future__ import annotations

import pyarrow as pa

from metrics.ingest.readers import Staged, record_lines
from metrics.ingest.result import IngestResult


def collect(con, staged: list[Staged], result: IngestResult) -> None:
    bad = con.execute("SELECT count(*) FROM bad").fetchone()[0]
    result.quarantined = bad
    if not bad:
        return
    _attach_lines(con, staged)
    rows = con.execute(
        """SELECT _file, _line, e.column, e.reason FROM
           (SELECT _file, _line, unnest(_errors) AS e FROM bad) ORDER BY _file, _line"""
    ).fetchall()
    result.errors = [
        {"file": staged[f].file, "line": line, "column": col, "reason": reason}
        for f, line, col, reason in rows
    ]


def _attach_lines(con, staged: list[Staged]) -> None:
    """Physical line numbers: a CSV record after a quoted newline or a blank line starts
    lower down (``record_lines``); Parquet and JSON arrays report the record number."""
    con.execute("ALTER TABLE bad ADD COLUMN IF NOT EXISTS _line BIGINT")  # a second call
    con.execute("UPDATE bad SET _line = _rec")
    for i, part in enumerate(staged):
        if part.fmt == "csv":  # the fallback if the file cannot be re-read: after the header
            con.execute("UPDATE bad SET _line = _rec + 1 WHERE _file = ?", [i])
        if part.fmt not in ("csv", "jsonl"):
            continue
        recs = {r for (r,) in con.execute(
            "SELECT DISTINCT _rec FROM bad WHERE _file = ?", [i]).fetchall()}
        lines = record_lines(part, recs)
        if not lines:
            continue
        linemap = pa.table({"rec": list(lines), "line": list(lines.values())})
        con.register("linemap", linemap)
        try:
            con.execute("UPDATE bad SET _line = m.line FROM linemap m "
                        "WHERE bad._file = ? AND bad._rec = m.rec", [i])
        finally:
            con.unregister("linemap")
