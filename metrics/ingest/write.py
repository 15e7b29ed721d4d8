"""Storing a typed batch: one transaction of new rows, replaced rows (the old ones to
history), the quarantine and the log; and the batch's repeated keys resolved.

    if not write(con, kind, staged, result, repeats=None):   # tried on an assumption
        ... check the batch, resolve its repeats, then write(…, repeats=…)

The first try assumes what is nearly always so, and costs a pass over the batch less:
that the Parquet files ``typed`` left unchecked have no failing rows and that no key is
given twice. It counts and checks the rows it inserted, and where the assumption was
wrong, rolls everything back and returns False.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import duckdb

from metrics.events import Kind
from metrics.ingest.readers import Staged
from metrics.ingest.result import IngestResult
from metrics.ingest.sql import lit, q

__all__ = ["resolve_batch_conflicts", "unpushed_filters", "write"]


@contextlib.contextmanager
def unpushed_filters(con) -> Iterator[None]:
    """Typing and storing a batch with DuckDB's filter pushdown off.

    A row's checks are layers of projections (``validate``), and ``WHERE _ok`` pushed
    down through them becomes one filter with every layer inlined into each of its uses:
    a text was checked ~8 times. Measured on 30M Parquet rows: finding the failing rows
    took 1.4 s instead of 3.4 s, and the whole ingest 15.4 s instead of 23.2 s.
    """
    con.execute("SET disabled_optimizers = 'filter_pushdown'")
    try:
        yield
    finally:
        con.execute("RESET disabled_optimizers")


def resolve_batch_conflicts(con, kind: Kind, staged: list[Staged]) -> bool:
    """A key given twice with different content in one batch: quarantine all versions.

    Which version is right cannot be known, so none is stored. Identical repeats
    are left for the duplicate count. Repeats are found by sorting a 64-bit hash of
    the key (measured at 30M rows: half the CPU of grouping by the hash, and it spills
    gracefully under the writer's memory cap); only the rows whose hash repeats (the
    repeats, plus the odd hash collision) are set aside in ``repeats`` and compared by
    their real key. Returns whether any hash repeats at all (the common case, none,
    lets the writer skip de-duplication).
    """
    hashed = _key_hash(kind)
    repeated = con.execute(
        "CREATE OR REPLACE TEMP TABLE repeated_hash AS SELECT DISTINCT _h FROM "
        f"({_repeated_hashes(kind, 'typed WHERE _ok')})"
    ).fetchone()[0]
    if not repeated:
        return False
    cols = ", ".join(q(c) for c in kind.names)
    con.execute(
        f"""CREATE TEMP TABLE repeats AS SELECT _file, _rec, {cols} FROM typed
            WHERE _ok AND {hashed} IN (SELECT _h FROM repeated_hash)"""
    )
    key = ", ".join(q(k) for k in kind.key)
    content = ", ".join(q(c) for c in kind.names)
    con.execute(
        f"""CREATE TEMP TABLE conflicting AS SELECT {key} FROM repeats
            GROUP BY ALL HAVING count(*) > 1 AND count(DISTINCT ({content})) > 1"""
    )
    reason = lit(f"the same {', '.join(kind.key)} appears more than once in this batch "
                 "with different content; keep one version")
    on = " AND ".join(f"r.{q(k)} = c.{q(k)}" for k in kind.key)
    con.execute(
        f"""INSERT INTO bad (_file, _rec, _errors) SELECT r._file, r._rec,
                [{{'column': {lit(kind.key[0])}, 'reason': {reason}}}]
            FROM repeats r SEMI JOIN conflicting c ON {on}"""
    )
    con.execute(f"DELETE FROM repeats r USING conflicting c WHERE {on}")
    return True


def _repeated_hashes(kind: Kind, rows: str) -> str:
    """The key hashes of ``rows`` (a table and its condition) that follow an equal one
    once sorted: every repeat of a hash, once per repeat."""
    return f"""SELECT _h FROM (SELECT _h, lag(_h) OVER (ORDER BY _h) AS _before
                              FROM (SELECT {_key_hash(kind)} AS _h FROM {rows}))
               WHERE _h = _before"""


def _key_hash(kind: Kind) -> str:
    return f"hash({', '.join(q(k) for k in kind.key)})"


def write(con, kind: Kind, staged: list[Staged], result: IngestResult,
          repeats: bool | None) -> bool:
    """Store the batch in one transaction; see the module docstring.

    ``repeats`` None: the first try (see the module docstring). True or False: the batch
    has been checked and ``resolve_batch_conflicts`` has run; with True, ``good`` is every
    valid row whose key hash does not repeat plus one row per key of ``repeats``.
    """
    try:
        return _write(con, kind, staged, result, repeats)
    except duckdb.InterruptException:
        raise
    except duckdb.Error:
        if repeats is not None or all(part.checked for part in staged if part.ok):
            raise
        return False  # an unchecked file unreadable half-way: the caller's check names it


def _write(con, kind: Kind, staged: list[Staged], result: IngestResult,
           repeats: bool | None) -> bool:
    """No copy of the batch is made here: the counts come from the row counts and one
    join, new rows go in through an anti-join, and only the keys of changed rows are
    kept aside. On the first try, the rows inserted must be as many as the counts say
    (else an unchecked file had failing rows), and no key hash may repeat among them
    (found by sorting the hashes: the stored rows are typed and compact)."""
    key = [q(k) for k in kind.key]
    cols = ", ".join(q(c) for c in kind.names)
    same = " AND ".join(f"g.{q(c)} IS NOT DISTINCT FROM s.{q(c)}" for c in kind.value_columns)
    on = " AND ".join(f"g.{k} = s.{k}" for k in key)
    table = q(kind.name)
    good = f"SELECT {cols} FROM typed WHERE _ok"
    valid_rows = sum(part.rows for part in staged if part.ok) - result.quarantined
    unique_rows = valid_rows
    if repeats:
        good += (f" AND {_key_hash(kind)} NOT IN (SELECT _h FROM repeated_hash) "
                 f"UNION ALL SELECT DISTINCT ON ({', '.join(key)}) {cols} FROM repeats")
        n, keys = con.execute(
            f"SELECT count(*), count(DISTINCT ({', '.join(key)})) FROM repeats").fetchone()
        unique_rows -= n - keys
    con.execute(f"CREATE OR REPLACE TEMP VIEW good AS {good}")
    stored = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    result.updated = 0
    if stored:  # changed keys: the only rows set aside, usually few or none
        with unpushed_filters(con):
            _changed(con, kind, on, same, table)
            matched = con.execute(f"SELECT count(*) FROM good g SEMI JOIN {table} s ON {on}"
                                  ).fetchone()[0]
        result.updated = con.execute("SELECT count(*) FROM changed").fetchone()[0]
    else:
        matched = 0
    result.inserted = unique_rows - matched
    result.duplicates = valid_rows - result.inserted - result.updated
    con.execute("BEGIN TRANSACTION")
    try:
        ingest_id = _next_ingest_id(con)
        if result.updated:
            _replace(con, kind, cols, table, ingest_id)
        # after _replace deleted the changed keys, the anti-join yields new and changed rows
        new = f"good g ANTI JOIN {table} s ON {on}" if stored else "good g"
        with unpushed_filters(con):
            inserted = con.execute(
                f"INSERT INTO {table} ({cols}, _ingest_id) SELECT {cols}, ? FROM {new}",
                [ingest_id]).fetchone()[0]
        if repeats is None and (inserted != result.inserted + result.updated
                                or _inserted_twice(con, kind, ingest_id)):
            con.execute("ROLLBACK")
            return False
        _quarantine(con, kind, staged, result, ingest_id)
        _log(con, kind, staged, result, ingest_id)
        con.execute("COMMIT")
        result.committed = True
        return True
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _changed(con, kind: Kind, on: str, same: str, table: str) -> None:
    """``changed``: the keys of the batch whose stored row differs."""
    keys = ", ".join("g." + q(k) for k in kind.key)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE changed AS SELECT {keys}
                    FROM good g JOIN {table} s ON {on} WHERE NOT ({same or 'true'})""")


def _inserted_twice(con, kind: Kind, ingest_id: int) -> bool:
    """Whether a key hash repeats among the rows of ``ingest_id`` (a repeated key, or
    the odd hash collision, which the caller's resolution tells apart)."""
    rows = f"{q(kind.name)} WHERE _ingest_id = ?"
    return con.execute(f"SELECT count(*) FROM ({_repeated_hashes(kind, rows)})",
                       [ingest_id]).fetchone()[0] > 0


def _replace(con, kind: Kind, cols: str, table: str, ingest_id: int) -> None:
    """Move the stored versions of changed keys to history, then delete them."""
    on = " AND ".join(f"s.{q(k)} = c.{q(k)}" for k in kind.key)
    con.execute(
        f"""INSERT INTO {q(kind.name + '_history')} ({cols}, _ingest_id, _replaced_by, _replaced_at)
            SELECT {', '.join('s.' + q(c) for c in kind.names)}, s._ingest_id, ?, now()
            FROM {table} s SEMI JOIN changed c ON {on}""",
        [ingest_id],
    )
    con.execute(f"DELETE FROM {table} s USING changed c WHERE {on}")


def _quarantine(con, kind: Kind, staged: list[Staged], result: IngestResult,
                ingest_id: int) -> None:
    if not result.quarantined:
        return
    for i, part in enumerate(staged):
        raw = "to_json(struct_pack(" + ", ".join(
            f"{q(c)} := st.{q(c)}" for c in part.present) + "))"
        con.execute(
            f"""INSERT INTO quarantine
                SELECT ?, ?, ?, b._line, e.column, e.reason, {raw}
                FROM (SELECT _file, _rec, _line, unnest(_errors) AS e FROM bad) b
                JOIN {part.table} st ON st._rec = b._rec WHERE b._file = ?""",
            [ingest_id, kind.name, part.file, i],
        )


def _log(con, kind: Kind, staged: list[Staged], result: IngestResult, ingest_id: int) -> None:
    con.execute(
        "INSERT INTO ingest_log VALUES (?, now(), ?, ?, ?, ?, ?, ?, ?)",
        [ingest_id, kind.name, json.dumps([p.file for p in staged if p.ok]), result.inserted,
         result.updated, result.duplicates, result.quarantined,
         json.dumps(result.extra_columns)],
    )


def _next_ingest_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT COALESCE(max(ingest_id), 0) + 1 FROM ingest_log").fetchone()[0]
