"""Whatever bytes come in, for every kind and format, ingest ends in one of three outcomes
— stored, row errors with reasons, or a file error naming the file — and a failing file
changes nothing stored. Whatever is stored keeps the contract's bounds.

CI runs a few examples per kind (the ``ci`` profile, seconds). A long run:

    MLKPI_HYPOTHESIS=long python -m pytest tests/test_ingest_property.py

(the ``long`` profile: rounds of 25 fresh random examples per kind until
``MLKPI_HYPOTHESIS_MINUTES`` minutes in all, default 10, shared evenly by the kinds, are up.)
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.events import EARLIEST, END, KINDS, Kind
from metrics.ingest import limits
from metrics.ingest.run import ingest
from metrics.store.db import connect_read

settings.register_profile("ci", max_examples=3, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
# the long run calls the test in rounds of fresh random examples until its time is up
settings.register_profile("long", max_examples=25, deadline=None,
                          suppress_health_check=list(HealthCheck))
PROFILE = os.environ.get("MLKPI_HYPOTHESIS", "ci")
settings.load_profile(PROFILE)
RUN_SECONDS = float(os.environ.get("MLKPI_HYPOTHESIS_MINUTES", "10")) * 60 / len(KINDS)


HOSTILE_TEXT = [
    "", " ", "NaN", "inf", "-0", "1_000", "0x10", "1e400", "1.5", "3.0", "yes", "t",
    "2026-07-01T09:30:00Z", "2026-07-01T09:30:00", "2026-07-01T09:30:00+25:00",
    "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "1970-01-01T00:00:00Z",
    "2199-12-31T23:59:59Z", "2200-01-01T00:00:00Z", "2026-02-30", "2026-07-01", "2026Q3",
    "SEV1", "drift", "success", "a\x00b", 'say "hi"', "a,b", "line\nbreak", "cr\ronly",
    "ünï ✓ 🚀", "\ufeffbom", "x" * (limits.MAX_FIELD_CHARS + 1),
]
values = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=20))
json_values = st.recursive(
    st.one_of(values, st.integers(), st.floats(), st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=2),
                            st.dictionaries(st.text(max_size=5), inner, max_size=2)),
    max_leaves=4)


@st.composite
def tables(draw, kind: Kind, cell=values) -> tuple[list[str], list[list]]:
    """A header (some contract columns, maybe an extra or a repeat) and rows of cells."""
    names = draw(st.lists(st.sampled_from([*kind.names, "extra", ""]), min_size=1,
                          max_size=len(kind.names) + 2))
    if draw(st.booleans()):  # mostly the whole contract, so rows get validated at all
        names = [*kind.names, *names[: draw(st.integers(0, 2))]]
    rows = draw(st.lists(st.lists(cell, min_size=len(names), max_size=len(names)),
                         max_size=5))
    return names, rows


def as_csv(names, rows, end: str, bom: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=end)
    writer.writerow(names)
    writer.writerows([[str(v) for v in row] for row in rows])
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8", "surrogatepass")


def as_json(names, rows, lines: bool) -> bytes:
    records = ["{" + ", ".join(f"{json.dumps(n)}: {json.dumps(v)}" for n, v in
                               zip(names, row, strict=True)) + "}" for row in rows]
    text = "\n".join(records) if lines else "[" + ",\n".join(records) + "]"
    return text.encode("utf-8", "surrogatepass")


def as_parquet(names, rows) -> bytes:
    columns = {}
    for i, name in enumerate(dict.fromkeys(names)):
        cells = [row[i] for row in rows]
        try:
            columns[name or "blank"] = pa.array(cells)
        except (pa.ArrowException, OverflowError):
            columns[name or "blank"] = pa.array([json.dumps(c) for c in cells])
    sink = io.BytesIO()
    pq.write_table(pa.table(columns) if columns else pa.table({"x": [1]}), sink)
    return sink.getvalue()


@st.composite
def files(draw, kind: Kind) -> tuple[str, bytes]:
    fmt = draw(st.sampled_from(["csv", "jsonl", "json", "parquet"]))
    if fmt == "csv":
        names, rows = draw(tables(kind))
        data = as_csv(names, rows, draw(st.sampled_from(["\n", "\r\n", "\r"])), draw(st.booleans()))
    elif fmt == "parquet":
        names, rows = draw(tables(kind, json_values))
        try:
            data = as_parquet(names, rows)
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            data = b"PAR1"
    else:
        names, rows = draw(tables(kind, json_values))
        data = as_json(names, rows, fmt == "jsonl")
    data = draw(st.sampled_from([data, *mangled(draw, data)]))
    name = f"f.{fmt}"
    if draw(st.integers(0, 9)) == 0:
        data, name = gzip.compress(data)[: draw(st.integers(0, 200)) or None], name + ".gz"
    return name, data


def mangled(draw, data: bytes) -> list[bytes]:
    """The bytes cut short, with some bytes overwritten, or with random bytes inserted."""
    at = draw(st.integers(0, len(data)))
    noise = draw(st.binary(max_size=8))
    return [data[:at], data[:at] + noise + data[at + len(noise):], data[:at] + noise + data[at:]]


def contents(db: Path, kind: Kind) -> list[tuple]:
    if not db.exists():
        return []
    con = connect_read(db)
    try:
        return con.execute(f'SELECT * FROM "{kind.name}" ORDER BY ALL').fetchall()
    finally:
        con.close()


def assert_within_contract(db: Path, kind: Kind) -> None:
    con = connect_read(db)
    try:
        for col in kind.columns:
            c = f'"{col.name}"'
            if col.type in ("ts", "date"):
                lo, hi = ((f"TIMESTAMPTZ '{EARLIEST} 00:00:00+00'",
                           f"TIMESTAMPTZ '{END} 00:00:00+00'") if col.type == "ts"
                          else (f"DATE '{EARLIEST}'", f"DATE '{END}'"))
                bad = f"{c} < {lo} OR {c} >= {hi}"
            elif col.type == "str":
                bad = f"contains({c}, chr(0)) OR length({c}) > {limits.MAX_FIELD_CHARS}"
            elif col.type == "float":
                bad = f"NOT isfinite({c})"
            else:
                continue
            n = con.execute(f'SELECT count(*) FROM "{kind.name}" WHERE {bad}').fetchone()[0]
            assert n == 0, (kind.name, col.name, bad)
    finally:
        con.close()


@pytest.mark.parametrize("kind_name", list(KINDS))
def test_any_file_ends_in_one_of_three_outcomes(kind_name, tmp_path):
    kind = KINDS[kind_name]
    folder = tmp_path
    db = folder / "s.duckdb"
    stop = time.monotonic() + RUN_SECONDS

    @given(files(kind))
    def one_file(named: tuple[str, bytes]) -> None:
        name, data = named
        path = folder / name
        path.write_bytes(data)
        before = contents(db, kind)
        result = ingest(db, kind.name, [str(path)])  # never raises on what a file holds
        assert result.exit_code in (0, 1, 2)
        if result.file_errors:
            assert len(result.file_errors) == 1
            assert result.file_errors[0].startswith(f"{path}: ")
            assert result.file_errors[0].endswith(".")
            assert "\n" not in result.file_errors[0]
            assert contents(db, kind) == before
            return
        for error in result.errors:
            assert error["reason"] and error["file"] == str(path) and error["line"] >= 1
            assert error["column"] in kind.names, error
        assert_within_contract(db, kind)

    one_file()
    while PROFILE == "long" and time.monotonic() < stop:
        one_file()
