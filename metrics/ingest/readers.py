"""Read one event file into a staging table or view, binding columns by name.

Every reader produces ``stage_N`` with ``_rec`` (1-based record number in file order),
one column per contract column that the file has (text or, for Parquet, the file's own
type) and nothing else (JSON adds ``_pre``, see ``json_reader``). Problems that make the
whole file unusable raise ``FileError`` with one sentence that names the file:

    stage(con, KINDS["team"], Path("teams.csv"), "teams.csv", 0, "csv")   # -> Staged
    stage(con, KINDS["team"], Path("photos"), "photos", 0, "csv")
    # FileError: photos: is a folder, not a file; name the files in it.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from metrics.events import Kind
from metrics.ingest import sql
from metrics.ingest.csv_reader import csv_problem, record_lines, stage_csv
from metrics.ingest.json_reader import stage_json
from metrics.ingest.staged import (
    READ_ERRORS,
    FileError,
    Staged,
    bind,
    no_rows,
    short,
    unreadable,
)

__all__ = ["FileError", "Staged", "detect_format", "file_error", "no_rows", "record_lines",
           "stage"]

FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
}
WHAT = {"csv": "CSV", "parquet": "Parquet", "jsonl": "JSON Lines",
        "json": "a JSON array of objects"}


def detect_format(name: str) -> str:
    lower = name.lower().removesuffix(".gz")
    for ext, fmt in FORMATS.items():
        if lower.endswith(ext):
            return fmt
    raise FileError(
        f"{name}: cannot tell the format from the file name; use .csv, .parquet, "
        ".jsonl, .ndjson or .json (or '-' for CSV on standard input)."
    )


def stage(
    con: duckdb.DuckDBPyConnection, kind: Kind, path: Path, shown: str, n: int, fmt: str
) -> Staged:
    """Stage ``path`` (shown to people as ``shown``) as temp table ``stage_{n}``."""
    if not path.exists():
        raise FileError(f"{shown}: no such file.")
    if path.is_dir():
        raise FileError(f"{shown}: is a folder, not a file; name the files in it.")
    if path.stat().st_size == 0:
        raise FileError(f"{shown}: the file is empty; it needs a header row and at least one row.")
    table = f"stage_{n}"
    rows, width, pre = None, 0, False  # a CSV is parsed once, by validation, which counts rows
    try:
        if fmt == "csv":
            present, extra, width = stage_csv(con, kind, path, shown, table)
        elif fmt == "parquet":
            present, extra = _stage_parquet(con, kind, path, shown, table)
        else:
            present, extra = stage_json(con, kind, path, shown, table, fmt)
            pre = True
        if fmt != "csv":
            rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except duckdb.InterruptException:  # the ingest's time is up: not this file's fault
        raise
    except (duckdb.Error, *READ_ERRORS) as exc:  # what a reader did not foresee
        raise file_error(shown, fmt, exc, width) from None
    if rows == 0:
        raise FileError(no_rows(shown))
    return Staged(shown, table, fmt, rows, present, extra, path, width, pre=pre)


def file_error(shown: str, fmt: str, exc: BaseException, width: int = 0) -> FileError:
    """The sentence for a file that failed while being read or typed, in its own format."""
    if isinstance(exc, READ_ERRORS):
        return unreadable(shown, exc)
    if isinstance(exc, duckdb.OutOfMemoryException):
        return FileError(f"{shown}: reading it needed more memory than the ingest may use; "
                         "raise MLKPI_INGEST_MEMORY (e.g. 4GB) or split the file.")
    problem = csv_problem(exc, width) if fmt == "csv" else short(exc)
    return FileError(f"{shown}: cannot be read as {WHAT[fmt]} ({problem}).")


# Parquet types no contract column can hold: a structure or a list where one value belongs
_NESTED = re.compile(r"STRUCT|MAP|UNION|\[\]|\[\d+\]$")


def _stage_parquet(con, kind: Kind, path: Path, shown: str, table: str
                   ) -> tuple[dict[str, str], list[str]]:
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        schema = [(row[0], row[1]) for row in described]  # (column_name, column_type)
    except duckdb.InterruptException:
        raise
    except duckdb.Error as exc:
        raise FileError(f"{shown}: cannot be read as Parquet ({short(exc)}).") from None
    positions, extra = bind(kind, [nm for nm, _ in schema], shown)
    types = {nm.strip(): typ for nm, typ in schema}
    nested = [f"{col} ({types[col]})" for col in positions if _NESTED.search(types[col])]
    if nested:
        raise FileError(f"{shown}: column{'s' if len(nested) > 1 else ''} "
                        f"{', '.join(nested)} hold{'' if len(nested) > 1 else 's'} "
                        "structures or lists, not single values; write each as a plain value.")
    originals = {nm.strip(): nm for nm, _ in schema}
    select = ", ".join(f"{sql.ident(originals[col])} AS {sql.ident(col)}" for col in positions)
    # a view, not a copy: Parquet is columnar and typed, so validation reads it directly
    # and the row count comes from its metadata (views take no bound parameters)
    con.execute(
        f"CREATE TEMP VIEW {table} AS SELECT file_row_number + 1 AS _rec, {select} "
        f"FROM read_parquet({sql.path(path)}, file_row_number=true)"
    )
    return {col: types[col] for col in positions}, extra
