"""Names, texts and paths reach SQL only through ``metrics.ingest.sql``: a folder named
``O'Brien "Ops" Ünïcødé`` is a folder like any other, on every path a file can take."""

from __future__ import annotations

import ast
from pathlib import Path

import duckdb
import pytest

from metrics.ingest import sql, typed
from metrics.ingest.run import ingest
from metrics.store.db import connect_read

HOSTILE_FOLDER = "O'Brien \"Ops\" Ünïcødé"
ROOT = Path(__file__).resolve().parents[1]


def _sli_csv(path: Path, rows: int) -> Path:
    """SLI rows with a wide column the contract ignores: bytes that cost no typed memory."""
    note = "n" * 120
    lines = ["endpoint,team,tier,window_start,window_seconds,requests,errors,latency_p95_ms,"
             "note"]
    lines += [f"e{n % 7},search,1,2026-08-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:"
              f"{n % 60:02d}Z,60,{100 + n % 50},{n % 3},12.5,{note}" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_csv_bigger_than_the_writers_memory_ingests_from_a_hostile_folder(
        tmp_path, monkeypatch) -> None:
    folder = tmp_path / HOSTILE_FOLDER
    folder.mkdir()
    csv = _sli_csv(folder / "sli 'x' \"y\".csv", 200_000)  # 34 MB of text
    # twice the CSV's size does not fit in 64 MB (DuckDB's Parquet writer itself needs
    # ~40 MB): the typed rows go to a Parquet file written beside the store, which lives
    # in the same hostile folder
    monkeypatch.setenv("MLKPI_INGEST_MEMORY", "64MB")
    took_big_path = []
    real = typed._fits_in_memory
    monkeypatch.setattr(typed, "_fits_in_memory",
                        lambda con, part: took_big_path.append(not real(con, part)) or False)
    db = folder / "store 'ü'.duckdb"
    result = ingest(db, "inference_sli", [str(csv)])
    assert took_big_path == [True]
    assert (result.file_errors, result.quarantined, result.inserted) == ([], 0, 200_000)
    con = connect_read(db)
    try:
        assert con.execute("SELECT count(*), sum(requests) FROM inference_sli").fetchone() == (
            200_000, sum(100 + n % 50 for n in range(200_000)))
    finally:
        con.close()


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "json"])
def test_every_format_reads_from_a_hostile_folder(tmp_path, fmt) -> None:
    folder = tmp_path / HOSTILE_FOLDER
    folder.mkdir()
    src = duckdb.connect()
    target = folder / f"team 'a'.{fmt}"
    how = {"parquet": "FORMAT parquet", "jsonl": "FORMAT json",
           "json": "FORMAT json, ARRAY true"}[fmt]
    src.execute(f"COPY (SELECT 'core' AS team, 'platform' AS area) TO {sql.path(target)} "
                f"({how})")
    result = ingest(folder / "s.duckdb", "team", [str(target)])
    assert (result.file_errors, result.inserted) == ([], 1)


def test_quoting_round_trips_through_duckdb() -> None:
    con = duckdb.connect()
    hostile = "it's a \"test\" -- ü; DROP TABLE x"
    assert con.execute(f"SELECT {sql.literal(hostile)} AS {sql.ident(hostile)}"
                       ).fetchone() == (hostile,)
    assert con.execute(f"SELECT {sql.ident(hostile)} FROM (SELECT 1 AS {sql.ident(hostile)})"
                       ).fetchone() == (1,)
    with pytest.raises(ValueError):
        sql.literal("a\x00b")


def test_no_other_ingest_module_quotes_sql_by_hand() -> None:
    """The doubling of a quote character is how SQL quoting is written; it may only
    appear in ``sql.py``."""
    offenders = []
    for module in (ROOT / "metrics" / "ingest").glob("*.py"):
        if module.name == "sql.py":
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "replace"
                    and [getattr(a, "value", None) for a in node.args[:2]]
                    in (["'", "''"], ['"', '""'])):
                offenders.append(f"{module.name}:{node.lineno}")
    assert offenders == []
