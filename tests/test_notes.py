"""Quarterly-review notes: their own SQLite file, every version kept, scoped by period/team/tier."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from metrics.store.notes import NoteError, add_note, edit_note, note_history, notes_for, notes_path

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
                    "versions": 1, "author": "ana", "text": "Rolled out",
                    "written_at": "2026-10-02T09:00:00Z"}


def test_edit_keeps_every_version_and_lists_the_latest(path: Path) -> None:
    note_id = add_note(path, "time_to_detect", "2026Q3", "search", 1, "ana", "first", at=T1)
    assert edit_note(path, note_id, "ben", "second", at=T2) == 2
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
    ({"text": "x" * 5001}, "at most 5000"),
])
def test_bad_notes_are_refused_in_one_sentence(path: Path, kwargs: dict, words: str) -> None:
    args = {"kpi": "cicd_coverage", "period": "2026Q3", "team": None, "tier": None,
            "author": "ana", "text": "ok", **kwargs}
    with pytest.raises(NoteError, match=words):
        add_note(path, **args)


def test_editing_a_missing_note_is_refused(path: Path) -> None:
    with pytest.raises(NoteError, match="no note 7"):
        edit_note(path, 7, "ana", "text")


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
