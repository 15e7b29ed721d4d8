"""Mapped rows → a scratch Parquet file → ``ingest`` → the user's names put back.

The scratch file holds one row per mapped row in order, so its record number ``n`` is
``rows[n - 1]``. Timestamps go in as UTC timestamps, every other column as text, which
ingest converts and checks exactly as it does a user's CSV. A column the mapping could
not fill is left empty (ingest quarantines the row as missing it) and its reason is then
replaced by the mapping's own (``team: no value; set [team] in the map``), with the
user's file and line, in the store's quarantine and in the result.
"""

from __future__ import annotations

import json
import tempfile
from array import array
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from metrics.events import KINDS, Kind
from metrics.importers.base import Row
from metrics.importers.times import iso
from metrics.ingest.run import IngestResult, ingest
from metrics.ingest.sql import lit, q
from metrics.store import db as store_db

PREVIEW_ROWS = 5
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)


def store_rows(db: Path, kind_name: str, rows: Sequence[Row], result, say,
               write: Callable[[Path], None] | None = None) -> IngestResult:
    """Ingest ``rows`` (of one kind) into ``db``, or for a dry run into a scratch store.

    A source with millions of rows (Prometheus windows) passes ``write(path)``, which
    writes the typed Parquet file itself, and a ``rows`` sequence that builds the ``Row``
    of a record number only when a quarantined row needs its file, line and reason."""
    kind = KINDS[kind_name]
    if not len(rows):
        return IngestResult(kind.name, list(result.files))
    scratch_dir = Path(db).resolve().parent
    scratch_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".mlkpi-import-", dir=scratch_dir) as tmp:
        path = Path(tmp) / f"{kind.name}.parquet"
        if write is None:
            pq.write_table(to_table(kind, rows), path)
        else:
            write(path)
        target = Path(tmp) / "dry-run.duckdb" if result.dry_run else Path(db)
        shown = f"the mapped {kind.name} rows"
        out = ingest(target, kind.name, [str(path)],
                     progress=lambda msg: say(msg.replace(str(path), shown)))
        relabel(target, out, str(path), rows, result.files)
        if result.dry_run:
            result.preview[kind.name] = preview(target, kind)
            compare_with_store(Path(db), target, kind, out)
    return out


def to_table(kind: Kind, rows: list[Row]) -> pa.Table:
    """One column per contract column: timestamps typed, the rest as text."""
    arrays = []
    for col in kind.columns:
        values = [r.values.get(col.name) for r in rows]
        if col.type == "ts":
            arrays.append(_ts_array([(v - EPOCH) // ONE_US if isinstance(v, datetime) else None
                                     for v in values]))
        else:
            arrays.append(_text_array([v if type(v) is str or v is None else _text(v)
                                       for v in values]))
    return pa.Table.from_arrays(arrays, names=kind.names)


# Arrays built from their buffers: ``pa.array`` on a Python list imports pandas (0.4-0.6 s
# of an import that takes 6 s, measured), and nothing else in an import needs it.
def _text_array(values: list[str | None]) -> pa.Array:
    validity, nulls = _validity(values)
    texts = [v or "" for v in values] if nulls else values
    joined = "".join(texts)  # type: ignore[arg-type]
    if joined.isascii():  # a character is a byte: no string encoded on its own
        data, sizes = joined.encode(), map(len, texts)  # type: ignore[arg-type]
    else:
        encoded = [t.encode() for t in texts]  # type: ignore[union-attr]
        data, sizes = b"".join(encoded), map(len, encoded)
    offsets = array("q", accumulate(sizes, initial=0))
    return pa.LargeStringArray.from_buffers(len(values), pa.py_buffer(offsets),
                                            pa.py_buffer(data), validity, nulls)


def _ts_array(micros: list[int | None]) -> pa.Array:
    """Microseconds since 1970 → UTC timestamps (aware datetimes convert 60x slower)."""
    validity, nulls = _validity(micros)
    data = array("q", (0 if v is None else v for v in micros))
    return pa.Array.from_buffers(pa.timestamp("us", tz="UTC"), len(micros),
                                 [validity, pa.py_buffer(data)], nulls)


def _validity(values: list) -> tuple[pa.Buffer | None, int]:
    """The Arrow validity bitmap of ``values`` (None where none is missing), and the count
    of missing ones."""
    present = np.fromiter((v is not None for v in values), bool, len(values))
    nulls = len(values) - int(np.count_nonzero(present))
    return (pa.py_buffer(np.packbits(present, bitorder="little")) if nulls else None), nulls


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    return str(value)


def relabel(db: Path, out: IngestResult, scratch: str, rows: list[Row],
            files: list[str]) -> None:
    """Put the user's files, lines and the mapping's reasons back, in the result and store."""
    out.files = list(files)
    out.file_errors = [e.replace(scratch, "the mapped rows") for e in out.file_errors]
    out.extra_columns = {}
    fixes = []
    for e in out.errors:
        row = rows[e["line"] - 1]
        reason = row.problems.get(e["column"], e["reason"])
        fixes.append((e["line"], e["column"], row.file, row.line, reason))
        e.update(file=row.file, line=row.line, reason=reason, record=row.record)
    with store_db.writer(db) as con:
        con.execute("BEGIN TRANSACTION")
        ingest_id = con.execute("SELECT max(ingest_id) FROM ingest_log WHERE files = ?",
                                [json.dumps([scratch])]).fetchone()[0]
        if ingest_id is not None:
            con.execute("UPDATE ingest_log SET files = ? WHERE ingest_id = ?",
                        [json.dumps(files), ingest_id])
            if fixes:
                _fix_quarantine(con, ingest_id, fixes)
        con.execute("COMMIT")


def _fix_quarantine(con: duckdb.DuckDBPyConnection, ingest_id: int, fixes: list) -> None:
    columns = zip(*fixes, strict=True)
    table = pa.table({name: list(vals) for name, vals in
                      zip(("rec", "col", "file", "line", "reason"), columns, strict=True)})
    con.register("fixes", table)
    try:
        con.execute("""UPDATE quarantine SET file = f.file, line = f.line, reason = f.reason
                       FROM fixes f WHERE quarantine.ingest_id = ?
                       AND quarantine.line = f.rec AND quarantine."column" = f.col""",
                    [ingest_id])
    finally:
        con.unregister("fixes")


def preview(scratch_db: Path, kind: Kind) -> list[dict]:
    """The first rows a dry run would store, as JSON-ready dicts."""
    with duckdb.connect(str(scratch_db), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        cur = con.execute(f"SELECT {', '.join(q(c) for c in kind.names)} FROM {q(kind.name)} "
                          f"LIMIT {PREVIEW_ROWS}")
        names = [d[0] for d in cur.description]
        return [{n: _text(v) if isinstance(v, datetime) else v for n, v in zip(names, r,
                                                                               strict=True)}
                for r in cur.fetchall()]


def compare_with_store(db: Path, scratch_db: Path, kind: Kind, out: IngestResult) -> None:
    """Turn a dry run's counts (against an empty store) into counts against ``db``:
    rows whose key the store has are updates, or duplicates when identical."""
    snap = store_db.snapshot_path(db)
    if not snap.exists():
        return
    key = " AND ".join(f"d.{q(k)} = s.{q(k)}" for k in kind.key)
    same = " AND ".join(f"d.{q(c)} IS NOT DISTINCT FROM s.{q(c)}" for c in kind.value_columns)
    with duckdb.connect() as con:
        # a snapshot replaced meanwhile is renamed over, never rewritten: this one stays whole
        con.execute(f"ATTACH {lit(str(snap))} AS live (READ_ONLY)")
        con.execute(f"ATTACH {lit(str(scratch_db))} AS dry (READ_ONLY)")
        known, identical = con.execute(
            f"""SELECT count(*), count(*) FILTER (WHERE {same or 'true'})
                FROM dry.{q(kind.name)} d JOIN live.{q(kind.name)} s ON {key}""").fetchone()
    out.inserted -= known
    out.updated += known - identical
    out.duplicates += identical
