"""Every silent trap of the libraries we build on (documented in docs/reliability.md) is
impossible in mlkpi.

Each test first shows the trap is real in the raw tool where that is cheap (so the
test keeps meaning something), then shows our ingest or store does not fall into it.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import write_csv
from fixtures.rows import count, expected_rows, new_db, stored, text_rows, ts

from metrics.ingest.run import IngestError, ingest
from metrics.store.db import connect_read

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path, kind, rows, **kw):
    db = new_db(tmp_path)
    return db, ingest(db, kind, [str(write_csv(tmp_path / f"{kind}.csv", rows))], **kw)


def _started(rows: list[tuple[str, str]]) -> list[dict]:
    return [{"run_id": rid, "team": "t", "model": "m", "started_at": at, "status": "failed",
             "cost_usd": "1"} for rid, at in rows]


# --- time zones -------------------------------------------------------------------

def test_trap_offset_dropped_by_timestamp_cast(tmp_path):
    raw = duckdb.connect().execute(
        "SELECT CAST('2026-10-01T01:30:00+02:00' AS TIMESTAMP)").fetchone()[0]
    assert raw.hour == 1  # the trap: the offset silently vanished
    db, result = _run(tmp_path, "training_run", _started([("r1", "2026-10-01T01:30:00+02:00")]))
    assert result.exit_code == 0
    assert stored(db, "training_run")[0][3] == ts(2026, 9, 30, 23, 30)


@pytest.mark.parametrize(("text", "utc"), [
    ("2026-07-01T09:30:00Z", ts(2026, 7, 1, 9, 30)),
    ("2026-07-01T09:30:00z", ts(2026, 7, 1, 9, 30)),
    ("2026-07-01 09:30:00Z", ts(2026, 7, 1, 9, 30)),
    ("2026-07-01T11:30:00+02:00", ts(2026, 7, 1, 9, 30)),
    ("2026-07-01T11:30:00+0200", ts(2026, 7, 1, 9, 30)),
    ("2026-07-01T04:00:00-05:30", ts(2026, 7, 1, 9, 30)),
    ("2026-07-01T09:30Z", ts(2026, 7, 1, 9, 30)),
    ("2026-01-01T00:30:00+01:00", ts(2025, 12, 31, 23, 30)),  # crosses a year in UTC
])
def test_offsets_are_applied(tmp_path, text, utc):
    db, result = _run(tmp_path, "training_run", _started([("r1", text)]))
    assert result.exit_code == 0, result.errors
    assert stored(db, "training_run")[0][3] == utc


NO_OFFSET = ("started_at has no time-zone offset; write it like 2026-07-01T09:30:00Z or "
             "ingest with --assume-timezone")


def test_naive_timestamp_is_a_row_error_without_assume_timezone(tmp_path):
    db, result = _run(tmp_path, "training_run", _started([
        ("r1", "2026-07-01T09:30:00Z"), ("r2", "2026-07-01T09:30:00"),
        ("r3", "2026-07-01 09:30")]))
    assert result.exit_code == 1
    assert [(e["line"], e["reason"]) for e in result.errors] == [(3, NO_OFFSET), (4, NO_OFFSET)]
    assert [r[0] for r in stored(db, "training_run")] == ["r1"]


def test_trap_naive_timestamps_do_not_take_the_session_or_process_time_zone(tmp_path):
    """Run the CLI with TZ=Asia/Tokyo: a naive value is still an error, an aware value is
    still the same instant, and --assume-timezone UTC means UTC, not Tokyo."""
    path = write_csv(tmp_path / "r.csv", _started([("r1", "2026-07-01T09:30:00Z"),
                                                   ("r2", "2026-07-01T09:30:00")]))
    db = tmp_path / "tokyo.duckdb"
    env = {**os.environ, "TZ": "Asia/Tokyo", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "metrics.cli", "--db", str(db), "ingest", "training_run",
           str(path), "--format", "json"]
    first = subprocess.run(cmd, capture_output=True, env=env, timeout=60, text=True)
    assert first.returncode == 1, first.stderr
    assert [e["line"] for e in json.loads(first.stdout)["errors"]] == [3]
    second = subprocess.run([*cmd, "--assume-timezone", "UTC"], capture_output=True, env=env,
                            timeout=60, text=True)
    assert second.returncode == 0, second.stderr
    assert [r[3] for r in stored(db, "training_run")] == [ts(2026, 7, 1, 9, 30)] * 2


def test_assume_timezone_places_summer_and_winter_times(tmp_path):
    db, result = _run(tmp_path, "training_run", _started([
        ("summer", "2026-07-01T12:00:00"),      # CEST, +02
        ("winter", "2026-01-15T12:00:00"),      # CET, +01
        ("aware", "2026-07-01T12:00:00Z"),      # an offset wins over the assumption
        ("before", "2026-10-25T01:59:59"),      # last second before the ambiguous hour
        ("after", "2026-10-25T03:00:00"),       # first second after it (CET)
        ("spring", "2026-03-29T03:00:00"),      # first second after the gap (CEST)
    ]), assume_tz="Europe/Berlin")
    assert result.exit_code == 0, result.errors
    assert dict((r[0], r[3]) for r in stored(db, "training_run")) == {
        "summer": ts(2026, 7, 1, 10), "winter": ts(2026, 1, 15, 11),
        "aware": ts(2026, 7, 1, 12), "before": ts(2026, 10, 24, 23, 59, 59),
        "after": ts(2026, 10, 25, 2), "spring": ts(2026, 3, 29, 1)}


def test_trap_dst_gap_and_overlap_are_not_resolved_silently(tmp_path):
    db, result = _run(tmp_path, "training_run", _started([
        ("ok", "2026-07-01T12:00:00"),
        ("gap", "2026-03-29T02:30:00"),    # does not exist in Berlin
        ("twice", "2026-10-25T02:30:00"),  # happens twice in Berlin
    ]), assume_tz="Europe/Berlin")
    assert result.exit_code == 1
    assert [(e["line"], e["column"], e["reason"]) for e in result.errors] == [
        (3, "started_at", "started_at does not exist in Europe/Berlin (a daylight-saving gap); "
                          "give an offset"),
        (4, "started_at", "started_at happens twice in Europe/Berlin (a daylight-saving "
                          "change); give an offset")]
    assert [r[0] for r in stored(db, "training_run")] == ["ok"]


def test_dst_ambiguous_time_with_an_offset_is_fine(tmp_path):
    db, result = _run(tmp_path, "training_run", _started([
        ("first", "2026-10-25T02:30:00+02:00"), ("second", "2026-10-25T02:30:00+01:00")]),
        assume_tz="Europe/Berlin")
    assert result.exit_code == 0
    assert [r[3] for r in stored(db, "training_run")] == [
        ts(2026, 10, 25, 0, 30), ts(2026, 10, 25, 1, 30)]


@pytest.mark.parametrize("tz", ["Europe/Berlinn", "CEST", "+02:00", "posixrules",
                                "UTC'; DROP TABLE team; --", "../../etc/passwd", ""])
def test_bad_time_zone_name_is_one_sentence(tmp_path, tz):
    with pytest.raises(IngestError) as err:
        ingest(tmp_path / "s.duckdb", "team", [str(tmp_path / "x.csv")], assume_tz=tz)
    message = str(err.value)
    assert message == f"'{tz}' is not an IANA time zone; use a name like UTC or Europe/Berlin."
    assert not (tmp_path / "s.duckdb").exists()  # nothing was opened or read


# --- NaN and infinity --------------------------------------------------------------

def test_trap_nan_would_poison_avg_and_max():
    con = duckdb.connect()
    avg, top = con.execute("SELECT avg(x), max(x) FROM (VALUES (1.0), ('NaN'::DOUBLE)) t(x)"
                           ).fetchone()
    assert math.isnan(avg) and math.isnan(top)  # the trap is real


@pytest.mark.parametrize("text", ["NaN", "nan", "inf", "-inf", "Infinity", "1e400"])
def test_nan_and_inf_text_are_rejected(tmp_path, text):
    rows = text_rows("inference_sli")
    rows[1] |= {"latency_p95_ms": text, "latency_p99_ms": ""}
    db, result = _run(tmp_path, "inference_sli", rows)
    assert [(e["column"], e["reason"]) for e in result.errors] == [
        ("latency_p95_ms", "latency_p95_ms must be a finite number")]
    con = connect_read(db)
    assert con.execute("SELECT avg(latency_p95_ms), max(latency_p95_ms) FROM inference_sli"
                       ).fetchone() == (120.5, 120.5)
    con.close()


def test_nan_and_inf_in_typed_parquet_are_rejected(tmp_path):
    vals = [0.42, math.nan, math.inf, -math.inf]
    table = pa.table({
        "model": ["m"] * 4, "team": ["t"] * 4, "metric": ["a", "b", "c", "d"],
        "measured_at": pa.array([ts(2026, 9, 1)] * 4, pa.timestamp("us", tz="UTC")),
        "value": pa.array(vals, pa.float64()),
        "baseline": pa.array([1.0, 1.0, 1.0, 1.0], pa.float32()),
        "higher_is_better": [True] * 4})
    pq.write_table(table, tmp_path / "p.parquet")
    db = new_db(tmp_path)
    result = ingest(db, "model_performance", [str(tmp_path / "p.parquet")])
    assert [(e["line"], e["reason"]) for e in result.errors] == [
        (2, "value must be a finite number"), (3, "value must be a finite number"),
        (4, "value must be a finite number")]
    assert [r[4] for r in stored(db, "model_performance")] == [0.42]


def test_nan_in_json_is_rejected(tmp_path):
    path = tmp_path / "s.jsonl"
    rows = text_rows("survey_response")
    path.write_text(json.dumps({**rows[0], "score": "NaN"}) + "\n" + json.dumps(rows[1]))
    db = new_db(tmp_path)
    result = ingest(db, "survey_response", [str(path)])
    assert [(e["line"], e["reason"]) for e in result.errors] == [
        (1, "score must be a finite number")]


# --- rejected rows name the right column ------------------------------------------

def test_trap_each_reason_names_the_column_that_is_wrong(tmp_path):
    """store_rejects can blame the wrong column; we check every column ourselves, and a
    problem in column X is reported against X whatever the header order."""
    good = text_rows("inference_sli")[0]
    bad_values = {"endpoint": "", "team": " ", "tier": "x", "window_start": "noon",
                  "window_seconds": "1.5", "requests": "many", "errors": "?",
                  "latency_p95_ms": "fast", "latency_p99_ms": "slow"}
    rows = [dict(reversed(list({**good, "window_start": f"2026-09-01T0{i}:00:00Z",
                                col: val}.items())))
            for i, (col, val) in enumerate(bad_values.items())]
    db, result = _run(tmp_path, "inference_sli", rows)
    assert result.quarantined == len(bad_values) and result.inserted == 0
    assert [e["column"] for e in result.errors] == list(bad_values)
    assert all(e["reason"].startswith(e["column"] + " ") for e in result.errors)


# --- rows are never skipped silently -----------------------------------------------

def test_trap_bad_lines_are_never_skipped_silently(tmp_path):
    """pandas on_bad_lines='skip' dropped 18 of 23 rows without a word. A ragged CSV is a
    file error: nothing of it is stored, not even its good lines, and the message says
    which line."""
    lines = ["team,area,lead"] + [f"t{i},a,b" for i in range(20)]
    lines[5] = "t4,a,b,extra"
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    db = new_db(tmp_path)
    result = ingest(db, "team", [str(path)])
    assert result.exit_code == 2
    assert "line 6 has 4 fields" in result.file_errors[0]
    assert count(db, "team") == 0


def test_every_row_is_accounted_for(tmp_path):
    """inserted + updated + duplicates + quarantined = rows in the files."""
    rows = [{"team": f"t{i}", "area": "", "lead": ""} for i in range(50)]
    rows += [{"team": "", "area": "x", "lead": ""}] * 3 + rows[:7]
    db, result = _run(tmp_path, "team", rows)
    assert (result.inserted, result.updated, result.duplicates, result.quarantined) == \
        (50, 0, 7, 3)
    assert count(db, "team") == 50 and count(db, "quarantine") == 3


# --- duplicates --------------------------------------------------------------------

def test_trap_exact_and_conflicting_duplicates_do_not_both_load(tmp_path):
    good = text_rows("hiring_req")
    rows = [good[0], good[0], good[1], {**good[1], "role": "staff MLE"}]
    db, result = _run(tmp_path, "hiring_req", rows)
    assert (result.inserted, result.duplicates, result.quarantined) == (1, 1, 2)
    assert stored(db, "hiring_req") == expected_rows("hiring_req")[:1]


# --- SQL injection -----------------------------------------------------------------

NASTY = ["x' OR 1=1 --", 'y"; DROP TABLE team; --', "z'); DELETE FROM deployment; --",
         "Robert'); DROP TABLE quarantine;--", "tab\tand ' quote"]


def test_trap_sql_in_values_is_stored_verbatim_and_harmless(tmp_path):
    rows = [{**text_rows("deployment")[0], "deployment_id": f"d{i}", "team": v, "model": v}
            for i, v in enumerate(NASTY)]
    db, result = _run(tmp_path, "deployment", rows)
    assert (result.exit_code, result.inserted) == (0, len(NASTY))
    assert sorted(r[1] for r in stored(db, "deployment")) == sorted(NASTY)
    con = connect_read(db)
    try:
        for v in NASTY:  # a filter value is bound, never pasted into SQL
            assert con.execute("SELECT count(*) FROM deployment WHERE team = ?", [v]
                               ).fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM deployment WHERE team = ?",
                           ["x' OR 1=1 --"]).fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM team").fetchone() == (0,)  # still there
    finally:
        con.close()


def test_sql_in_quarantined_values_and_in_header_names_is_harmless(tmp_path):
    rows = [{"team": "", "area": v, "lead": v, f"{v}": "extra"} for v in NASTY[:1]]
    rows += [{"team": "ok", "area": "", "lead": "", NASTY[0]: "e"}]
    db, result = _run(tmp_path, "team", rows)
    assert result.quarantined == 1 and result.inserted == 1
    assert list(result.extra_columns.values()) == [[NASTY[0]]]
    con = connect_read(db)
    raw = json.loads(con.execute("SELECT raw FROM quarantine").fetchone()[0])
    con.close()
    assert raw == {"team": None, "area": NASTY[0], "lead": NASTY[0]}


def test_json_keys_with_quotes_are_only_extra_columns(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"team": "a", "te\"am": "b", "$.team": "c", "team'": "d"}))
    db = new_db(tmp_path)
    result = ingest(db, "team", [str(path)])
    assert result.exit_code == 0
    assert sorted(result.extra_columns[str(path)]) == sorted(["te\"am", "$.team", "team'"])
    assert stored(db, "team") == [("a", None, None)]


def test_file_names_with_quotes(tmp_path):
    path = write_csv(tmp_path / "it's \"the\" file.csv", text_rows("team"))
    db = new_db(tmp_path)
    result = ingest(db, "team", [str(path)])
    assert result.exit_code == 0
    assert stored(db, "team") == expected_rows("team")


# --- the hardened read connection ---------------------------------------------------

@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_parquet('{outside}')",
    "COPY team TO '{out}'",
    "COPY (SELECT 1) TO '{out}' (FORMAT parquet)",
    "ATTACH '{other}' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "SET autoload_known_extensions = true",
    "CREATE TABLE evil (x INT)",
    "INSERT INTO team VALUES ('x', NULL, NULL, 1)",
    "DELETE FROM team",
])
def test_hardened_read_connection_blocks(tmp_path, sql):
    db = new_db(tmp_path)
    pq.write_table(pa.table({"a": [1]}), tmp_path / "outside.parquet")
    out, other = tmp_path / "out.csv", tmp_path / "other.duckdb"
    con = connect_read(db)
    try:
        with pytest.raises(duckdb.Error):
            con.execute(sql.format(out=out, other=other, outside=tmp_path / "outside.parquet"))
        cur = con.cursor()  # cursors inherit the hardening
        with pytest.raises(duckdb.Error):
            cur.execute("SELECT * FROM read_csv('/etc/passwd')")
    finally:
        con.close()
    assert not out.exists() and not other.exists()


def test_hardened_read_connection_still_reads_the_store(tmp_path):
    db, _ = _run(tmp_path, "team", text_rows("team"))
    con = connect_read(db)
    try:
        assert con.execute("SELECT count(*) FROM team").fetchone() == (2,)
        assert con.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)
    finally:
        con.close()
