"""metrics.sql.answers: a query's rows kept for the store's content. Kept rows must be
exactly the rows the query returns, and a store whose content changed through mlkpi must
never be answered from its earlier content."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from metrics.ingest.run import ingest
from metrics.kpi.report import kpi_report
from metrics.periods import parse_period
from metrics.sql import answers
from metrics.sql.templates import fetch_count
from metrics.store import health
from metrics.store.db import connect_read, writer

IST = timezone(timedelta(hours=5, minutes=30))
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MLKPI_CACHE_DIR", str(folder))
    monkeypatch.delenv("MLKPI_ANSWERS", raising=False)
    return folder


def test_rows_come_back_with_their_values_and_types() -> None:
    rows = [
        {"at": datetime(2026, 9, 30, 23, 59, 59, 999000, tzinfo=UTC),  # milliseconds
         "local": datetime(2026, 10, 1, 5, 29, tzinfo=IST), "naive": datetime(2026, 7, 1),
         "day": date(2026, 2, 28), "n": 3, "big": 2**70, "neg": -2**63, "x": 0.1 + 0.2,
         "nan": math.nan, "inf": -math.inf, "dec": Decimal("12.3400"), "none": None,
         "yes": True, "text": "naïve — 'quoted' \"x\" {\"t\": 1}", "gap": timedelta(
             days=-1, seconds=5, microseconds=7)},
        {"at": None, "local": None, "naive": None, "day": None, "n": 0, "big": 0, "neg": 0,
         "x": -0.0, "nan": 1.5, "inf": math.inf, "dec": None, "none": None, "yes": False,
         "text": "", "gap": None},
    ]
    back = answers.decode(answers.encode(rows))
    assert [list(r) for r in back] == [list(r) for r in rows]  # the same columns, in order
    first, second = back
    for name, value in rows[0].items():
        if name == "nan":
            assert math.isnan(first[name])
        else:
            assert first[name] == value and type(first[name]) is type(value), name
    assert first["local"].utcoffset() == timedelta(hours=5, minutes=30)
    assert first["naive"].tzinfo is None
    assert str(first["dec"]) == "12.3400"
    assert second == {**rows[1], "x": -0.0} and math.copysign(1, second["x"]) == -1
    tuples = [(1, "a", date(2026, 1, 1)), (2, None, None)]
    assert answers.decode(answers.encode(tuples)) == tuples
    assert answers.decode(answers.encode([])) == []


def test_rows_holding_another_type_are_not_kept_but_still_answered(tmp_path: Path) -> None:
    assert answers.encode([{"blob": b"\x00"}]) is None
    assert answers.encode([(object(),)]) is None
    db = _store(tmp_path)
    con = connect_read(db)
    try:
        rows = [{"blob": b"\x00"}]
        assert answers.remembered(answers.stamp(con), ("t",), lambda: rows) is rows
        assert answers.remembered(answers.stamp(con), ("t",), lambda: [{"blob": b"\x01"}]) == [
            {"blob": b"\x01"}]  # nothing was kept: computed again
    finally:
        con.close()


def _store(folder: Path, teams: tuple[str, ...] = ("a",)) -> Path:
    db = folder / "mlkpi.duckdb"
    path = folder / f"team-{len(teams)}.csv"
    path.write_text("team\n" + "\n".join(teams) + "\n")
    assert ingest(db, "team", [str(path)]).exit_code == 0
    return db


def _deployments(folder: Path, name: str, rows: list[tuple[str, str, str]]) -> Path:
    path = folder / name
    lines = ["deployment_id,team,model,tier,spec_approved_at,deployed_at,automated,rollback"]
    lines += [f"{i},{team},m,1,{spec},{at},true,false" for i, team, spec, at in
              ((f"d{n}", *row) for n, row in enumerate(rows))]
    path.write_text("\n".join(lines) + "\n")
    return path


def _lead_time(db: Path, period: str = "2026Q3") -> tuple[float | None, int]:
    kpi = next(k for k in kpi_report(db, parse_period(period), now=NOW)["kpis"]
               if k["id"] == "lead_time_for_ml_changes")
    return kpi["value"], kpi["sample_size"]


def test_a_report_asked_again_runs_no_query_and_an_ingest_is_seen_at_once(
        tmp_path: Path) -> None:
    db = _store(tmp_path, ("a", "b"))
    # lead times 12 h and 24 h: median 18 h. 2026-10-01T01:30+02:00 is still 2026Q3.
    assert ingest(db, "deployment", [str(_deployments(tmp_path, "one.csv", [
        ("a", "2026-07-14T10:00:00Z", "2026-07-14T22:00:00Z"),
        ("b", "2026-09-29T23:30:00Z", "2026-10-01T01:30:00+02:00")]))]).exit_code == 0
    assert _lead_time(db) == (18.0, 2)
    before = fetch_count()
    assert _lead_time(db) == (18.0, 2)
    assert fetch_count() == before  # read back: no query ran
    assert _lead_time(db, "2025Q3") == (None, 0)  # same query shape, other values
    assert fetch_count() > before

    # a third deployment of 48 h: median of 12, 24, 48 is 24 h, seen by the very next call
    assert ingest(db, "deployment", [str(_deployments(tmp_path, "two.csv", [
        ("a", "2026-07-14T10:00:00Z", "2026-07-14T22:00:00Z"),
        ("b", "2026-09-29T23:30:00Z", "2026-10-01T01:30:00+02:00"),
        ("a", "2026-08-01T00:00:00Z", "2026-08-03T00:00:00Z")]))]).exit_code == 0
    assert _lead_time(db) == (24.0, 3)
    assert health.team_names(db) == ["a", "b"]
    assert ingest(db, "team", [str(_store_csv(tmp_path, "c"))]).exit_code == 0
    assert health.team_names(db) == ["a", "b", "c"]


def _store_csv(folder: Path, team: str) -> Path:
    path = folder / f"roster-{team}.csv"
    path.write_text(f"team\n{team}\n")
    return path


def test_every_write_session_stamps_the_store_anew(tmp_path: Path) -> None:
    db = _store(tmp_path)
    stamps = []
    for _ in range(3):
        con = connect_read(db)
        stamps.append(answers.stamp(con))
        con.close()
        with writer(db):  # writes nothing: still another content for all a reader knows
            pass
    stores = {s.split("/")[0] for s in stamps}
    contents = {s.split("/")[1] for s in stamps}
    assert len(stores) == 1 and len(contents) == 3


def test_a_connection_that_may_write_is_never_answered(tmp_path: Path, cache: Path) -> None:
    """Within a write session the stamp is already the new one while rows still change:
    nothing read there is kept, nor read back."""
    db = _store(tmp_path)
    with writer(db) as con:
        assert answers.stamp(con) is None
        rows = answers.remembered(answers.stamp(con), ("w",), lambda: con.execute(
            "SELECT team FROM team ORDER BY team").fetchall())
        con.execute("INSERT INTO team (team) VALUES ('z')")
        assert answers.remembered(answers.stamp(con), ("w",), lambda: con.execute(
            "SELECT team FROM team ORDER BY team").fetchall()) == [*rows, ("z",)]
    assert not (cache / "answers").exists()
    reader = connect_read(db)
    try:
        assert answers.stamp(reader) is not None
    finally:
        reader.close()


def test_answers_off_or_no_stamp_means_every_query_runs(
        tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = _store(tmp_path)
    monkeypatch.setenv("MLKPI_ANSWERS", "0")
    health.team_names(db)
    assert not (cache / "answers").exists()
    monkeypatch.delenv("MLKPI_ANSWERS")
    # a store written by an older version: no stamp, nothing kept, right answers
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM meta WHERE key IN ('store_id', 'content_stamp')")
    from metrics.store.snapshots import publish_snapshot
    publish_snapshot(db)
    assert health.team_names(db) == ["a"]
    assert not (cache / "answers").exists()


def test_a_damaged_or_unwritable_cache_costs_only_time(
        tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = _store(tmp_path, ("a", "b"))
    assert health.team_names(db) == ["a", "b"]
    kept = list((cache / "answers").rglob("*.json"))
    assert kept
    for path in kept:
        path.write_bytes(b'{"names": null, "rows": [["a"')  # cut short
    assert health.team_names(db) == ["a", "b"]
    for path in kept:
        path.write_bytes(b'{"names": null, "rows": [[{"zz": 1}]]}')  # not ours
    assert health.team_names(db) == ["a", "b"]
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    monkeypatch.setenv("MLKPI_CACHE_DIR", str(blocked))
    assert health.team_names(db) == ["a", "b"]


def test_the_answers_of_earlier_contents_are_removed_once_old(tmp_path: Path,
                                                              cache: Path) -> None:
    db = _store(tmp_path)
    health.team_names(db)
    (first,) = (cache / "answers").iterdir()
    (old,) = first.iterdir()
    with writer(db):
        pass
    health.team_names(db)  # a new content: its folder is made, the old one is too recent
    assert old.exists() and len(list(first.iterdir())) == 2
    newest = next(p for p in first.iterdir() if p != old)
    answers._drop_other_contents(newest, now=old.stat().st_mtime + answers.STALE_AFTER_S + 1)
    assert not old.exists() and newest.exists()


def test_an_ingest_keeps_the_default_views_answers_and_they_equal_the_computed_ones(
        tmp_path: Path, cache: Path) -> None:
    """`mlkpi ingest` leaves the default quarter's report answered: the first `mlkpi kpis`
    after it runs no query, and says exactly what a computation from scratch says."""
    db = _store(tmp_path, ("a", "b"))
    now = datetime.now(UTC)
    quarter = parse_period("latest", now=now)
    spec, at = quarter.start + timedelta(days=3), quarter.start + timedelta(days=4)
    path = _deployments(tmp_path, "q.csv", [("a", spec.isoformat(), at.isoformat())])
    run = subprocess.run([sys.executable, "-m", "metrics.cli", "--db", str(db), "ingest",
                          "deployment", str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    code = ("import json, sys; from pathlib import Path; from datetime import datetime; "
            "from metrics.kpi.report import kpi_report; from metrics.periods import "
            "parse_period; from metrics.sql.templates import fetch_count; "
            f"r = kpi_report(Path({str(db)!r}), parse_period({quarter.label!r}), "
            f"now=datetime.fromisoformat({now.isoformat()!r})); "
            "print(fetch_count(), 'ibis' in sys.modules); print(json.dumps(r))")
    kept = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    computed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**os.environ, "MLKPI_ANSWERS": "0"})
    (kept_head, kept_report), (computed_head, computed_report) = (
        kept.stdout.split("\n", 1), computed.stdout.split("\n", 1))
    assert kept_head == "0 False", kept.stderr  # no query ran, no ibis imported
    assert computed_head.split()[0] != "0"
    assert json.loads(kept_report) == json.loads(computed_report)
    lead = next(k for k in json.loads(kept_report)["kpis"]
                if k["id"] == "lead_time_for_ml_changes")
    assert (lead["value"], lead["sample_size"]) == (24.0, 1)
