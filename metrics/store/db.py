"""The DuckDB store: schema, the only writer, and read snapshots.

Concurrency design (measured on DuckDB itself): DuckDB allows one writing
process *or* many readers on a file, never both. So:

* ``mlkpi.duckdb`` (the *live* file) is opened only by a writer, and writers are
  serialised by an ``flock`` on ``mlkpi.duckdb.lock``.
* After each committed ingest the writer closes the live file (which checkpoints
  it), copies it to ``mlkpi.duckdb.snapshot.tmp`` and ``os.replace``s that onto
  ``mlkpi.duckdb.snapshot``. The rename is atomic: a reader sees the old snapshot
  or the new one, never a partial one, and a reader that already has the old one
  open keeps its inode until it closes.
* Readers (CLI reports, the dashboard) open the snapshot read-only, hardened,
  and never touch the live file, so they never block ingest and never fail on
  its lock. New data is visible as soon as the ingest command returns.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb

from metrics import settings
from metrics.errors import MlkpiError
from metrics.events import KINDS, Kind
from metrics.store import recovery, repair, snapshots
from metrics.store.snapshots import snapshot_path

SCHEMA_VERSION = 1
META_DDL = "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
DEFAULT_DB = "mlkpi.duckdb"

READ_CONFIG = {
    "access_mode": "READ_ONLY",
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


class StoreError(MlkpiError):
    """A store problem, said in one sentence."""


class StoreBusy(StoreError):
    """Another writer holds the store's lock."""


def db_path_from_env(cli_value: str | None) -> Path:
    """``--db`` wins, then ``$MLKPI_DB``, then ``mlkpi.duckdb`` in the current folder."""
    return Path(cli_value or settings.db() or DEFAULT_DB)


def _lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def kind_ddl(kind: Kind, table: str | None = None, extra: str = "") -> str:
    cols = ", ".join(f'"{c.name}" {c.sql_type}' for c in kind.columns)
    return f'CREATE TABLE IF NOT EXISTS "{table or kind.name}" ({cols}, _ingest_id BIGINT{extra})'


def stamp_content(con: duckdb.DuckDBPyConnection) -> None:
    """Give the store a new content stamp (and its id, once), before a write session
    changes anything, even its schema: readers key the answers they keep on it
    (``metrics.sql.answers``), so no content is ever published under an older stamp."""
    con.execute(META_DDL)
    con.execute("INSERT OR IGNORE INTO meta VALUES ('store_id', ?)", [uuid.uuid4().hex])
    con.execute("INSERT OR REPLACE INTO meta VALUES ('content_stamp', ?)",
                [uuid.uuid4().hex])


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table of the store (idempotent)."""
    con.execute(META_DDL)
    con.execute(
        "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
    )
    for kind in KINDS.values():
        con.execute(kind_ddl(kind))
        con.execute(
            kind_ddl(kind, f"{kind.name}_history",
                     ", _replaced_by BIGINT, _replaced_at TIMESTAMPTZ")
        )
    con.execute(
        """CREATE TABLE IF NOT EXISTS quarantine (
            ingest_id BIGINT, kind VARCHAR, file VARCHAR, line BIGINT,
            "column" VARCHAR, reason VARCHAR, raw VARCHAR)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS ingest_log (
            ingest_id BIGINT, ingested_at TIMESTAMPTZ, kind VARCHAR, files VARCHAR,
            inserted BIGINT, updated BIGINT, duplicates BIGINT, quarantined BIGINT,
            extra_columns VARCHAR)"""
    )
    from metrics.store import closes  # closed quarters (review.md), beside the events

    closes.create_schema(con)


@contextlib.contextmanager
def writer(db: Path, wait_seconds: float = 600.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """The only way to write: serialised, schema ensured, snapshot published after.

    The caller commits its own transaction; whatever it committed is published
    when the block ends without an exception.
    """
    db.parent.mkdir(parents=True, exist_ok=True)
    busy = (f"another mlkpi ingest has been writing to {_lock_path(db).stem} for over "
            f"{wait_seconds:.0f} s; try again when it has finished.")
    with exclusive(_lock_path(db), wait_seconds, busy):
        recovery.remove(recovery.leftovers(db))  # under the lock: no other writer is running
        try:
            con = duckdb.connect(str(db))
        except duckdb.Error as exc:
            raise StoreError(
                f"cannot open the store {db} for writing: {_first_line(exc)}."
            ) from exc
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET enable_progress_bar = false")  # ours goes to stderr, on a tty
            # staging and typed copies of a big batch spill to <db>.tmp rather than fill RAM
            con.execute(f"SET memory_limit = '{_writer_memory()}'")
            stamp_content(con)
            create_schema(con)
            repair.quarantine_out_of_bounds(con)  # once per store: what older versions let in
            yield con
        finally:
            con.close()
        snapshots.publish_snapshot(db)


def _writer_memory() -> str:
    """A quarter of RAM, between 1 and 8 GB, unless $MLKPI_INGEST_MEMORY says (e.g. '2GB')."""
    if chosen := settings.ingest_memory():
        return chosen
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(1, min(8, ram // 4 // 2**30))}GB"


def connect_read(db: Path) -> duckdb.DuckDBPyConnection:
    """A hardened read-only connection to the published snapshot.

    No external file access, no extension loading, configuration locked. Open
    one per query or per thread, close it after, never share one across threads.

    DuckDB keeps one database instance per file in a process: the first connection
    sets the session options globally (UTC, no Python replacement scans) and locks
    the configuration; every later connection to that instance finds them set.

    ``$MLKPI_READ_MEMORY`` (e.g. ``1GB``; the dashboard sets it, the CLI does not) caps
    the instance's memory: DuckDB's default is 80 % of RAM, and a long-lived server
    whose sessions scan a large store keeps what it read in its buffer pool.
    """
    snap = snapshot_path(db)
    if not snap.exists() and not db.exists():
        raise StoreError(
            f"there is no store at {db}; run 'mlkpi ingest KIND FILE' or 'mlkpi demo' first."
        )
    recover(db)
    repaired = False
    for attempt in range(5):
        try:
            con = duckdb.connect(str(snapshots.reader_path(snap)), read_only=True,
                                 config=dict(READ_CONFIG))
        except duckdb.IOException as exc:  # only while a snapshot is being replaced on NFS-like fs
            if attempt == 4:
                raise StoreError(f"cannot read the store {snap}: {_first_line(exc)}.") from exc
            time.sleep(0.05 * (attempt + 1))
            continue
        try:
            _harden(con, _read_settings())
            checked = repair.is_checked(con)
        except BaseException:
            con.close()
            raise
        if checked or repaired:
            return con
        con.close()  # a store no writer has checked yet (repair): let one check it
        recover(db, force=True)
        repaired = True
    raise AssertionError("unreachable")


def recover(db: Path, force: bool = False) -> None:
    """Publish what a killed writer committed but never published, and remove what dead
    writers left beside the store (``recovery``). Only when no writer is running: a running
    one publishes its own work and still needs its scratch folder. Cheap when there is
    nothing to do (a few ``stat`` calls and one folder listing)."""
    snap = snapshot_path(db)
    if (not force and snap.exists() and not recovery.unpublished(db)
            and not recovery.leftovers(db)):
        return
    first = not snap.exists()  # an older live file without a snapshot: wait to publish one
    try:
        with writer(db, wait_seconds=600.0 if first else 0):  # publishes when the block ends
            pass
    except (StoreBusy, OSError):  # a writer is running, or the folder is read-only to us
        if first:
            raise


READ_SETTINGS = {"TimeZone": "UTC", "python_enable_replacements": "false"}


def _read_settings() -> dict[str, str]:
    """READ_SETTINGS, plus memory_limit from ``$MLKPI_READ_MEMORY`` ('1GB', '512MB')."""
    limit = settings.read_memory() or ""
    if not limit:
        return READ_SETTINGS
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", limit, re.I):
        raise StoreError(f"MLKPI_READ_MEMORY={limit!r} is not a size like '1GB' or '512MB'.")
    return {**READ_SETTINGS, "memory_limit": limit}


def _harden(con: duckdb.DuckDBPyConnection, settings: dict[str, str] = READ_SETTINGS) -> None:
    """Set the read options globally and lock them, unless this instance already is."""
    if not _locked(con):
        try:
            for name, value in settings.items():
                con.execute(f"SET GLOBAL {name} = '{value}'")
            con.execute("SET lock_configuration = true")
        except duckdb.InvalidInputException:
            if not _locked(con):  # not another thread's lock: a real problem
                raise
    tz = con.execute("SELECT current_setting('TimeZone')").fetchall()[0][0]
    if tz != "UTC":
        raise StoreError(f"the read connection is in time zone {tz}, not UTC.")


def _locked(con: duckdb.DuckDBPyConnection) -> bool:
    # fetchall, not fetchone: an unfinished result would block the caller's next query
    return bool(con.execute("SELECT current_setting('lock_configuration')").fetchall()[0][0])


@contextlib.contextmanager
def exclusive(path: Path, wait_seconds: float, busy: str,
              error: type[Exception] = StoreBusy) -> Iterator[None]:
    """Hold an ``flock`` on `path` (waiting up to `wait_seconds`, else `error(busy)`): one
    holder at a time across processes, released even when the holder dies."""
    with open(path, "a+") as fh:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise error(busy) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0].rstrip(".") if str(exc).strip() else type(exc).__name__
