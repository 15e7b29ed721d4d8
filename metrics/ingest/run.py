"""Read files → validate → quarantine → upsert, in one transaction, with a summary.

Contract (``events.md``, ``cli.md``): a file error stores nothing of that file;
row errors are quarantined with their reasons in the same transaction as the good
rows; identical rows are skipped and counted; a changed row replaces the stored
one and the stored version moves to ``<kind>_history``.
"""

from __future__ import annotations

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
from metrics.ingest.write import resolve_batch_conflicts, unpushed_filters, write
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
    with unpushed_filters(con):
        failed = typed.type_files(con, kind, staged, tz, tmp)
    for part, error in failed:
        _file_failed(part, error, result)
    if not any(part.ok for part in staged):
        return
    if _refused(con, staged, result, strict):
        return
    deadline.check()
    say("storing")
    if write(con, kind, staged, result, repeats=None):
        return
    # the first try's assumption did not hold (metrics.ingest.write): a Parquet file has
    # failing rows or is unreadable half-way, or a key is given twice. Check it all and
    # write again
    deadline.check()
    with unpushed_filters(con):
        for part, error in typed.check(con, kind, staged):
            _file_failed(part, error, result)
        if not any(part.ok for part in staged):
            return
        repeats = resolve_batch_conflicts(con, kind, staged)
    if _refused(con, staged, result, strict):
        return
    deadline.check()
    write(con, kind, staged, result, repeats=repeats)


def _refused(con, staged: list[Staged], result: IngestResult, strict: bool) -> bool:
    """The batch's row errors into ``result``; whether ``--strict`` refuses it for them."""
    row_errors.collect(con, staged, result)
    result.strict_rejected = strict and result.quarantined > 0
    return result.strict_rejected


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


