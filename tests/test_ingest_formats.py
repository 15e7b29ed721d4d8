"""Every kind loads from CSV, Parquet (typed and all-text), JSON Lines and a JSON array,
and the store holds the hand-written typed rows of ``fixtures/rows.py``."""

from __future__ import annotations

import json
from datetime import date, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import write_csv
from fixtures.rows import GOOD, expected_rows, new_db, stored, text_rows

from metrics.events import KINDS
from metrics.ingest.run import ingest

ARROW = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
         "ts": pa.timestamp("us", tz="UTC"), "date": pa.date32()}


def typed_parquet(path, kind):
    """The expected typed rows written with proper Arrow types (timestamp[us, tz=UTC] …)."""
    k = KINDS[kind]
    rows = [typed for _, typed in GOOD[kind]]
    arrays = {c.name: pa.array([r[i] for r in rows], ARROW[c.type])
              for i, c in enumerate(k.columns)}
    pq.write_table(pa.table(arrays), path)
    return path


def text_parquet(path, kind):
    """The exported text, every column a string column (nulls for empty cells)."""
    rows = text_rows(kind)
    arrays = {c: pa.array([r[c] or None for r in rows], pa.string()) for c in rows[0]}
    pq.write_table(pa.table(arrays), path)
    return path


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat()  # 2026-07-01T09:30:00+00:00
    if isinstance(value, date):
        return value.isoformat()
    return value


def native_json_records(kind):
    """JSON's own types (numbers, booleans, null); an absent optional value is left out."""
    k = KINDS[kind]
    records = []
    for _, typed in GOOD[kind]:
        rec = {c.name: _json_value(v) for c, v in zip(k.columns, typed, strict=True)}
        records.append({n: v for n, v in rec.items() if v is not None})
    return records


def check(tmp_path, kind, path):
    db = new_db(tmp_path)
    result = ingest(db, kind, [str(path)])
    assert (result.exit_code, result.file_errors, result.errors) == (0, [], [])
    assert (result.inserted, result.updated, result.duplicates) == (2, 0, 0)
    assert stored(db, kind) == expected_rows(kind)


@pytest.mark.parametrize("kind", list(KINDS))
def test_csv(tmp_path, kind):
    check(tmp_path, kind, write_csv(tmp_path / f"{kind}.csv", text_rows(kind)))


@pytest.mark.parametrize("kind", list(KINDS))
def test_parquet_with_proper_types(tmp_path, kind):
    check(tmp_path, kind, typed_parquet(tmp_path / f"{kind}.parquet", kind))


@pytest.mark.parametrize("kind", list(KINDS))
def test_parquet_with_all_string_columns(tmp_path, kind):
    check(tmp_path, kind, text_parquet(tmp_path / f"{kind}.parquet", kind))


@pytest.mark.parametrize("kind", list(KINDS))
def test_json_lines_of_text(tmp_path, kind):
    path = tmp_path / f"{kind}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in text_rows(kind)), encoding="utf-8")
    check(tmp_path, kind, path)


@pytest.mark.parametrize("kind", list(KINDS))
def test_ndjson_with_native_json_types(tmp_path, kind):
    path = tmp_path / f"{kind}.ndjson"
    path.write_text("\n".join(json.dumps(r) for r in native_json_records(kind)),
                    encoding="utf-8")
    check(tmp_path, kind, path)


@pytest.mark.parametrize("kind", ["deployment", "inference_sli", "cost", "headcount"])
def test_json_array(tmp_path, kind):
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(native_json_records(kind), indent=2), encoding="utf-8")
    check(tmp_path, kind, path)


def test_json_array_of_text(tmp_path):
    path = tmp_path / "incident.json"
    path.write_text(json.dumps(text_rows("incident")), encoding="utf-8")
    check(tmp_path, "incident", path)


def test_parquet_naive_timestamp_is_not_taken_as_utc(tmp_path):
    """A Parquet timestamp without a zone has no offset: a row error, like in CSV."""
    table = pa.table({"run_id": ["r1"], "team": ["t"], "model": ["m"],
                      "started_at": pa.array([datetime(2026, 9, 2, 10)], pa.timestamp("us")),
                      "status": ["failed"], "cost_usd": [1.0]})
    pq.write_table(table, tmp_path / "naive.parquet")
    db = new_db(tmp_path)
    result = ingest(db, "training_run", [str(tmp_path / "naive.parquet")])
    assert result.exit_code == 1
    assert [(e["line"], e["column"]) for e in result.errors] == [(1, "started_at")]
    assert "no time-zone offset" in result.errors[0]["reason"]
    placed = ingest(db, "training_run", [str(tmp_path / "naive.parquet")],
                    assume_tz="America/New_York")
    assert placed.exit_code == 0
    assert stored(db, "training_run")[0][3] == datetime.fromisoformat("2026-09-02T14:00:00+00:00")


def test_parquet_other_zones_and_nanoseconds_are_stored_in_utc(tmp_path):
    stamp = pa.array([1_788_343_200_000_000_000], pa.timestamp("ns", tz="Europe/Berlin"))
    table = pa.table({"run_id": ["r1"], "team": ["t"], "model": ["m"], "started_at": stamp,
                      "status": ["failed"], "cost_usd": pa.array([1], pa.int32())})
    pq.write_table(table, tmp_path / "ns.parquet")
    db = new_db(tmp_path)
    assert ingest(db, "training_run", [str(tmp_path / "ns.parquet")]).exit_code == 0
    # 1_788_343_200 s after the epoch is 2026-09-02T10:00:00Z
    assert stored(db, "training_run") == [
        ("r1", "t", "m", datetime.fromisoformat("2026-09-02T10:00:00+00:00"), "failed", 1.0)]


def test_parquet_integer_too_large_for_the_store_is_a_row_error(tmp_path):
    """A uint64 above the BIGINT range once crashed the whole ingest with a traceback."""
    rows = [typed for _, typed in GOOD["headcount"]]
    table = pa.table({
        "snapshot_date": pa.array([r[0] for r in rows], pa.date32()),
        "team": [r[1] for r in rows],
        "headcount": pa.array([12, 2**64 - 1], pa.uint64()),
        "departures": [2, 0], "regretted_departures": [1, 0]})
    pq.write_table(table, tmp_path / "u64.parquet")
    db = new_db(tmp_path)
    result = ingest(db, "headcount", [str(tmp_path / "u64.parquet")])
    assert result.exit_code == 1
    assert result.errors == [{"file": str(tmp_path / "u64.parquet"), "line": 2,
                              "column": "headcount",
                              "reason": "headcount must be a whole number"}]
    assert stored(db, "headcount") == [expected_rows("headcount")[1]]


def test_gzipped_csv(tmp_path):
    import gzip

    plain = write_csv(tmp_path / "team.csv", text_rows("team")).read_bytes()
    path = tmp_path / "team.csv.gz"
    path.write_bytes(gzip.compress(plain))
    check(tmp_path, "team", path)
