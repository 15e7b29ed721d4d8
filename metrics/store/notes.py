"""Quarterly-review notes: a small SQLite store of their own, never the event store.

Each note belongs to one KPI, one period and one scope (team, tier) and keeps every
version: an edit adds a version, nothing is overwritten.

    add_note(path, "cicd_coverage", "2026Q3", None, None, "ana", "New pipeline rolled out")
    edit_note(path, 1, "ben", "New pipeline rolled out to 3 of 5 teams")
    notes_for(path, "2026Q3", None, None)   # latest text, by ben, 2 versions
    note_history(path, 1)                    # both versions, oldest first

The default file sits beside the store (``mlkpi.duckdb.notes.sqlite``) unless
``$MLKPI_NOTES`` names another. One connection per call (WAL mode), so Streamlit
sessions in different threads never share one.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from metrics import settings
from metrics.catalog import load_catalog
from metrics.errors import MlkpiError
from metrics.periods import PeriodError, parse_period

MAX_AUTHOR = 80
MAX_TEXT = 5000

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS note (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kpi TEXT NOT NULL, period TEXT NOT NULL, team TEXT NOT NULL, tier TEXT NOT NULL,
        created_at TEXT NOT NULL, created_by TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS note_version (
        note_id INTEGER NOT NULL REFERENCES note(id), version INTEGER NOT NULL,
        author TEXT NOT NULL, text TEXT NOT NULL, written_at TEXT NOT NULL,
        PRIMARY KEY (note_id, version))""",
    "CREATE INDEX IF NOT EXISTS note_scope ON note (period, team, tier)",
)

_LATEST = """
    SELECT n.id, n.kpi, n.period, n.team, n.tier, n.created_at, n.created_by,
           v.version, v.author, v.text, v.written_at
    FROM note n JOIN note_version v ON v.note_id = n.id
    WHERE v.version = (SELECT max(version) FROM note_version WHERE note_id = n.id)
"""


class NoteError(MlkpiError, ValueError):
    """A note that cannot be stored, said in one sentence."""


def notes_path(db: str | Path, environ: dict[str, str] | None = None) -> Path:
    """``$MLKPI_NOTES``, else ``<db>.notes.sqlite`` beside the store."""
    if chosen := settings.notes(environ):
        return Path(chosen)
    db = Path(db)
    return db.with_name(db.name + ".notes.sqlite")


def add_note(path: str | Path, kpi: str, period: str, team: str | None, tier: int | str | None,
             author: str, text: str, at: datetime | None = None) -> int:
    """Store a new note and return its id."""
    kpi, period = _check_kpi(kpi), _check_period(period)
    author, text = _check_author(author), _check_text(text)
    when = _stamp(at)
    with _connect(path, create=True) as con:
        cur = con.execute(
            "INSERT INTO note (kpi, period, team, tier, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (kpi, period, _scope(team), _scope(tier), when, author))
        note_id = int(cur.lastrowid)
        con.execute("INSERT INTO note_version VALUES (?, 1, ?, ?, ?)",
                    (note_id, author, text, when))
    return note_id


def edit_note(path: str | Path, note_id: int, author: str, text: str,
              at: datetime | None = None) -> int:
    """Add a new version of a note; returns the version number. Earlier versions stay."""
    author, text = _check_author(author), _check_text(text)
    with _connect(path, create=True) as con:
        row = con.execute("SELECT max(version) FROM note_version WHERE note_id = ?",
                          (int(note_id),)).fetchone()
        if row is None or row[0] is None:
            raise NoteError(f"there is no note {note_id}; add it first.")
        version = row[0] + 1
        con.execute("INSERT INTO note_version VALUES (?, ?, ?, ?, ?)",
                    (int(note_id), version, author, text, _stamp(at)))
    return version


def notes_for(path: str | Path, period: str, team: str | None = None,
              tier: int | str | None = None) -> list[dict[str, Any]]:
    """The latest version of every note of one period and scope, by KPI then age."""
    if not Path(path).exists():
        return []
    with _connect(path) as con:
        rows = con.execute(
            _LATEST + " AND n.period = ? AND n.team = ? AND n.tier = ? ORDER BY n.kpi, n.id",
            (_check_period(period), _scope(team), _scope(tier))).fetchall()
    return [_note(row) for row in rows]


def note_history(path: str | Path, note_id: int) -> list[dict[str, Any]]:
    """Every version of a note, oldest first: version, author, text, written_at."""
    if not Path(path).exists():
        return []
    with _connect(path) as con:
        rows = con.execute(
            "SELECT version, author, text, written_at FROM note_version "
            "WHERE note_id = ? ORDER BY version", (int(note_id),)).fetchall()
    return [dict(row) for row in rows]


@contextlib.contextmanager
def _connect(path: str | Path, create: bool = False) -> Iterator[sqlite3.Connection]:
    """One connection per call; commits on success, rolls back on error, always closes."""
    path = Path(path)
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=10)
    con.row_factory = sqlite3.Row
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA foreign_keys=ON")
        for statement in _SCHEMA:
            con.execute(statement)
        with con:  # one transaction
            yield con
    except sqlite3.Error as exc:
        raise NoteError(f"cannot use the notes file {path}: {exc}.") from exc
    finally:
        con.close()


def _note(row: sqlite3.Row) -> dict[str, Any]:
    note = dict(row)
    note["team"] = note["team"] or None
    note["tier"] = int(note["tier"]) if note["tier"] else None
    note["versions"] = note.pop("version")
    return note


def _scope(value: object) -> str:
    """None / 'all' -> '' (the whole org), otherwise the text: 2 -> '2'."""
    return "" if value is None or str(value) in ("", "all") else str(value)


def _stamp(at: datetime | None) -> str:
    when = (at or datetime.now(UTC)).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_kpi(kpi: str) -> str:
    if kpi not in load_catalog():
        raise NoteError(f"'{kpi}' is not a KPI of the catalog; pick one from the list.")
    return kpi


def _check_period(period: str) -> str:
    try:
        return parse_period(str(period)).label
    except PeriodError as exc:
        raise NoteError(str(exc)) from None


def _check_author(author: str) -> str:
    author = (author or "").strip()
    if not author:
        raise NoteError("a note needs an author; type your name.")
    if len(author) > MAX_AUTHOR:
        raise NoteError(f"an author name is at most {MAX_AUTHOR} characters.")
    return author


def _check_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise NoteError("a note needs some text.")
    if len(text) > MAX_TEXT:
        raise NoteError(f"a note is at most {MAX_TEXT} characters.")
    return text
