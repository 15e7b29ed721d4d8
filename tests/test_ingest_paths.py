"""Parquet is validated through a view and text through a copy, and repeated keys are
found by a 64-bit hash: the rows, quarantine, history and counts must not depend on any
of that. Each batch here has row errors, identical repeats, conflicting repeats and
updates of stored rows."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import write_csv

from metrics.ingest import csv_reader, readers, typed
from metrics.ingest import write as write_module
from metrics.ingest.run import ingest
from metrics.store.db import connect_read

COLUMNS = ("endpoint", "team", "tier", "window_start", "window_seconds", "requests",
           "errors", "latency_p95_ms", "latency_p99_ms")


def _row(endpoint, minute, requests, errors="0", tier="1", p95="12.5"):
    return {"endpoint": endpoint, "team": "search", "tier": tier,
            "window_start": f"2026-08-01T10:{minute:02d}:00Z", "window_seconds": "60",
            "requests": str(requests), "errors": errors, "latency_p95_ms": p95,
            "latency_p99_ms": ""}


def first_batch() -> list[dict]:
    rows = [_row(f"e{n % 3}", n, 100 + n) for n in range(12)]
    rows += [
        _row("e0", 0, 100),  # an identical repeat of the first row: a duplicate
        _row("e1", 1, 999),  # the key of the second row with other content: a conflict
        _row("e2", 40, "lots"),  # not a whole number
        _row("e2", 41, 5, errors="9"),  # more errors than requests
        _row("e2", 42, 5, tier="7"),  # not a tier
        _row("", 43, 5),  # endpoint missing
        _row("e0", 50, 10), _row("e0", 50, 10), _row("e0", 50, 10),  # three identical
    ]
    return rows


def second_batch() -> list[dict]:
    rows = [_row(f"e{n % 3}", n, 100 + n) for n in range(6)]  # stored as they are
    rows[2] = _row("e2", 2, 555)  # changed: replaces the stored row, which goes to history
    rows += [_row("e0", 59, 7), _row("e0", 59, 8), _row("e2", 58, 1), _row("e2", 58, 1),
             _row("e1", 57, "x")]
    return rows


def write_parquet(path, rows):
    """All-text Parquet, so that the bad values of the batch can be written at all."""
    table = pa.table({c: [r[c] if r[c] != "" else None for r in rows] for c in COLUMNS})
    pq.write_table(table, path, row_group_size=4)
    return path


def _snapshot(db, result):
    con = connect_read(db)
    try:
        rows = con.execute(
            f"SELECT {', '.join(COLUMNS)}, _ingest_id FROM inference_sli ORDER BY ALL"
        ).fetchall()
        history = con.execute(
            f"SELECT {', '.join(COLUMNS)}, _ingest_id, _replaced_by FROM inference_sli_history "
            "ORDER BY ALL").fetchall()
        quarantine = con.execute(
            'SELECT ingest_id, line, "column", reason FROM quarantine ORDER BY ALL').fetchall()
        log = con.execute("SELECT ingest_id, inserted, updated, duplicates, quarantined "
                          "FROM ingest_log ORDER BY ALL").fetchall()
    finally:
        con.close()
    counts = (result.inserted, result.updated, result.duplicates, result.quarantined,
              result.exit_code)
    errors = [(e["line"], e["column"], e["reason"]) for e in result.errors]
    return rows, history, quarantine, log, counts, errors


def _ingest_both(tmp_path, name, write, line_shift=0, batches=None):
    db = tmp_path / f"{name}.duckdb"
    outcomes = []
    for n, batch in enumerate(batches or (first_batch(), second_batch())):
        path = write(tmp_path / f"{name}{n}", batch)
        result = ingest(db, "inference_sli", [str(path)])
        assert not result.file_errors
        outcomes.append(_snapshot(db, result))
    if line_shift:  # CSV counts the header line; Parquet counts records
        outcomes = [_shift(o, line_shift) for o in outcomes]
    return outcomes


def _shift(outcome, by):
    rows, history, quarantine, log, counts, errors = outcome
    return (rows, history, [(i, line - by, c, r) for i, line, c, r in quarantine], log, counts,
            [(line - by, c, r) for line, c, r in errors])


def _csv(path, rows):
    return write_csv(path.with_suffix(".csv"), rows)


def _parquet(path, rows):
    return write_parquet(path.with_suffix(".parquet"), rows)


def test_parquet_view_and_csv_copy_store_the_same(tmp_path):
    from_csv = _ingest_both(tmp_path, "csv", _csv, line_shift=1)
    from_parquet = _ingest_both(tmp_path, "pq", _parquet)
    assert from_parquet == from_csv
    first, second = from_parquet
    # inserted, updated, duplicates, quarantined, exit code — counted by hand above
    assert first[4] == (11 + 1, 0, 1 + 2, 2 + 4, 1)
    # e1 at minute 1 was a conflict the first time, so it is new now
    assert second[4] == (2, 1, 4 + 1, 2 + 1, 1)
    assert len(second[1]) == 1 and second[1][0][5] == 102  # the replaced version


def _unique_batches(with_errors: bool) -> tuple[list[dict], list[dict]]:
    """Two batches that give no key twice: the writer's first try stores them, unless a
    Parquet file has failing rows (which the first try does not look for)."""
    first = [_row(f"e{n % 3}", n, 100 + n) for n in range(9)]
    second = [_row(f"e{n % 3}", n, 100 + n) for n in range(4)] + [_row("e0", 30, 1)]
    second[1] = _row("e1", 1, 777)  # changed
    if with_errors:
        first += [_row("e2", 40, "lots"), _row("", 43, 5)]
        second += [_row("e1", 31, 2, errors="9")]
    return first, second


@pytest.mark.parametrize("with_errors", [False, True])
def test_batches_that_repeat_no_key_store_the_same_from_parquet_and_csv(
        tmp_path, monkeypatch, with_errors):
    tries = []
    real = write_module.write
    monkeypatch.setattr("metrics.ingest.run.write",
                        lambda *args, repeats: tries.append(repeats) or real(*args,
                                                                             repeats=repeats))
    batches = _unique_batches(with_errors)
    from_csv = _ingest_both(tmp_path, "csv", _csv, line_shift=1, batches=batches)
    assert tries == [None, None]  # CSV is checked as it is typed: the first try stores it
    tries.clear()
    from_parquet = _ingest_both(tmp_path, "pq", _parquet, batches=batches)
    assert from_parquet == from_csv
    first, second = from_parquet
    errors = 1 if with_errors else 0
    # inserted, updated, duplicates, quarantined, exit code — counted by hand above
    assert first[4] == (9, 0, 0, 2 * errors, errors)
    assert second[4] == (1, 1, 3, errors, errors)
    assert [(r[0], r[3].minute, r[5]) for r in second[1]] == [("e1", 1, 101)]  # history
    # Parquet with failing rows: the first try finds fewer rows than it expected, undoes
    # everything and the batch is checked and written again
    assert tries == ([None, False, None, False] if with_errors else [None, None])


def test_a_csv_too_big_for_memory_stores_the_same_through_parquet(tmp_path, monkeypatch):
    """A CSV whose typed rows would not fit in the writer's memory is typed into a
    Parquet file instead of a temp table: same rows, history, quarantine, lines."""
    in_memory = _ingest_both(tmp_path, "table", _csv)
    monkeypatch.setattr(typed, "TYPED_BYTES_PER_CSV_BYTE", 10**15)
    answers = []
    real = typed._fits_in_memory
    monkeypatch.setattr(typed, "_fits_in_memory",
                        lambda con, part: answers.append(real(con, part)) or answers[-1])
    assert _ingest_both(tmp_path, "parquet", _csv) == in_memory
    assert answers == [False, False]  # both batches went the Parquet way


def test_an_unreadable_memory_limit_means_parquet(tmp_path) -> None:
    from metrics.ingest.readers import Staged

    class Con:  # a limit in a unit we do not know
        def execute(self, sql):
            return self

        def fetchone(self):
            return ("lots",)

    path = tmp_path / "a.csv"
    path.write_text("a\n1\n")
    assert typed._fits_in_memory(Con(), Staged("a.csv", "t", "csv", None, {}, [], path,
                                                       1)) is False
    con = duckdb.connect()
    con.execute("SET memory_limit = '1GB'")
    assert typed._fits_in_memory(con, Staged("a.csv", "t", "csv", None, {}, [], path, 1))


def test_a_hash_that_collides_all_the_time_changes_nothing(tmp_path, monkeypatch):
    """Only rows whose key hash repeats are compared by key; collisions just add rows to
    that comparison. A hash with four values (everything collides) gives the same store."""
    expected = _ingest_both(tmp_path, "real", _parquet)
    real_hash = write_module._key_hash
    monkeypatch.setattr(write_module, "_key_hash", lambda kind: f"({real_hash(kind)} % 4)")
    assert _ingest_both(tmp_path, "collide", _parquet) == expected
    assert _ingest_both(tmp_path, "collide_csv", _csv, line_shift=1) == expected


def test_a_conflict_across_a_parquet_and_a_csv_file_of_one_batch(tmp_path):
    a = write_parquet(tmp_path / "a.parquet", [_row("e0", 1, 10), _row("e0", 2, 10)])
    b = write_csv(tmp_path / "b.csv", [_row("e0", 1, 11), _row("e0", 2, 10), _row("e0", 3, 1)])
    db = tmp_path / "mixed.duckdb"
    result = ingest(db, "inference_sli", [str(a), str(b)])
    assert (result.inserted, result.duplicates, result.quarantined) == (2, 1, 2)
    assert [(e["file"], e["line"]) for e in result.errors] == [(str(a), 1), (str(b), 2)]
    rows, *_ = _snapshot(db, result)
    assert [(r[0], r[3].minute, r[5]) for r in rows] == [("e0", 2, 10), ("e0", 3, 1)]


def test_the_ascii_fast_lane_trims_exactly_like_trim():
    """Values that skip ``trim`` (ASCII, no space at either end) must come out the same."""
    import duckdb

    from metrics.ingest.convert import _text

    values = ["svc-1", " svc-1", "svc-1 ", "  ", "", "\tsvc", "svc\t", "\u00a0svc\u3000",
              "é ", " é", "x\u2000", "a b", "\u202f", None]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
    got = con.execute(f"SELECT v, {_text('v')}, NULLIF(trim(v), '') FROM t").fetchall()
    assert [(v, fast) for v, fast, _ in got] == [(v, slow) for v, _, slow in got]
    assert got[7][1] == "svc" and got[5][1] == "\tsvc"  # Unicode spaces go, a tab stays


@pytest.mark.parametrize("type_, tz, default", [
    ("int", None, None), ("float", None, None), ("bool", None, None), ("bool", None, False),
    ("date", None, None), ("ts", None, None), ("ts", "Europe/Paris", None)])
def test_typed_text_is_converted_as_given_then_trimmed_exactly_like_trimmed_first(type_, tz,
                                                                                    default):
    """A number, flag, date or timestamp is converted from its text as given and, only when
    that fails, from its trimmed text: values and reasons must equal trimming first."""
    import duckdb

    from metrics.events import Column, Kind
    from metrics.ingest.convert import _TEXT_CONVERTERS
    from metrics.ingest.validate import typed_query

    values = ["3", " 3", "3 ", "\u00a03\u3000", "\t3", "3\t", "+3", "3.0", " 3.0 ", "1.5",
              "1e3", " 1e3", "0x10", "1_000", "nan", " inf", "true", " Yes", "no\u2000", "t",
              "2026-07-01", " 2026-07-01", "2026-07-01T09:30:00Z", " 2026-07-01T09:30:00z ",
              "2026-07-01T09:30:00", "\u202f2026-07-01 09:30", "2026-03-29T02:30:00",
              "2026-10-25T02:30:00", "2026-07-01T09:30:00+02:00\u00a0", "", "   ", "\u3000",
              None]
    col = Column("x", type_, default is None, default=default)
    kind = Kind("k", "", (col,), ("x",))
    trimmed = "NULLIF(trim(t.x), '')"
    value, why = _TEXT_CONVERTERS[type_](trimmed, col, tz)
    missing = "'x is missing'" if default is None else "NULL"
    reason = f"CASE WHEN {trimmed} IS NULL THEN {missing} WHEN ({value}) IS NULL THEN {why} END"
    if default is not None:  # an optional flag: left out is false, but 't' is an error
        value = f"COALESCE({value}, {default})"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE t (n INTEGER, x VARCHAR)")  # x: the staged text
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
    got = con.execute(f"""SELECT t.x, typed.x, typed._conv[1].reason, {value}, {reason}
                          FROM ({typed_query(kind, {"x": "VARCHAR"}, tz,
                                             "(SELECT 0 AS _file, n AS _rec, x FROM t)")}) typed
                          JOIN t ON t.n = typed._rec ORDER BY t.n""").fetchall()
    assert [(v, x, why) for v, x, why, _, _ in got] == [(v, x, why) for v, _, _, x, why in got]
    assert sum(x is not None for _, x, *_ in got) >= 2  # some text of each type converts


def test_digits_alone_skip_the_whole_number_pattern_and_convert_the_same():
    """The glob short cut for plain digits must give what the pattern alone gives."""
    import duckdb

    from metrics.events import Column
    from metrics.ingest.convert import INT_TEXT, _int

    values = ["0", "7", "007", "123", "9223372036854775807", "9223372036854775808",
              "99999999999999999999", "", "\uff11\uff12", "\u0663", "1\u0663", "3.0", "-4",
              "+5", "1.5", "1e3", "0x10", "1_000", "1 ", " 1", "12a", "a12", None]
    value, _ = _int("t", Column("n", "int"), None)
    reference = (f"CASE WHEN regexp_full_match(t, '{INT_TEXT}') THEN CASE WHEN contains(t, '.') "
                 "THEN TRY_CAST(TRY_CAST(t AS DECIMAL(38, 0)) AS BIGINT) "
                 "ELSE TRY_CAST(t AS BIGINT) END END")
    con = duckdb.connect()
    con.execute("CREATE TABLE v (t VARCHAR)")
    con.executemany("INSERT INTO v VALUES (?)", [[v] for v in values])
    got = con.execute(f"SELECT t, {value}, {reference} FROM v").fetchall()
    assert [(t, a) for t, a, _ in got] == [(t, b) for t, _, b in got]
    assert [a for _, a, _ in got[:7]] == [0, 7, 7, 123, 2**63 - 1, None, None]


def test_a_csv_read_in_parallel_reports_the_right_lines(tmp_path):
    """A CSV big enough to be read by several threads, with bad rows far apart: each error
    names its own line and keeps its own raw text (numbering comes from file order)."""
    import duckdb

    path = tmp_path / "big.csv"
    bad = {1, 250_001, 700_003, 1_199_999}
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT 'e' || (i % 7) AS endpoint, 'search' AS team, 1 AS tier,
                   strftime(TIMESTAMP '2026-01-01' + INTERVAL (i // 7) MINUTE,
                            '%Y-%m-%dT%H:%M:%SZ') AS window_start, 60 AS window_seconds,
                   CASE WHEN i IN {tuple(bad)} THEN 'n/a-' || i ELSE (i % 1000)::VARCHAR END
                     AS requests, 0 AS errors
            FROM range(1, 1_200_001) r(i) ORDER BY i) TO '{path}' (HEADER)""")
    con.close()
    db = tmp_path / "big.duckdb"
    result = ingest(db, "inference_sli", [str(path)])
    assert (result.inserted, result.quarantined) == (1_200_000 - 4, 4)
    assert [e["line"] for e in result.errors] == [n + 1 for n in sorted(bad)]
    con = connect_read(db)
    try:
        raw = con.execute("SELECT line, raw FROM quarantine ORDER BY line").fetchall()
    finally:
        con.close()
    assert [(line, f'"requests":"n/a-{line - 1}"' in text) for line, text in raw] == [
        (n + 1, True) for n in sorted(bad)]


@pytest.mark.parametrize(("text", "fast"), [
    (b"a,b\n1,2\n3,4\n", True),
    (b"a,b\n1,2\n3,4", True),  # no newline at the end
    (b'a,b\n1,"2"\n', False),  # a quote may hide a newline
    (b"a,b\r\n1,2\r\n", False),
    (b"a,b\n\n1,2\n", False),  # a blank line is not a record
    (b"\na,b\n1,2\n", False),
    (b"a,b\n1,2\n\n", False),
])
def test_records_are_placed_by_counting_only_when_it_is_sure(tmp_path, text, fast) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(text)
    assert csv_reader._one_line_per_record(path, open) is fast


def test_a_blank_line_across_a_read_boundary_is_seen(tmp_path) -> None:
    # the scan reads 16 MiB at a time: one newline ends the first read, one starts the next
    line = b"x" * 99 + b"\n"
    body = line * ((1 << 24) // len(line))
    body += b"y" * ((1 << 24) - len(body) - 1) + b"\n"
    assert len(body) == 1 << 24 and body.endswith(b"\n")
    path = tmp_path / "f.csv"
    path.write_bytes(body + b"\nz\n")
    assert csv_reader._one_line_per_record(path, open) is False
    path.write_bytes(body + b"z\n")
    assert csv_reader._one_line_per_record(path, open) is True


def test_counting_and_parsing_place_records_alike(tmp_path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n" + b"".join(b"%d,x\n" % i for i in range(1, 500)))
    part = readers.Staged("f.csv", "stage_0", "csv", None, {}, [], path, 2)
    wanted = {1, 2, 250, 499}
    assert csv_reader.record_lines(part, wanted) == {1: 2, 2: 3, 250: 251, 499: 500}
    with open(path, newline="") as fh:  # the parser's own answer, for the same records
        parsed = {rec: line for rec, line in csv_reader._record_starts(fh, part) if rec in wanted}
    assert parsed == csv_reader.record_lines(part, wanted)
