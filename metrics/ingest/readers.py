"""Read one event file into an all-text staging table, binding columns by name.

Every reader produces a temp table ``stage_N`` with ``_rec`` (1-based record
number in file order), one column per contract column that the file has (text
or, for Parquet, the file's own type) and nothing else. Problems that make the
whole file unusable raise ``FileError`` with one sentence.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from metrics.events import Kind
from metrics.ingest import sql

FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
}


class FileError(Exception):
    """A file that cannot be used at all; the message is one sentence."""


@dataclass
class Staged:
    file: str
    table: str
    fmt: str
    rows: int | None
    present: dict[str, str]  # contract column -> source SQL type ('VARCHAR' for text)
    extra: list[str] = field(default_factory=list)
    path: Path | None = None  # the file read (for stdin: its temporary copy)
    width: int = 0  # CSV: columns in the header, for parse-error messages
    ok: bool = True  # False once validation found the file unreadable

    @property
    def unit(self) -> str:
        return "line" if self.fmt in ("csv", "jsonl") else "record"


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
    if path.stat().st_size == 0:
        raise FileError(f"{shown}: the file is empty; it needs a header row and at least one row.")
    table = f"stage_{n}"
    reader = {"csv": _stage_csv, "parquet": _stage_parquet}.get(fmt, _stage_json)
    present, extra = reader(con, kind, path, shown, table, fmt)
    rows, width = None, 0  # a CSV view is parsed once, by validation, which counts its rows
    if fmt == "csv":
        width = len(present) + len(extra)
    else:
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if rows == 0:
            raise FileError(no_rows(shown))
    return Staged(shown, table, fmt, rows, present, extra, path, width)


def no_rows(shown: str) -> str:
    return f"{shown}: the file has no rows."


def csv_file_error(shown: str, exc: BaseException, width: int) -> FileError:
    return FileError(f"{shown}: cannot be read as CSV ({_csv_problem(exc, width)}).")


def _bind(kind: Kind, names: list[str], shown: str) -> tuple[dict[str, int], list[str]]:
    """Map contract columns to their position in the file's own header, by name."""
    clean = [nm.strip().lstrip("\ufeff") for nm in names]
    dupes = sorted({nm for nm in clean if clean.count(nm) > 1 and nm})
    if dupes:
        raise FileError(f"{shown}: the header names {', '.join(dupes)} more than once.")
    missing = [c for c in kind.required if c not in clean]
    if missing:
        have = ", ".join(nm for nm in clean if nm) or "none"
        raise FileError(
            f"{shown}: required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} missing for kind {kind.name} (the file has: {have})."
        )
    positions = {nm: i for i, nm in enumerate(clean) if kind.has_column(nm)}
    extra = [nm for nm in clean if nm and not kind.has_column(nm)]
    return positions, extra


def _csv_header(path: Path, shown: str, delim: str) -> list[str]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
            head = fh.read(1 << 20)
    except (UnicodeDecodeError, OSError):
        raise FileError(f"{shown}: the file is not UTF-8 text; save it as UTF-8 CSV.") from None
    try:
        return next(csv.reader(io.StringIO(head), delimiter=delim))
    except (StopIteration, csv.Error):
        raise FileError(f"{shown}: the file has no header row.") from None


def _stage_csv(con, kind, path, shown, table, fmt):
    """Columns are bound by the names of the file's own header row, never by position
    in the contract: ``model,team,…`` and ``team,model,…`` load the same."""
    delim = "\t" if path.name.lower().removesuffix(".gz").endswith(".tsv") else ","
    header = _csv_header(path, shown, delim)
    positions, extra = _bind(kind, header, shown)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    src = (
        f"read_csv(?, header=true, columns={columns}, delim=?, quote='\"', escape='\"', "
        "auto_detect=false, strict_mode=true, encoding='utf-8')"
    )
    select = ", ".join(f"c{i} AS {sql.ident(col)}" for col, i in positions.items())
    # DuckDB skips blank lines only when the header has several columns; skip them always
    blank = "WHERE c0 IS NOT NULL" if len(header) == 1 else ""
    # a view, not a copy: validation parses the file once; a parse error there is a file
    # error of this file (views take no bound parameters, hence the quoted literals)
    src = src.replace("read_csv(?", "read_csv(" + sql.path(path), 1)
    src = src.replace("delim=?", "delim=" + sql.literal(delim), 1)
    # numbering rows (row_number() OVER ()) makes DuckDB read the file on one thread, so
    # validation reads {table}_rows, unnumbered, in parallel and in file order into a
    # table whose rowid + 1 is the record number; {table} numbers rows for the quarantine
    con.execute(f"CREATE TEMP VIEW {table}_rows AS SELECT {select} FROM {src} {blank}")
    con.execute(
        f"CREATE TEMP VIEW {table} AS SELECT row_number() OVER () AS _rec, * FROM {table}_rows"
    )
    return {col: "VARCHAR" for col in positions}, extra


def _csv_problem(exc: BaseException, width: int) -> str:
    """'CSV Error on Line: 3 … Expected Number of Columns: 3 Found: 2' → a short sentence."""
    text = str(exc)
    line = re.search(r"Line: (\d+)", text)
    found = re.search(r"Found: (\d+)", text)
    if line and found:
        return (f"line {line.group(1)} has {found.group(1)} fields but the header has {width}; "
                "quote fields that contain commas")
    if line and "quote" in text.lower():
        return f"line {line.group(1)} has an unterminated quoted field"
    if line:
        return f"line {line.group(1)}: {_short(exc)}"
    return _short(exc)


def record_lines(part: Staged, records: set[int]) -> dict[int, int]:
    """The physical line each wanted record starts on, for CSV and JSON Lines.

    Blank lines and newlines inside quoted fields (of any column, ignored ones too)
    push later records down: in ``h1,h2 / a,"x⏎y" / ⏎ / b,c`` record 2 is on line 5.
    """
    if not records or part.path is None:
        return {}
    opener = gzip.open if part.path.name.lower().endswith(".gz") else open
    if part.fmt == "csv" and _one_line_per_record(part.path, opener):
        return {rec: rec + 1 for rec in records}  # the header is line 1
    found: dict[int, int] = {}
    last = max(records)
    try:
        with opener(part.path, "rt", encoding="utf-8-sig", newline="") as fh:
            for rec, line in _record_starts(fh, part):
                if rec in records:
                    found[rec] = line
                if rec >= last:
                    break
    except (OSError, UnicodeDecodeError, csv.Error):
        pass  # the caller falls back to the record number
    return found


def _one_line_per_record(path: Path, opener) -> bool:
    """True when record n of the CSV is on line n + 1 for sure: no quote character (so
    no quoted newline), no carriage return and no blank line anywhere. One pass over
    the bytes (~1 s per GB) instead of parsing the file again in Python (~100 s for
    30M rows) to place a few quarantined rows."""
    ended_line = True  # a blank first line counts as a blank line
    try:
        with opener(path, "rb") as fh:
            while chunk := fh.read(1 << 24):
                if (b'"' in chunk or b"\r" in chunk or b"\n\n" in chunk
                        or (ended_line and chunk.startswith(b"\n"))):
                    return False
                ended_line = chunk.endswith(b"\n")
    except OSError:
        return False
    return True


def _record_starts(fh, part: Staged):
    """Yield (record number, first line) for each non-blank record of an open file."""
    rec = 0
    if part.fmt == "jsonl":
        for n, line in enumerate(fh, 1):
            if line.strip():
                rec += 1
                yield rec, n
        return
    delim = "\t" if part.path.name.lower().removesuffix(".gz").endswith(".tsv") else ","
    csv.field_size_limit(1 << 30)
    reader = csv.reader(fh, delimiter=delim)
    width = len(next(reader, []))  # the header
    start = reader.line_num + 1
    for row in reader:
        if row and (width > 1 or any(row)):  # as staged: blank lines are not records
            rec += 1
            yield rec, start
        start = reader.line_num + 1


def _stage_parquet(con, kind, path, shown, table, fmt):
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        schema = [(row[0], row[1]) for row in described]  # (column_name, column_type)
    except duckdb.Error as exc:
        raise FileError(f"{shown}: cannot be read as Parquet ({_short(exc)}).") from None
    positions, extra = _bind(kind, [nm for nm, _ in schema], shown)
    types = {nm.strip(): typ for nm, typ in schema}
    originals = {nm.strip(): nm for nm, _ in schema}
    select = ", ".join(f"{sql.ident(originals[col])} AS {sql.ident(col)}" for col in positions)
    # a view, not a copy: Parquet is columnar and typed, so validation reads it directly
    # and the row count comes from its metadata (views take no bound parameters)
    source = sql.path(path)
    try:
        con.execute(
            f"CREATE TEMP VIEW {table} AS SELECT file_row_number + 1 AS _rec, {select} "
            f"FROM read_parquet({source}, file_row_number=true)"
        )
    except duckdb.Error as exc:
        raise FileError(f"{shown}: cannot be read as Parquet ({_short(exc)}).") from None
    return {col: types[col] for col in positions}, extra


def _stage_json(con, kind, path, shown, table, fmt):
    if fmt == "jsonl":
        src, what = "read_ndjson_objects(?)", "JSON Lines"
    else:
        src, what = "read_json_objects(?, format='array')", "a JSON array of objects"
    try:
        con.execute(
            f"CREATE TEMP TABLE {table}_raw AS SELECT row_number() OVER () AS _rec, json "
            f"FROM {src}",
            [str(path)],
        )
        bad = con.execute(
            f"SELECT min(_rec) FROM {table}_raw WHERE json_type(json) <> 'OBJECT'"
        ).fetchone()[0]
        keys = [r[0] for r in con.execute(
            f"SELECT DISTINCT unnest(json_keys(json)) FROM {table}_raw "
            "WHERE json_type(json) = 'OBJECT'"
        ).fetchall()]
    except duckdb.Error as exc:
        raise FileError(f"{shown}: cannot be read as {what} ({_short(exc)}).") from None
    if bad is not None:
        raise FileError(f"{shown}: record {bad} is not a JSON object; each record must be one.")
    if not keys and not con.execute(f"SELECT count(*) FROM {table}_raw").fetchone()[0]:
        raise FileError(f"{shown}: the file has no rows.")  # '[]', not 'column … missing'
    if fmt == "json" and _last_char(path) != "]":  # DuckDB reads '[{…}, ' without a word
        raise FileError(f"{shown}: cannot be read as {what} (the array is not closed with ']'; "
                        "the file may be cut short).")
    positions, extra = _bind(kind, sorted(keys), shown)
    select = ", ".join(
        f"json ->> {sql.json_path(col)} AS {sql.ident(col)}" for col in positions
    )
    con.execute(f"CREATE TEMP TABLE {table} AS SELECT _rec, {select} FROM {table}_raw")
    con.execute(f"DROP TABLE {table}_raw")
    return {col: "VARCHAR" for col in positions}, extra


def _last_char(path: Path) -> str:
    """The last non-blank character of a file: ']' for a complete JSON array."""
    tail = b""
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                tail = (tail + chunk)[-4096:]
    else:
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - 4096))
            tail = fh.read()
    return tail.decode("utf-8", "replace").rstrip()[-1:]


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split("\nLINE ")[0].split())  # drop DuckDB's SQL excerpt
    text = text.split("Error: ", 1)[-1]
    return text[:200].rstrip(". ")
