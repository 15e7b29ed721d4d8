"""File errors (exit 2, nothing of that file stored) and how files are read: header
binding by name, extra columns, BOM, quoting, line numbers, CRLF, standard input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import write_csv
from fixtures.rows import count, expected_rows, new_db, stored, text_rows

from metrics.ingest.run import ingest

ROOT = Path(__file__).resolve().parents[1]
TEAM_HEADER = "team,area,lead\n"


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# name -> (file name, content, words the one-sentence message must contain)
FILE_ERRORS = {
    "unknown extension": ("team.txt", b"team\nml\n", ["cannot tell the format", ".csv"]),
    "missing column": ("team.csv", b"area,lead\nx,y\n", ["required column team missing"]),
    "empty file": ("team.csv", b"", ["empty"]),
    "header only": ("team.csv", TEAM_HEADER.encode(), ["no rows"]),
    "not utf-8": ("team.csv", TEAM_HEADER.encode() + "ml,plätform,x\n".encode("latin-1"),
                  ["not UTF-8"]),
    "not valid json lines": ("team.jsonl", b'{"team": "ml"}\n{"team": \n', ["JSON Lines"]),
    "not valid json": ("team.json", b'[{"team": "ml"}, ', ["JSON"]),
    "json object not array": ("team.json", b'{"team": "ml"}', ["JSON array"]),
    "json array of non-objects": ("team.json", b'[{"team": "ml"}, 2, "x"]',
                                  ["record 2 is not a JSON object"]),
    "json lines of non-objects": ("team.jsonl", b'{"team": "ml"}\n[1, 2]\n',
                                  ["record 2 is not a JSON object"]),
    "ragged row, too many": ("team.csv", (TEAM_HEADER + "ml,a,b\nops,a,b,c\n").encode(),
                             ["line 3 has 4 fields but the header has 3"]),
    "ragged row, too few": ("team.csv", (TEAM_HEADER + "ml,a\n").encode(),
                            ["line 2 has 2 fields but the header has 3"]),
    "unterminated quote": ("team.csv", (TEAM_HEADER + 'ml,"platform,x\nops,a,b\n').encode(),
                           ["unterminated quoted field"]),
    "empty json array": ("team.json", b"[ ]\n", ["no rows"]),
    "blank json lines": ("team.jsonl", b"\n\n", ["no rows"]),
    "cut-short json array": ("team.json", b'[{"team": "ml"},\n', ["not closed"]),
    "corrupt parquet": ("team.parquet", b"PAR1 this is not parquet PAR1", ["Parquet"]),
    "text named parquet": ("team.parquet", TEAM_HEADER.encode() + b"ml,a,b\n", ["Parquet"]),
    "duplicate header": ("team.csv", b"team,area,team\nml,a,b\n",
                         ["the header names team more than once"]),
}


@pytest.mark.parametrize("case", list(FILE_ERRORS))
def test_file_error_stores_nothing_and_exits_2(tmp_path, case):
    name, content, words = FILE_ERRORS[case]
    path = _bytes(tmp_path / name, content)
    db = new_db(tmp_path)
    result = ingest(db, "team", [str(path)])
    assert result.exit_code == 2
    assert (result.inserted, result.quarantined, result.errors) == (0, 0, [])
    (message,) = result.file_errors
    assert message.startswith(f"{path}: ")
    for word in words:
        assert word in message
    assert "\n" not in message and "Traceback" not in message and "LINE 1" not in message
    assert message.endswith(".")
    assert count(db, "team") == 0 and count(db, "quarantine") == 0


def test_nonexistent_file(tmp_path):
    db = new_db(tmp_path)
    result = ingest(db, "team", [str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert result.file_errors == [f"{tmp_path / 'nope.csv'}: no such file."]


def test_missing_column_message_names_every_missing_column(tmp_path):
    path = write_csv(tmp_path / "d.csv", [{"deployment_id": "d1", "team": "t", "model": "m"}])
    result = ingest(new_db(tmp_path), "deployment", [str(path)])
    (message,) = result.file_errors
    assert "required columns tier, spec_approved_at, deployed_at, automated missing" in message
    assert "(the file has: deployment_id, team, model)" in message


def test_missing_column_in_parquet_and_json(tmp_path):
    pq.write_table(pa.table({"area": ["x"]}), tmp_path / "t.parquet")
    (tmp_path / "t.jsonl").write_text('{"area": "x", "lead": "y"}\n')
    result = ingest(new_db(tmp_path), "team", [str(tmp_path / "t.parquet"),
                                               str(tmp_path / "t.jsonl")])
    assert result.exit_code == 2
    assert ["required column team missing" in m for m in result.file_errors] == [True, True]


def test_one_bad_file_among_good_ones(tmp_path):
    """A file error stores nothing of THAT file: the other, good files of the same
    command are stored, and the exit status is still 2 so the scheduler notices."""
    good = write_csv(tmp_path / "good.csv", text_rows("team"))
    bad = _bytes(tmp_path / "bad.csv", b"team,area,lead\nx,y,z,extra\n")
    db = new_db(tmp_path)
    result = ingest(db, "team", [str(bad), str(good)])
    assert result.exit_code == 2
    assert result.inserted == 2
    assert len(result.file_errors) == 1 and result.file_errors[0].startswith(str(bad))
    assert stored(db, "team") == expected_rows("team")


def test_several_good_files_are_one_batch(tmp_path):
    rows = text_rows("incident")
    a = write_csv(tmp_path / "a.csv", rows[:1])
    b = tmp_path / "b.jsonl"
    b.write_text(json.dumps(rows[1]) + "\n")
    db = new_db(tmp_path)
    result = ingest(db, "incident", [str(a), str(b)])
    assert (result.exit_code, result.inserted) == (0, 2)
    assert stored(db, "incident") == expected_rows("incident")


def test_reordered_header_binds_by_name(tmp_path):
    """read_csv(columns=…) binds by position; our reader must bind by header name."""
    rows = text_rows("inference_sli")
    reordered = [dict(reversed(list(r.items()))) for r in rows]
    assert list(reordered[0])[0] == "latency_p99_ms"
    db = new_db(tmp_path)
    result = ingest(db, "inference_sli", [str(write_csv(tmp_path / "r.csv", reordered))])
    assert result.exit_code == 0
    assert stored(db, "inference_sli") == expected_rows("inference_sli")


def test_swapped_columns_of_the_same_type_are_not_swapped(tmp_path):
    # requests and errors swapped in the header: with binding by position, errors
    # would become 1000 and requests 3 (and the row would break errors <= requests)
    path = _bytes(tmp_path / "s.csv", (
        b"endpoint,team,tier,window_start,window_seconds,errors,requests\n"
        b"ranker-v2,search,1,2026-09-01T00:00:00Z,60,3,1000\n"))
    db = new_db(tmp_path)
    assert ingest(db, "inference_sli", [str(path)]).exit_code == 0
    assert stored(db, "inference_sli")[0][5:7] == (1000, 3)


@pytest.mark.parametrize("header", ["endpiont", "Endpoint", "end_point"])
def test_misspelled_header_is_a_missing_column(tmp_path, header):
    rows = [{(header if k == "endpoint" else k): v for k, v in r.items()}
            for r in text_rows("inference_sli")]
    db = new_db(tmp_path)
    result = ingest(db, "inference_sli", [str(write_csv(tmp_path / "m.csv", rows))])
    assert result.exit_code == 2
    assert "required column endpoint missing" in result.file_errors[0]
    assert header in result.file_errors[0]  # "(the file has: endpiont, …)"
    assert count(db, "inference_sli") == 0


def test_header_names_are_trimmed(tmp_path):
    path = _bytes(tmp_path / "t.csv", b" team , area ,lead\nml,applied,Ana\n")
    db = new_db(tmp_path)
    assert ingest(db, "team", [str(path)]).exit_code == 0
    assert stored(db, "team") == [("ml", "applied", "Ana")]


def test_extra_columns_are_ignored_and_named(tmp_path):
    rows = [{**r, "notes": "x", "owner_email": "a@b"} for r in text_rows("team")]
    db = new_db(tmp_path)
    path = write_csv(tmp_path / "t.csv", rows)
    result = ingest(db, "team", [str(path)])
    assert result.exit_code == 0
    assert result.extra_columns == {str(path): ["notes", "owner_email"]}
    assert result.to_json()["extra_columns"] == {str(path): ["notes", "owner_email"]}
    assert stored(db, "team") == expected_rows("team")


def test_bom(tmp_path):
    path = _bytes(tmp_path / "t.csv", "\ufeffteam,area,lead\nml,applied,Ana\n".encode())
    db = new_db(tmp_path)
    result = ingest(db, "team", [str(path)])
    assert (result.exit_code, result.extra_columns) == (0, {})
    assert stored(db, "team") == [("ml", "applied", "Ana")]


def test_crlf_line_endings(tmp_path):
    rows = text_rows("deployment")
    text = write_csv(tmp_path / "lf.csv", rows).read_text()
    path = _bytes(tmp_path / "crlf.csv", text.replace("\r\n", "\n").replace("\n", "\r\n").encode())
    assert b"\r\n" in path.read_bytes()
    db = new_db(tmp_path)
    assert ingest(db, "deployment", [str(path)]).exit_code == 0
    # the last column (rollback) would read "YES\r" if CR were kept
    assert stored(db, "deployment") == expected_rows("deployment")


def test_crlf_line_numbers(tmp_path):
    path = _bytes(tmp_path / "t.csv", b"team,area,lead\r\nml,a,b\r\n,a,b\r\n")
    result = ingest(new_db(tmp_path), "team", [str(path)])
    assert [(e["line"], e["reason"]) for e in result.errors] == [(3, "team is missing")]


def test_quoted_commas_quotes_and_newlines(tmp_path):
    path = _bytes(tmp_path / "t.csv", (
        b'team,area,lead\n'
        b'"search, ranking","applied\nand research","Ana ""the lead"" Ruiz"\n'
        b'ops,,\n'))
    db = new_db(tmp_path)
    assert ingest(db, "team", [str(path)]).exit_code == 0
    assert stored(db, "team") == [
        ("ops", None, None),
        ("search, ranking", "applied\nand research", 'Ana "the lead" Ruiz')]


def test_line_numbers_count_embedded_newlines_blank_lines_and_ignored_columns(tmp_path):
    """Line numbers are physical lines of the file, the ones an editor shows."""
    path = _bytes(tmp_path / "t.csv", (
        b'team,notes,area,lead\n'           # 1
        b'ml,"two\nlines",a,b\n'            # 2-3   (newline in an ignored column)
        b',x,a,b\n'                         # 4     bad
        b'ops,x,"three\nline\narea",b\n'    # 5-7
        b'\n'                               # 8     blank
        b',x,a,b\n'                         # 9     bad
        b'ok,"a\r\nb",a,b\n'                # 10-11 (CRLF inside quotes)
        b',x,a,b\n'))              # 12    bad
    result = ingest(new_db(tmp_path), "team", [str(path)])
    assert result.exit_code == 1
    assert [(e["line"], e["column"]) for e in result.errors] == [
        (4, "team"), (9, "team"), (12, "team")]
    assert result.inserted == 3


def test_line_numbers_in_json_lines_count_blank_lines(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"team": "a"}\n\n   \n{"team": ""}\n{"team": "b"}\n{"lead": "x"}\n')
    result = ingest(new_db(tmp_path), "team", [str(path)])
    assert [(e["line"], e["reason"]) for e in result.errors] == [
        (4, "team is missing"), (6, "team is missing")]


def test_record_numbers_in_json_arrays_and_parquet(tmp_path):
    (tmp_path / "t.json").write_text('[\n{"team": "a"},\n{"team": null},\n{"team": "b"}\n]')
    pq.write_table(pa.table({"team": ["a", "b", None, "c"]}), tmp_path / "t.parquet")
    result = ingest(new_db(tmp_path), "team", [str(tmp_path / "t.json"),
                                               str(tmp_path / "t.parquet")])
    assert [(Path(e["file"]).name, e["line"]) for e in result.errors] == [
        ("t.json", 2), ("t.parquet", 3)]


def test_blank_lines_are_not_rows(tmp_path):
    path = _bytes(tmp_path / "t.csv", b"team\nml\n\nops\n\n\n")
    db = new_db(tmp_path)
    result = ingest(db, "team", [str(path)])
    assert (result.exit_code, result.inserted, result.quarantined) == (0, 2, 0)


def test_tab_separated(tmp_path):
    path = _bytes(tmp_path / "t.tsv", b"team\tarea\tlead\nml\tapplied, research\tAna\n")
    db = new_db(tmp_path)
    assert ingest(db, "team", [str(path)]).exit_code == 0
    assert stored(db, "team") == [("ml", "applied, research", "Ana")]


def _cli(args: list[str], stdin: bytes | None = None, cwd: Path | None = None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MLKPI_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "metrics.cli", *args], input=stdin,
                          capture_output=True, cwd=cwd, env=env, timeout=60)


def test_stdin_dash_reads_csv(tmp_path):
    csv_bytes = write_csv(tmp_path / "d.csv", text_rows("deployment")).read_bytes()
    db = tmp_path / "s.duckdb"
    run = _cli(["--db", str(db), "ingest", "deployment", "-", "--format", "json"], csv_bytes)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert (out["files"], out["inserted"]) == (["-"], 2)
    assert stored(db, "deployment") == expected_rows("deployment")


def test_stdin_errors_are_reported_against_dash(tmp_path):
    data = b"team,area,lead\nml,a,b\n,a,b\n"
    db = tmp_path / "s.duckdb"
    run = _cli(["--db", str(db), "ingest", "team", "-", "--format", "json"], data)
    assert run.returncode == 1
    assert json.loads(run.stdout)["errors"] == [
        {"file": "-", "line": 3, "column": "team", "reason": "team is missing"}]
    empty = _cli(["--db", str(db), "ingest", "team", "-"], b"")
    assert empty.returncode == 2
    assert "empty" in empty.stderr.decode() and b"Traceback" not in empty.stderr
    assert stored(db, "team") == [("ml", "a", "b")]
