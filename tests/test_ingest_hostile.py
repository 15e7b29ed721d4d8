"""Hostile files: each gets the right outcome and its own sentence (issue 13).

A row error carries its own reason; a file error is one sentence naming the file (and
the line where there is one); valid data is stored. Never exit 70.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from metrics.cli.main import main
from metrics.ingest import limits
from metrics.ingest.run import ingest
from metrics.store.db import connect_read

HEADER = "deployment_id,team,model,tier,spec_approved_at,deployed_at,automated\n"
SPEC, DEPLOYED = "2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z"


def deployment(dep_id: str = "d1", spec: str = SPEC, deployed: str = DEPLOYED,
               team: str = "core") -> str:
    return f"{dep_id},{team},m,1,{spec},{deployed},true\n"


def record(**over) -> dict:
    base = {"deployment_id": "d1", "team": "core", "model": "m", "tier": 1,
            "spec_approved_at": SPEC, "deployed_at": DEPLOYED, "automated": True}
    return {**base, **over}


def run(tmp_path: Path, kind: str, name: str, content: bytes | None = None):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    return ingest(tmp_path / "s.duckdb", kind, [str(path)])


def only_error(result) -> tuple[str, str]:
    assert result.file_errors == [] and result.inserted == 0, result.file_errors
    assert len(result.errors) == 1, result.errors
    return result.errors[0]["column"], result.errors[0]["reason"]


def stored(tmp_path: Path, kind: str) -> int:
    con = connect_read(tmp_path / "s.duckdb")
    try:
        return con.execute(f"SELECT count(*) FROM {kind}").fetchone()[0]
    finally:
        con.close()


OUT_OF_RANGE = "must lie between 1970-01-01 and 2200-01-01 (UTC)"
OFFSET = "has a time-zone offset beyond ±18:00"


@pytest.mark.parametrize(("spec", "deployed", "column", "reason"), [
    # year 10000 in UTC: the instant that took every reader down
    (SPEC, "9999-12-31T23:59:59-14:00", "deployed_at", OUT_OF_RANGE),
    # 1 BC in UTC
    ("0001-01-01T00:00:00+14:00", DEPLOYED, "spec_approved_at", OUT_OF_RANGE),
    (SPEC, "2200-01-01T00:00:00Z", "deployed_at", OUT_OF_RANGE),
    ("1969-12-31T23:59:59Z", DEPLOYED, "spec_approved_at", OUT_OF_RANGE),
    ("1970-01-01T00:30:00+01:00", DEPLOYED, "spec_approved_at", OUT_OF_RANGE),  # 1969 in UTC
    (SPEC, "2026-07-02T00:00:00+25:00", "deployed_at", OFFSET),
    (SPEC, "2026-07-02T00:00:00+18:01", "deployed_at", OFFSET),
    (SPEC, "2026-07-02T00:00:00-1830", "deployed_at", OFFSET),
])
def test_timestamps_out_of_bounds_are_row_errors(tmp_path, spec, deployed, column, reason):
    result = run(tmp_path, "deployment", "d.csv", (HEADER + deployment(spec=spec,
                                                                       deployed=deployed)).encode())
    assert only_error(result) == (column, f"{column} {reason}")


@pytest.mark.parametrize(("spec", "deployed"), [
    ("1970-01-01T00:00:00Z", "2199-12-31T23:59:59.999999Z"),
    ("2026-07-01T00:00:00+18:00", "2026-07-01T00:00:00-18:00"),
    ("2026-07-01T00:00:00+1800", "2026-07-01T00:00:00-05"),
])
def test_timestamps_at_the_bounds_are_stored(tmp_path, spec, deployed):
    result = run(tmp_path, "deployment", "d.csv",
                 (HEADER + deployment(spec=spec, deployed=deployed)).encode())
    assert (result.errors, result.inserted) == ([], 1)


@pytest.mark.parametrize(("day", "ok"), [("1970-01-01", True), ("2199-12-31", True),
                                         ("1969-12-31", False), ("2200-01-01", False),
                                         ("9999-12-31", False), ("0001-01-01", False)])
def test_dates_are_bounded(tmp_path, day, ok):
    result = run(tmp_path, "cost", "c.csv",
                 f"date,team,service,category,cost_usd\n{day},core,s,other,1\n".encode())
    if ok:
        assert (result.errors, result.inserted) == ([], 1)
    else:
        assert only_error(result) == ("date", f"date {OUT_OF_RANGE}")


def test_parquet_timestamps_and_dates_out_of_bounds_are_row_errors(tmp_path):
    con = duckdb.connect()
    path = tmp_path / "c.parquet"
    con.execute(f"""COPY (SELECT * FROM (VALUES (DATE '2026-07-01', 1), (DATE '2300-01-01', 2),
                    (DATE '0001-01-01' - 5, 3)) t(date, n)
                    CROSS JOIN (SELECT 'core' AS team, 's' AS service, 'other' AS category,
                                1.0::DOUBLE AS cost_usd)) TO '{path}' (FORMAT parquet)""")
    result = run(tmp_path, "cost", "c.parquet")
    assert result.inserted == 1
    assert [(e["line"], e["reason"]) for e in result.errors] == [
        (2, f"date {OUT_OF_RANGE}"), (3, f"date {OUT_OF_RANGE}")]
    path = tmp_path / "d.parquet"
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"""COPY (SELECT 'd1' AS deployment_id, 'core' AS team, 'm' AS model,
                    1 AS tier, TIMESTAMPTZ '2026-07-01 00:00:00+00' AS spec_approved_at,
                    TIMESTAMPTZ '9999-12-31 23:00:00+00' + INTERVAL 2 DAY AS deployed_at,
                    true AS automated) TO '{path}' (FORMAT parquet)""")
    assert only_error(run(tmp_path, "deployment", "d.parquet")) == (
        "deployed_at", f"deployed_at {OUT_OF_RANGE}")


@pytest.mark.parametrize(("text", "reason"), [
    ("1_000", "cost_usd must be a finite number"),
    ("1__0", "cost_usd must be a finite number"),
    ("nan", "cost_usd must be a finite number"),
])
def test_numbers_a_cast_would_accept_are_row_errors(tmp_path, text, reason):
    result = run(tmp_path, "cost", "c.csv",
                 f"date,team,service,category,cost_usd\n2026-07-01,core,s,other,{text}\n".encode())
    assert only_error(result) == ("cost_usd", reason)


def test_a_nul_byte_in_an_id_is_a_row_error(tmp_path):
    result = run(tmp_path, "deployment", "d.csv",
                 (HEADER + deployment("d\x001") + deployment("d2")).encode())
    assert result.inserted == 1
    assert [(e["line"], e["column"], e["reason"]) for e in result.errors] == [
        (2, "deployment_id", "deployment_id contains a NUL character")]


def test_a_nul_escape_in_json_is_a_row_error(tmp_path):
    line = json.dumps(record(team="co\u0000re"))
    result = run(tmp_path, "deployment", "d.jsonl", line.encode())
    assert only_error(result) == ("team", "team contains a NUL character")


def test_a_field_past_the_length_limit_is_a_row_error_and_one_at_it_is_stored(tmp_path):
    longest = "t" * limits.MAX_FIELD_CHARS
    too_long = "é" * (limits.MAX_FIELD_CHARS + 1)  # counted in characters, not bytes
    content = HEADER + deployment("d1", team=longest) + deployment("d2", team=too_long)
    result = run(tmp_path, "deployment", "d.csv", content.encode())
    assert result.inserted == 1
    assert [(e["line"], e["reason"]) for e in result.errors] == [
        (3, f"team is longer than {limits.MAX_FIELD_CHARS:,} characters")]


def test_a_line_past_the_line_limit_is_a_file_error_naming_the_line(tmp_path):
    huge = "x" * (limits.MAX_LINE_BYTES + 10)  # unquoted: not 'an unterminated quoted field'
    result = run(tmp_path, "deployment", "d.csv",
                 (HEADER + deployment("d1") + deployment(huge)).encode())
    assert result.file_errors == [
        f"{tmp_path / 'd.csv'}: cannot be read as CSV (line 3 is longer than "
        f"{limits.MAX_LINE_BYTES:,} bytes, the most one line may hold)."]
    assert not (tmp_path / "s.duckdb.snapshot").exists() or stored(tmp_path, "deployment") == 0


def test_too_many_columns_is_a_file_error_and_the_check_is_linear(tmp_path):
    import time

    names = ["team", *(f"c{i}" for i in range(100_000))]  # 690 KB of header
    start = time.perf_counter()
    result = run(tmp_path, "team", "t.csv",
                 (",".join(names) + "\n" + ",".join("x" * len(names)) + "\n").encode())
    assert time.perf_counter() - start < 20  # was quadratic: 36 s for 40,000 columns
    assert result.file_errors[0].endswith("has 100,001 columns, more than the 1,000 an ingest "
                                          "reads; keep the event's columns and drop the rest.")
    longer = "team," + "x" * (1 << 20) + "\nx,y\n"  # the header is read up to 1 Mi characters
    assert run(tmp_path, "team", "v.csv", longer.encode()).file_errors[0].endswith(
        "the header row is longer than 1,048,576 characters; keep the event's columns and "
        "drop the rest.")
    at_limit = ["team", *(f"c{i}" for i in range(limits.MAX_COLUMNS - 1))]
    result = run(tmp_path, "team", "u.csv",
                 (",".join(at_limit) + "\n" + ",".join("x" * len(at_limit)) + "\n").encode())
    assert (result.file_errors, result.inserted) == ([], 1)


def test_repeated_header_names_among_many_are_named(tmp_path):
    names = ["team", *(f"c{i}" for i in range(900)), "c7", "team"]
    result = run(tmp_path, "team", "t.csv", (",".join(names) + "\n" + ",".join(
        "x" * len(names)) + "\n").encode())
    assert result.file_errors == [f"{tmp_path / 't.csv'}: the header names c7, team more than "
                                  "once."]


def test_cr_only_line_ends_are_read_and_placed(tmp_path):
    content = HEADER + deployment("d1") + deployment("d2", deployed="soon") + deployment("d3")
    result = run(tmp_path, "deployment", "d.csv", content.replace("\n", "\r").encode())
    assert result.inserted == 2
    assert [(e["line"], e["column"]) for e in result.errors] == [(3, "deployed_at")]


@pytest.mark.parametrize("name", ["d.csv.gz", "d.jsonl.gz", "d.json.gz"])
def test_a_truncated_gzip_is_a_file_error(tmp_path, name):
    body = (HEADER + deployment() * 2000 if ".csv" in name
            else "\n".join(json.dumps(record(deployment_id=f"d{i}")) for i in range(2000)))
    if ".json." in name:
        body = "[" + body.replace("\n", ",") + "]"
    packed = gzip.compress(body.encode())
    result = run(tmp_path, "deployment", name, packed[: len(packed) // 2])
    assert result.file_errors == [f"{tmp_path / name}: the file is not a complete gzip file (it "
                                  "may be cut short); compress it again."]


@pytest.mark.parametrize(("name", "content", "says"), [
    ("d.json", b'\xff\xfe{"deployment_id": "\xff"}', "does not start with '['"),
    ("d.json", b'{"deployment_id": "d1"}\n{"deployment_id": "\xff"}',
     "a .json file must hold one JSON array of objects ([{…}, {…}]); for one object per "
     "line, name the file .jsonl."),
    ("d.jsonl", b'{"deployment_id": "d1"}\n{"deployment_id": "\xff"}\n',
     "the file is not UTF-8 text"),
    ("d.json", b'[{"deployment_id": "\xff"}]', "the file is not UTF-8 text"),
    ("d.jsonl", b'{"deployment_id": "d1"}\n\n\n{"deployment_id": d2}\n',
     "line 4, column 19: Expecting value"),
    ("d.json", b'[{"deployment_id": "d1"},\n {"deployment_id" "d2"}]',
     "line 2, column 19: Expecting ':' delimiter"),
])
def test_bad_json_gets_a_sentence_of_its_own(tmp_path, name, content, says):
    result = run(tmp_path, "deployment", name, content)
    assert len(result.file_errors) == 1
    error = result.file_errors[0]
    assert error.startswith(f"{tmp_path / name}: ") and says in error, error
    assert "format=" not in error and "auto" not in error


def test_json_objects_and_arrays_where_a_value_belongs_are_row_errors(tmp_path):
    lines = [record(deployment_id={"id": 1}), record(deployment_id="d2", tier=[1]),
             record(deployment_id="d3")]
    result = run(tmp_path, "deployment", "d.jsonl",
                 "\n".join(json.dumps(r) for r in lines).encode())
    assert result.inserted == 1
    assert [(e["line"], e["column"], e["reason"]) for e in result.errors] == [
        (1, "deployment_id", "deployment_id must be one value, not a JSON object or array"),
        (2, "tier", "tier must be one value, not a JSON object or array")]


def test_a_key_given_twice_in_a_json_record_is_a_row_error(tmp_path):
    line = ('{"deployment_id": "d1", "deployment_id": "d2", "team": "core", "model": "m", '
            '"tier": 1, "spec_approved_at": "2026-07-01T00:00:00Z", '
            '"deployed_at": "2026-07-02T00:00:00Z", "automated": true}')
    result = run(tmp_path, "deployment", "d.json", f"[{line}]".encode())
    assert only_error(result) == ("deployment_id", "the record names deployment_id more than "
                                                   "once; keep one")


def test_a_key_outside_the_contract_given_twice_is_ignored_like_the_key(tmp_path):
    """Found by the long property run: an ignored key repeated is no reason to refuse."""
    line = ('{"team": "core", "area": "applied", "note": "x", "note": []}')
    result = run(tmp_path, "team", "t.jsonl", line.encode())
    assert (result.inserted, result.errors, result.file_errors) == (1, [], [])


def test_parquet_structs_and_lists_where_a_value_belongs_are_a_file_error(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"team": pa.array([{"x": 1}]), "area": [["a", "b"]]}), path)
    result = run(tmp_path, "team", "t.parquet")
    assert result.file_errors == [
        f"{path}: columns team (STRUCT(x BIGINT)), area (VARCHAR[]) hold structures or lists, "
        "not single values; write each as a plain value."]


def test_a_corrupt_parquet_file_is_called_parquet(tmp_path):
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"team": [f"t{i}" for i in range(5000)],
                             "area": [f"a{i}" for i in range(5000)]}), good,
                   compression="none", use_dictionary=False)
    data = bytearray(good.read_bytes())
    data[200:4000] = b"\xff" * 3800  # the column chunks; the footer stays readable
    (tmp_path / "bad.parquet").write_bytes(bytes(data))
    (tmp_path / "junk.parquet").write_bytes(b"PAR1" + b"\x00" * 100 + b"PAR1")
    for name in ("bad.parquet", "junk.parquet"):
        result = run(tmp_path, "team", name)
        assert len(result.file_errors) == 1
        assert result.file_errors[0].startswith(f"{tmp_path / name}: cannot be read as Parquet")


def test_a_parquet_file_corrupt_half_way_fails_alone_in_its_batch(tmp_path):
    """Parquet is read first when the rows are stored: the damage shows there, and the
    file is named while the batch's other file is stored."""
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"team": [f"t{i}" for i in range(5000)]}), good,
                   compression="none", use_dictionary=False, row_group_size=1000)
    data = bytearray(good.read_bytes())
    data[len(data) // 2:len(data) // 2 + 3000] = b"\xff" * 3000  # a later row group
    (tmp_path / "bad.parquet").write_bytes(bytes(data))
    (tmp_path / "t.csv").write_text("team,area\ncore,platform\n")
    result = ingest(tmp_path / "s.duckdb", "team",
                    [str(tmp_path / "bad.parquet"), str(tmp_path / "t.csv")])
    assert len(result.file_errors) == 1
    assert result.file_errors[0].startswith(f"{tmp_path / 'bad.parquet'}: cannot be read as "
                                            "Parquet")
    assert (result.inserted, result.quarantined, result.exit_code) == (1, 0, 2)


def test_a_folder_is_not_a_file(tmp_path):
    (tmp_path / "exports.csv").mkdir()
    result = run(tmp_path, "team", "exports.csv")
    assert result.file_errors == [f"{tmp_path / 'exports.csv'}: is a folder, not a file; name "
                                  "the files in it."]


def test_numeric_parquet_types_convert_exactly(tmp_path):
    """INT32 counts and DECIMAL latencies take the native path and store what the exact
    types store; a fraction in a count is an error, never rounded."""
    path = tmp_path / "s.parquet"
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT * FROM (VALUES
        ('e1', 1::INTEGER, 100::INTEGER, 2::SMALLINT, 12.5::DECIMAL(22,1), 30::DECIMAL(10,0)),
        ('e2', 2::INTEGER, 7::INTEGER, 0::SMALLINT, 0.1::DECIMAL(22,1), NULL),
        ('e3', 1::INTEGER, 5::INTEGER, 0::SMALLINT, 1.5::DECIMAL(22,1), NULL))
        t(endpoint, tier, requests, errors, latency_p95_ms, latency_p99_ms)
        CROSS JOIN (SELECT 'search' AS team, TIMESTAMPTZ '2026-08-01 10:00:00+00' AS window_start,
                    60::UTINYINT AS window_seconds)) TO '{path}' (FORMAT parquet)""")
    result = run(tmp_path, "inference_sli", "s.parquet")
    assert (result.errors, result.inserted) == ([], 3)
    con = connect_read(tmp_path / "s.duckdb")
    rows = con.execute("SELECT endpoint, tier, requests, errors, latency_p95_ms, latency_p99_ms, "
                       "window_seconds FROM inference_sli ORDER BY endpoint").fetchall()
    con.close()
    assert rows == [("e1", 1, 100, 2, 12.5, 30.0, 60), ("e2", 2, 7, 0, 0.1, None, 60),
                    ("e3", 1, 5, 0, 1.5, None, 60)]
    path = tmp_path / "f.parquet"
    duckdb.connect().execute(f"""COPY (SELECT 'e9' AS endpoint, 'search' AS team,
        1.5::DECIMAL(4,1) AS tier, TIMESTAMPTZ '2026-08-01 10:00:00+00' AS window_start,
        60.0::DOUBLE AS window_seconds, 3.0::DECIMAL(5,1) AS requests, 0::DOUBLE AS errors)
        TO '{path}' (FORMAT parquet)""")
    assert only_error(run(tmp_path, "inference_sli", "f.parquet")) == (
        "tier", "tier must be a whole number")


@pytest.mark.parametrize(("name", "content"), [
    ("a.csv.gz", b"\x1f\x8b\x08\x00garbage"),
    ("b.json", b"\xff\xfe{\x00"),
    ("c.jsonl", b"\xff\xfe{\x00\n"),
    ("d.parquet", b"PAR1PAR1"),
    ("e.csv", b"\x00\x00\x00"),
])
def test_the_cli_never_exits_70_on_a_file(tmp_path, capsys, name, content):
    (tmp_path / name).write_bytes(content)
    code = main(["--db", str(tmp_path / "s.duckdb"), "ingest", "deployment",
                 str(tmp_path / name)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith(f"mlkpi: {tmp_path / name}: "), err


def test_an_ingest_past_its_time_limit_stops_stores_nothing_and_lets_go(tmp_path, monkeypatch):
    from metrics.ingest.run import IngestError
    from metrics.store import recovery

    db = tmp_path / "s.duckdb"
    assert ingest(db, "team", [str(_teams(tmp_path / "a.csv", 1))]).inserted == 1
    big = _teams(tmp_path / "big.csv", 400_000)
    monkeypatch.setenv("MLKPI_INGEST_TIMEOUT", "0.05")
    with pytest.raises(IngestError) as caught:
        ingest(db, "team", [str(big)])
    assert str(caught.value) == (
        f"the ingest of {big} did not finish within 0.05 s and was stopped; nothing of it was "
        "stored. Split the files, or allow more time with MLKPI_INGEST_TIMEOUT (seconds).")
    assert recovery.leftovers(db) == []
    monkeypatch.setenv("MLKPI_INGEST_TIMEOUT", "600")
    # the lock is free at once (a writer that waited would fail: it may not wait at all)
    from metrics.store.db import writer
    with writer(db, wait_seconds=0):
        pass
    assert stored(tmp_path, "team") == 1
    monkeypatch.setenv("MLKPI_INGEST_TIMEOUT", "soon")
    with pytest.raises(IngestError, match="MLKPI_INGEST_TIMEOUT='soon' is not a number"):
        ingest(db, "team", [str(big)])


def _teams(path: Path, n: int) -> Path:
    path.write_text("team,area\n" + "".join(f"team-{i},platform\n" for i in range(n)))
    return path
