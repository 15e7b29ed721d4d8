"""Read files → validate → quarantine → upsert, in one transaction, with a summary.

Contract (``events.md``, ``cli.md``): a file error stores nothing of that file;
row errors are quarantined with their reasons in the same transaction as the good
rows; identical rows are skipped and counted; a changed row replaces the stored
one and the stored version moves to ``<kind>_history``.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import zoneinfo
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from metrics.errors import MlkpiError
from metrics.events import KINDS, Kind
from metrics.ingest import limits, row_errors, typed
from metrics.ingest.deadline import Deadline, DeadlinePassed
from metrics.ingest.readers import FileError, Staged, detect_format, stage
from metrics.ingest.result import IngestResult
from metrics.ingest.sql import lit, q
from metrics.store import db as store
from metrics.store import recovery

__all__ = ["IngestError", "IngestResult", "check_kind", "check_timezone", "ingest"]


class IngestError(MlkpiError):
    """Bad arguments (unknown kind, bad time zone): one sentence, nothing read."""


Progress = Callable[[str], None]


def check_kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise IngestError(
            f"'{kind}' is not an event kind; use one of: {', '.join(KINDS)}."
        )
    return KINDS[kind]


def check_timezone(tz: str | None) -> str | None:
    if tz is None:
        return None
    try:
        zoneinfo.ZoneInfo(tz)
        known = _duckdb_knows_timezone(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        known = False
    if not known:
        raise IngestError(
            f"'{tz}' is not an IANA time zone; use a name like UTC or Europe/Berlin."
        )
    return tz


def _duckdb_knows_timezone(tz: str) -> bool:
    """zoneinfo accepts file names such as ``posixrules`` that DuckDB's ICU rejects."""
    with duckdb.connect() as con:
        found = con.execute(
            "SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [tz]
        ).fetchone()[0]
    return found > 0


def ingest(
    db: Path,
    kind_name: str,
    files: Sequence[str],
    assume_tz: str | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> IngestResult:
    """Validate and store ``files`` of one kind; see the module docstring."""
    kind = check_kind(kind_name)
    tz = check_timezone(assume_tz)
    try:
        seconds = limits.timeout_seconds()
    except limits.TimeoutSetting as exc:
        raise IngestError(str(exc)) from None
    say = progress or (lambda _msg: None)
    result = IngestResult(kind.name, list(files))
    db = Path(db)
    # next to the store, not in /tmp: a CSV's typed rows are written here (~10 % of the
    # CSV's size), and the store's folder is the one place sure to have room for them. Made
    # under the writer's lock, named after the store: a later writer that finds one knows
    # its ingest died (metrics.store.recovery)
    with (store.writer(db) as con,
          tempfile.TemporaryDirectory(prefix=recovery.scratch_prefix(db), dir=db.parent) as tmp,
          Deadline(con, seconds) as deadline):
        try:
            _run(con, kind, files, tz, strict, Path(tmp), result, say, deadline)
        except (duckdb.InterruptException, DeadlinePassed):
            if not deadline.passed:
                raise
        if deadline.passed and not result.committed:
            raise IngestError(
                f"the ingest of {', '.join(files)} did not finish within {seconds:g} s and was "
                "stopped; nothing of it was stored. Split the files, or allow more time with "
                "MLKPI_INGEST_TIMEOUT (seconds).")
    return result


def _run(con, kind: Kind, files, tz, strict: bool, tmp: Path, result: IngestResult,
         say: Progress, deadline: Deadline) -> None:
    staged = _stage_all(con, kind, files, tmp, result, say)
    if not staged:
        return
    say("validating")
    for part, error in typed.type_files(con, kind, staged, tz, tmp):
        _file_failed(part, error, result)
    if not any(part.ok for part in staged):
        return
    deadline.check()
    repeats = _resolve_batch_conflicts(con, kind, staged)
    row_errors.collect(con, staged, result)
    if strict and result.quarantined:
        result.strict_rejected = True
        return
    deadline.check()
    say("storing")
    _write(con, kind, staged, result, dedupe=repeats)


def _stage_all(con, kind, files, tmp: Path, result: IngestResult, say: Progress) -> list[Staged]:
    staged = []
    for n, name in enumerate(files):
        say(f"reading {name}")
        try:
            fmt = "csv" if name == "-" else detect_format(name)
            path = _stdin_to_file(tmp) if name == "-" else Path(name)
            part = stage(con, kind, path, name, n, fmt)
        except FileError as exc:
            result.file_errors.append(str(exc))
            continue
        if part.extra:
            result.extra_columns[name] = part.extra
        staged.append(part)
    return staged


def _stdin_to_file(tmp: Path) -> Path:
    path = tmp / "stdin.csv"
    with open(path, "wb") as fh:
        shutil.copyfileobj(sys.stdin.buffer, fh)
    return path


def _file_failed(part: Staged, error: FileError, result: IngestResult) -> None:
    part.ok = False
    result.file_errors.append(str(error))
    result.extra_columns.pop(part.file, None)


def _resolve_batch_conflicts(con, kind: Kind, staged: list[Staged]) -> bool:
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
        f"""CREATE TEMP TABLE repeated_hash AS SELECT DISTINCT _h FROM
            (SELECT _h, lag(_h) OVER (ORDER BY _h) AS _before
             FROM (SELECT {hashed} AS _h FROM typed WHERE _ok))
            WHERE _h = _before"""
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
        f"""INSERT INTO bad SELECT r._file, r._rec,
                [{{'column': {lit(kind.key[0])}, 'reason': {reason}}}]
            FROM repeats r SEMI JOIN conflicting c ON {on}"""
    )
    con.execute(f"DELETE FROM repeats r USING conflicting c WHERE {on}")
    return True


def _key_hash(kind: Kind) -> str:
    return f"hash({', '.join(q(k) for k in kind.key)})"


def _write(con, kind: Kind, staged: list[Staged], result: IngestResult, dedupe: bool) -> None:
    """One transaction: new rows, replaced rows (old ones to history), quarantine, log.

    No copy of the batch is made here: the counts come from the row counts and one
    join, new rows go in through an anti-join, and only the keys of changed rows are
    kept aside. With repeats, ``good`` is every valid row whose key hash does not
    repeat plus one row per key of ``repeats``.
    """
    key = [q(k) for k in kind.key]
    cols = ", ".join(q(c) for c in kind.names)
    same = " AND ".join(f"g.{q(c)} IS NOT DISTINCT FROM s.{q(c)}" for c in kind.value_columns)
    on = " AND ".join(f"g.{k} = s.{k}" for k in key)
    table = q(kind.name)
    good = f"SELECT {cols} FROM typed WHERE _ok"
    valid_rows = sum(part.rows for part in staged if part.ok) - result.quarantined
    unique_rows = valid_rows
    if dedupe:
        good += (f" AND {_key_hash(kind)} NOT IN (SELECT _h FROM repeated_hash) "
                 f"UNION ALL SELECT DISTINCT ON ({', '.join(key)}) {cols} FROM repeats")
        repeats, keys = con.execute(
            f"SELECT count(*), count(DISTINCT ({', '.join(key)})) FROM repeats").fetchone()
        unique_rows -= repeats - keys
    con.execute(f"CREATE TEMP VIEW good AS {good}")
    stored = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    if stored:  # changed keys: the only rows set aside, usually few or none
        con.execute(
            f"""CREATE TEMP TABLE changed AS SELECT {', '.join('g.' + k for k in key)}
                FROM good g JOIN {table} s ON {on} WHERE NOT ({same or 'true'})"""
        )
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
        con.execute(
            f"INSERT INTO {table} ({cols}, _ingest_id) SELECT {cols}, ? FROM {new}",
            [ingest_id],
        )
        _quarantine(con, kind, staged, result, ingest_id)
        _log(con, kind, staged, result, ingest_id)
        con.execute("COMMIT")
        result.committed = True
    except BaseException:
        con.execute("ROLLBACK")
        raise


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
