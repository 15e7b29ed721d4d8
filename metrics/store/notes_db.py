"""The notes' SQLite file: schema, upgrades of older files, one connection per call.

Writers take the file's write lock first (``BEGIN IMMEDIATE``) and wait up to
``BUSY_S`` for it, so two processes saving at once take turns: neither loses its
version and neither sees SQLite's own error. A failure is said in one sentence without
the file's path (people on the page must not learn the server's folders); the server
log has the details.

    with connect(path) as con:       # one write transaction, committed on success
        con.execute("INSERT …")
    read(path, "SELECT …", params)   # [] when the file does not exist yet
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from metrics.errors import MlkpiError

BUSY_S = 15.0
log = logging.getLogger("mlkpi.notes")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS note (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kpi TEXT NOT NULL, period TEXT NOT NULL, team TEXT NOT NULL, tier TEXT NOT NULL,
        created_at TEXT NOT NULL, created_by TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS note_version (
        note_id INTEGER NOT NULL REFERENCES note(id), version INTEGER NOT NULL,
        author TEXT NOT NULL, text TEXT NOT NULL, written_at TEXT NOT NULL,
        PRIMARY KEY (note_id, version))""",
    """CREATE TABLE IF NOT EXISTS note_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, action TEXT NOT NULL,
        note_id INTEGER NOT NULL, version INTEGER, who TEXT NOT NULL,
        who_email TEXT NOT NULL, page TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS note_scope ON note (period, team, tier)",
)
# columns added after the first release: (table, column, declaration)
_ADDED = (
    ("note", "created_by_email", "TEXT NOT NULL DEFAULT ''"),
    ("note", "hidden_at", "TEXT"),
    ("note", "hidden_by", "TEXT"),
    ("note_version", "author_email", "TEXT NOT NULL DEFAULT ''"),
)

_ready: set[str] = set()
_ready_lock = threading.Lock()


class NoteError(MlkpiError, ValueError):
    """A note that cannot be stored, said in one sentence."""


@contextlib.contextmanager
def connect(path: str | Path) -> Iterator[sqlite3.Connection]:
    """One write transaction on the notes file, created (and upgraded) when needed."""
    path = Path(path)
    with _guard():
        path.parent.mkdir(parents=True, exist_ok=True)
        con = _open(path)
        try:
            _ensure(con, path)
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            con.close()


def read(path: str | Path, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
    """Rows of one query; [] when the notes file does not exist yet (and none is made)."""
    path = Path(path)
    if not path.exists():
        return []
    with _guard():
        con = _open(path)
        try:
            _ensure(con, path)
            return con.execute(sql, tuple(params)).fetchall()
        finally:
            con.close()


@contextlib.contextmanager
def _guard() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        log.warning("notes file: %s", exc)
        if "locked" in str(exc) or "busy" in str(exc):
            raise NoteError("the notes are busy with other saves just now; nothing was "
                            "stored and your text is still in the form: save again in a "
                            "moment.") from None
        raise _broken() from None
    except sqlite3.Error as exc:
        log.warning("notes file: %s", exc)
        raise _broken() from None
    except OSError as exc:
        log.warning("notes file: %s", exc)
        raise _broken() from None


def _broken() -> NoteError:
    return NoteError("the notes file cannot be used just now (the server log says why); "
                     "nothing was stored.")


def _open(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=BUSY_S, isolation_level=None)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA foreign_keys=ON")
    return con


def _ensure(con: sqlite3.Connection, path: Path) -> None:
    """WAL mode, the tables, and the columns newer than the file: once per file and process.

    The threads of one process set a new file up one at a time (switching to WAL wants the
    file to itself, and SQLite refuses at once rather than waiting its busy timeout), and
    a refusal because another process is doing the same is tried again for up to BUSY_S.
    """
    key = str(path.resolve())
    with _ready_lock:
        if key in _ready:
            return
        _set_up(con)
        _ready.add(key)


def _set_up(con: sqlite3.Connection) -> None:
    deadline = time.monotonic() + BUSY_S
    while True:
        try:
            con.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    con.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA:
            con.execute(statement)
        for table, column, declaration in _ADDED:
            have = {row[1] for row in con.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
