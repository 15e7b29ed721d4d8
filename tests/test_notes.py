"""Quarterly-review notes: their own SQLite file, every version kept, scoped by period/team/tier."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from metrics.store.notes import (
    MAX_TEXT,
    NoteError,
    StaleNote,
    add_note,
    audit_log,
    edit_note,
    hide_note,
    note_history,
    notes_for,
    notes_path,
)

T1 = datetime(2026, 10, 2, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 10, 3, 17, 30, tzinfo=UTC)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "review.notes.sqlite"


def test_default_path_is_beside_the_store_unless_env_names_one(tmp_path: Path) -> None:
    db = tmp_path / "mlkpi.duckdb"
    assert notes_path(db, {}) == tmp_path / "mlkpi.duckdb.notes.sqlite"
    assert notes_path(db, {"MLKPI_NOTES": "/x/n.sqlite"}) == Path("/x/n.sqlite")


def test_add_then_list_with_author_time_and_kpi(path: Path) -> None:
    note_id = add_note(path, "cicd_coverage", "2026Q3", None, None, "ana", " Rolled out ", at=T1)
    [note] = notes_for(path, "2026Q3")
    assert note == {"id": note_id, "kpi": "cicd_coverage", "period": "2026Q3", "team": None,
                    "tier": None, "created_at": "2026-10-02T09:00:00Z", "created_by": "ana",
                    "created_by_email": "", "hidden_at": None, "hidden_by": None,
                    "versions": 1, "author": "ana", "author_email": "", "text": "Rolled out",
                    "written_at": "2026-10-02T09:00:00Z"}


def test_edit_keeps_every_version_and_lists_the_latest(path: Path) -> None:
    note_id = add_note(path, "time_to_detect", "2026Q3", "search", 1, "ana", "first", at=T1)
    assert edit_note(path, note_id, "ben", "second", at=T2, base_version=1) == 2
    [note] = notes_for(path, "2026Q3", "search", 1)
    assert (note["text"], note["author"], note["versions"]) == ("second", "ben", 2)
    assert note["created_by"] == "ana" and note["tier"] == 1 and note["team"] == "search"
    history = note_history(path, note_id)
    assert [(v["version"], v["author"], v["text"]) for v in history] == [
        (1, "ana", "first"), (2, "ben", "second")]
    assert history[1]["written_at"] == "2026-10-03T17:30:00Z"


def test_notes_are_scoped_by_period_team_and_tier(path: Path) -> None:
    add_note(path, "cicd_coverage", "2026Q3", None, None, "a", "org")
    add_note(path, "cicd_coverage", "2026Q3", "search", None, "a", "team")
    add_note(path, "cicd_coverage", "2026Q3", None, "1", "a", "tier")
    add_note(path, "cicd_coverage", "2026Q2", None, None, "a", "other quarter")
    assert [n["text"] for n in notes_for(path, "2026Q3")] == ["org"]
    assert [n["text"] for n in notes_for(path, "2026Q3", "search")] == ["team"]
    assert [n["text"] for n in notes_for(path, "2026Q3", None, 1)] == ["tier"]
    assert [n["text"] for n in notes_for(path, "2026q2", "all", "all")] == ["other quarter"]


def test_text_is_stored_as_data_never_as_sql(path: Path) -> None:
    evil = "x'); DROP TABLE note; --"
    add_note(path, "cicd_coverage", "2026Q3", evil, None, evil, evil)
    assert notes_for(path, "2026Q3", evil)[0]["text"] == evil
    assert len(notes_for(path, "2026Q3", evil)) == 1


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"kpi": "nope"}, "not a KPI"),
    ({"period": "2026Q9"}, "not a period"),
    ({"author": "  "}, "needs an author"),
    ({"text": ""}, "needs some text"),
    ({"text": " \n\t "}, "needs some text"),
    ({"text": "x" * 5001}, "too long: 5,001 characters, and a note is at most 5,000"),
    ({"text": "x" * 100_000}, "too long: 100,000 characters"),
])
def test_bad_notes_are_refused_in_one_sentence(path: Path, kwargs: dict, words: str) -> None:
    args = {"kpi": "cicd_coverage", "period": "2026Q3", "team": None, "tier": None,
            "author": "ana", "text": "ok", **kwargs}
    with pytest.raises(NoteError, match=words):
        add_note(path, **args)


def test_editing_a_missing_note_is_refused(path: Path) -> None:
    with pytest.raises(NoteError, match="no note 7"):
        edit_note(path, 7, "ana", "text", base_version=1)


def test_reading_a_missing_file_gives_nothing_and_creates_nothing(path: Path) -> None:
    assert notes_for(path, "2026Q3") == [] and note_history(path, 1) == []
    assert not path.exists()


def test_wal_mode_and_concurrent_writers(path: Path) -> None:
    errors: list[Exception] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                add_note(path, "cicd_coverage", "2026Q3", None, None, f"w{n}", f"{n}-{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(notes_for(path, "2026Q3")) == 40
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --- identity, optimistic concurrency, hiding, audit ------------------------------------

def test_a_note_at_the_limit_is_kept_whole(path: Path) -> None:
    note_id = add_note(path, "cicd_coverage", "2026Q3", None, None, "ana", "y" * MAX_TEXT)
    assert note_history(path, note_id)[0]["text"] == "y" * MAX_TEXT


def test_a_long_provider_name_is_shortened_not_refused(path: Path) -> None:
    note_id = add_note(path, "cicd_coverage", "2026Q3", None, None, "N" * 200, "text")
    author = notes_for(path, "2026Q3")[0]["author"]
    assert note_id == 1 and len(author) == 80 and author.endswith("…")


def test_the_author_email_is_kept_with_each_version(path: Path) -> None:
    note_id = add_note(path, "cicd_coverage", "2026Q3", None, None, "Ana", "v1",
                       email="ana@example.com")
    edit_note(path, note_id, "Ana B.", "v2", base_version=1, email="ana@example.com")
    [note] = notes_for(path, "2026Q3")
    assert (note["created_by_email"], note["author"], note["author_email"]) == (
        "ana@example.com", "Ana B.", "ana@example.com")


def test_a_stale_edit_is_refused_naming_who_and_when_and_stores_nothing(path: Path) -> None:
    note_id = add_note(path, "cicd_coverage", "2026Q3", None, None, "Ana", "first", at=T1)
    edit_note(path, note_id, "Ben", "ben's text", at=T2, base_version=1)
    with pytest.raises(StaleNote) as refused:
        edit_note(path, note_id, "Ana", "ana's late text", base_version=1)
    assert str(refused.value).startswith(
        "Ben saved a newer version of this note at 2026-10-03 17:30 UTC, after you opened it")
    assert "your text is still in the form" in str(refused.value)
    assert refused.value.current_version == 2
    assert [v["text"] for v in note_history(path, note_id)] == ["first", "ben's text"]
    # made against the version now current, the same text is stored
    assert edit_note(path, note_id, "Ana", "ana's late text", base_version=2) == 3


def test_hidden_notes_leave_the_review_but_stay_in_history(path: Path) -> None:
    keep = add_note(path, "cicd_coverage", "2026Q3", None, None, "Ana", "keep")
    gone = add_note(path, "cicd_coverage", "2026Q3", None, None, "Eve", "spam", at=T1)
    hide_note(path, gone, True, at=T2, who="Ops", email="ops@example.com")
    assert [n["id"] for n in notes_for(path, "2026Q3")] == [keep]
    hidden = [n for n in notes_for(path, "2026Q3", include_hidden=True) if n["id"] == gone]
    assert (hidden[0]["hidden_by"], hidden[0]["hidden_at"]) == ("Ops", "2026-10-03T17:30:00Z")
    assert [v["text"] for v in note_history(path, gone)] == ["spam"]
    hide_note(path, gone, False, who="Ops")
    assert [n["id"] for n in notes_for(path, "2026Q3")] == [keep, gone]


def test_hiding_a_missing_note_is_refused(path: Path) -> None:
    add_note(path, "cicd_coverage", "2026Q3", None, None, "Ana", "x")
    with pytest.raises(NoteError, match="no note 9"):
        hide_note(path, 9, who="Ops")


def test_every_write_is_audited_with_who_when_and_page(path: Path) -> None:
    note_id = add_note(path, "cicd_coverage", "2026Q3", None, None, "Ana", "a", at=T1,
                       email="ana@example.com", page="/quarterly?period=2026Q3")
    edit_note(path, note_id, "Ana", "b", at=T2, base_version=1, email="ana@example.com",
              page="/quarterly?period=2026Q3&team=search")
    hide_note(path, note_id, at=T2, who="Ops", email="ops@example.com", page="/quarterly")
    with pytest.raises(StaleNote):
        edit_note(path, note_id, "Ana", "c", base_version=1)  # refused: not a write
    assert [(a["action"], a["version"], a["who"], a["who_email"], a["at"], a["page"])
            for a in audit_log(path, note_id)] == [
        ("add", 1, "Ana", "ana@example.com", "2026-10-02T09:00:00Z", "/quarterly?period=2026Q3"),
        ("edit", 2, "Ana", "ana@example.com", "2026-10-03T17:30:00Z",
         "/quarterly?period=2026Q3&team=search"),
        ("hide", None, "Ops", "ops@example.com", "2026-10-03T17:30:00Z", "/quarterly"),
    ]


def test_a_file_from_the_first_release_is_upgraded_in_place(path: Path) -> None:
    with sqlite3.connect(path) as con:  # the schema notes were first written with
        con.executescript("""
            CREATE TABLE note (id INTEGER PRIMARY KEY AUTOINCREMENT, kpi TEXT NOT NULL,
                period TEXT NOT NULL, team TEXT NOT NULL, tier TEXT NOT NULL,
                created_at TEXT NOT NULL, created_by TEXT NOT NULL);
            CREATE TABLE note_version (note_id INTEGER NOT NULL REFERENCES note(id),
                version INTEGER NOT NULL, author TEXT NOT NULL, text TEXT NOT NULL,
                written_at TEXT NOT NULL, PRIMARY KEY (note_id, version));
            INSERT INTO note VALUES (1, 'cicd_coverage', '2026Q3', '', '', 'x', 'ana');
            INSERT INTO note_version VALUES (1, 1, 'ana', 'old note', 'x');""")
    con.close()
    assert [n["text"] for n in notes_for(path, "2026Q3")] == ["old note"]
    assert edit_note(path, 1, "Ben", "new", base_version=1, email="b@example.com") == 2
    assert [(v["author"], v["author_email"]) for v in note_history(path, 1)] == [
        ("ana", ""), ("Ben", "b@example.com")]


def test_a_broken_file_is_one_sentence_without_its_path(tmp_path: Path) -> None:
    path = tmp_path / "secret-folder" / "notes.sqlite"
    path.parent.mkdir()
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(NoteError) as refused:
        add_note(path, "cicd_coverage", "2026Q3", None, None, "Ana", "x")
    assert "secret-folder" not in str(refused.value) and "cannot be used" in str(refused.value)
