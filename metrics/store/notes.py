"""Quarterly-review notes: a small SQLite store of their own, never the event store.

Each note belongs to one KPI, one period and one scope (team, tier) and keeps every
version: an edit adds a version, nothing is overwritten, a hidden note stays in history.
Every write (add, edit, hide, show) is audited with who, when and from which page.

    add_note(path, "cicd_coverage", "2026Q3", None, None, "Ana", "New pipeline",
             email="ana@example.com", page="/quarterly?period=2026Q3")      # -> 1
    edit_note(path, 1, "Ana", "New pipeline, 3 of 5 teams", base_version=1)   # -> 2
    edit_note(path, 1, "Ben", "…", base_version=1)   # StaleNote: "Ana saved version 2 at …"
    hide_note(path, 1, True, who="Ops", email="ops@example.com")
    notes_for(path, "2026Q3")                        # [] (hidden); include_hidden=True: [note]

An edit names the version its writer saw (``base_version``): when someone saved in between,
it is refused with a sentence naming who and when, and nothing is stored. Writes run in one
``BEGIN IMMEDIATE`` transaction each, so writers in several processes take turns instead
of losing versions; a busy or broken file is said in one sentence, never with its path.

The default file sits beside the store (``mlkpi.duckdb.notes.sqlite``) unless
``$MLKPI_NOTES`` names another.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from metrics import present, settings
from metrics.catalog import load_catalog
from metrics.periods import PeriodError, parse_period
from metrics.store.notes_db import NoteError, connect, read

MAX_AUTHOR = 80
MAX_TEXT = 5000
MAX_PAGE = 500

__all__ = ["NoteError", "StaleNote", "add_note", "edit_note", "hide_note", "notes_for",
           "note_history", "audit_log", "notes_path", "MAX_TEXT", "MAX_AUTHOR"]

_LATEST = """
    SELECT n.id, n.kpi, n.period, n.team, n.tier, n.created_at, n.created_by,
           n.created_by_email, n.hidden_at, n.hidden_by,
           v.version, v.author, v.author_email, v.text, v.written_at
    FROM note n JOIN note_version v ON v.note_id = n.id
    WHERE v.version = (SELECT max(version) FROM note_version WHERE note_id = n.id)
"""
_ADD_VERSION = ("INSERT INTO note_version (note_id, version, author, author_email, text, "
                "written_at) VALUES (?, ?, ?, ?, ?, ?)")


class StaleNote(NoteError):
    """An edit made against a version someone else has since replaced."""

    def __init__(self, message: str, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


def notes_path(db: str | Path, environ: dict[str, str] | None = None) -> Path:
    """``$MLKPI_NOTES``, else ``<db>.notes.sqlite`` beside the store."""
    if chosen := settings.notes(environ):
        return Path(chosen)
    db = Path(db)
    return db.with_name(db.name + ".notes.sqlite")


def add_note(path: str | Path, kpi: str, period: str, team: str | None, tier: int | str | None,
             author: str, text: str, at: datetime | None = None, *, email: str = "",
             page: str = "") -> int:
    """Store a new note and return its id."""
    kpi, period = _check_kpi(kpi), _check_period(period)
    text, author = check_text(text), _check_author(author)
    when = _stamp(at)
    with connect(path) as con:
        cur = con.execute(
            "INSERT INTO note (kpi, period, team, tier, created_at, created_by, "
            "created_by_email) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kpi, period, _scope(team), _scope(tier), when, author, email))
        note_id = int(cur.lastrowid)
        con.execute(_ADD_VERSION,
                    (note_id, 1, author, email, text, when))
        _audit(con, when, "add", note_id, 1, author, email, page)
    return note_id


def edit_note(path: str | Path, note_id: int, author: str, text: str,
              at: datetime | None = None, *, base_version: int, email: str = "",
              page: str = "") -> int:
    """Add a new version of a note made from ``base_version``; returns the new version.
    Refused (``StaleNote``) when the note has moved on since ``base_version``."""
    text, author = check_text(text), _check_author(author)
    when = _stamp(at)
    with connect(path) as con:
        row = con.execute("SELECT version, author, written_at FROM note_version "
                          "WHERE note_id = ? ORDER BY version DESC LIMIT 1",
                          (int(note_id),)).fetchone()
        if row is None:
            raise NoteError(f"there is no note {note_id}; add it first.")
        if row["version"] != int(base_version):
            raise StaleNote(
                f"{row['author']} saved a newer version of this note at "
                f"{present.instant(row['written_at'])}, after you opened it, so yours was not "
                f"saved; your text is still in the form: read theirs, then save again.",
                current_version=row["version"])
        version = row["version"] + 1
        con.execute(_ADD_VERSION,
                    (int(note_id), version, author, email, text, when))
        _audit(con, when, "edit", int(note_id), version, author, email, page)
    return version


def hide_note(path: str | Path, note_id: int, hidden: bool = True, at: datetime | None = None,
              *, who: str, email: str = "", page: str = "") -> None:
    """Hide a note from the review (or show it again); its versions all stay."""
    who, when = _check_author(who), _stamp(at)
    with connect(path) as con:
        if con.execute("SELECT 1 FROM note WHERE id = ?", (int(note_id),)).fetchone() is None:
            raise NoteError(f"there is no note {note_id}.")
        con.execute("UPDATE note SET hidden_at = ?, hidden_by = ? WHERE id = ?",
                    (when if hidden else None, who if hidden else None, int(note_id)))
        _audit(con, when, "hide" if hidden else "show", int(note_id), None, who, email, page)


def notes_for(path: str | Path, period: str, team: str | None = None,
              tier: int | str | None = None, include_hidden: bool = False
              ) -> list[dict[str, Any]]:
    """The latest version of every note of one period and scope, by KPI then age."""
    sql = _LATEST + " AND n.period = ? AND n.team = ? AND n.tier = ?"
    if not include_hidden:
        sql += " AND n.hidden_at IS NULL"
    rows = read(path, sql + " ORDER BY n.kpi, n.id",
                (_check_period(period), _scope(team), _scope(tier)))
    return [_note(row) for row in rows]


def note_history(path: str | Path, note_id: int) -> list[dict[str, Any]]:
    """Every version of a note, oldest first: version, author, author_email, text,
    written_at."""
    rows = read(path, "SELECT version, author, author_email, text, written_at "
                      "FROM note_version WHERE note_id = ? ORDER BY version", (int(note_id),))
    return [dict(row) for row in rows]


def audit_log(path: str | Path, note_id: int | None = None) -> list[dict[str, Any]]:
    """Every write, oldest first: at, action, note_id, version, who, who_email, page."""
    sql = "SELECT at, action, note_id, version, who, who_email, page FROM note_audit"
    rows = read(path, sql + (" WHERE note_id = ?" if note_id is not None else "")
                + " ORDER BY id", (int(note_id),) if note_id is not None else ())
    return [dict(row) for row in rows]


def check_text(text: str) -> str:
    """The note's text, stripped; refused in one sentence when empty or too long."""
    text = (text or "").strip()
    if not text:
        raise NoteError("a note needs some text.")
    if len(text) > MAX_TEXT:
        raise NoteError(f"this note is too long: {len(text):,} characters, and a note is at "
                        f"most {MAX_TEXT:,}; shorten it and save again (your text is still "
                        f"in the form).")
    return text


def _audit(con: Any, when: str, action: str, note_id: int, version: int | None, who: str,
           email: str, page: str) -> None:
    con.execute("INSERT INTO note_audit (at, action, note_id, version, who, who_email, page) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (when, action, note_id, version, who, email or "", (page or "")[:MAX_PAGE]))


def _note(row: Any) -> dict[str, Any]:
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
    author = " ".join((author or "").split())
    if not author:
        raise NoteError("a note needs an author.")
    if len(author) > MAX_AUTHOR:  # a name from an identity provider: kept, shortened
        author = author[:MAX_AUTHOR - 1] + "…"
    return author
