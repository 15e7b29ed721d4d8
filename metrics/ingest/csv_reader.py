"""Staging a CSV file: its header bound by name, its rows read by DuckDB through a view.

    present, extra, width = stage_csv(con, kind, Path("deploys.csv"), "deploys.csv", "stage_0")

Columns are bound by the names of the file's own header row, never by position in the
contract: ``model,team,…`` and ``team,model,…`` load the same. Line ends may be LF, CRLF
or CR alone; a line longer than ``limits.MAX_LINE_BYTES`` is a file error naming it.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from metrics.events import Kind
from metrics.ingest import limits, sql
from metrics.ingest.staged import (
    READ_ERRORS,
    FileError,
    Staged,
    bind,
    opener,
    short,
    unreadable,
)

HEADER_CHARS = 1 << 20  # the most a header row may hold


def delimiter(path: Path) -> str:
    return "\t" if path.name.lower().removesuffix(".gz").endswith(".tsv") else ","


def stage_csv(con, kind: Kind, path: Path, shown: str, table: str
              ) -> tuple[dict[str, str], list[str], int]:
    """Views ``{table}_rows`` (the contract's columns, unnumbered: DuckDB reads it in
    parallel) and ``{table}`` (numbered, for the quarantine); returns the present columns
    (all text), the extra column names and the header's width."""
    delim = delimiter(path)
    header = _csv_header(path, shown, delim)
    positions, extra = bind(kind, header, shown)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    # a view, not a copy: validation parses the file once; a parse error there is a file
    # error of this file (views take no bound parameters, hence the quoted literals)
    src = (
        f"read_csv({sql.path(path)}, header=true, columns={columns}, "
        f"delim={sql.literal(delim)}, quote='\"', escape='\"', auto_detect=false, "
        f"strict_mode=true, encoding='utf-8', max_line_size={limits.MAX_LINE_BYTES})"
    )
    select = ", ".join(f"c{i} AS {sql.ident(col)}" for col, i in positions.items())
    # DuckDB skips blank lines only when the header has several columns; skip them always
    blank = "WHERE c0 IS NOT NULL" if len(header) == 1 else ""
    # numbering rows (row_number() OVER ()) makes DuckDB read the file on one thread, so
    # validation reads {table}_rows, unnumbered, in parallel and in file order into a
    # table whose rowid + 1 is the record number; {table} numbers rows for the quarantine
    con.execute(f"CREATE TEMP VIEW {table}_rows AS SELECT {select} FROM {src} {blank}")
    con.execute(
        f"CREATE TEMP VIEW {table} AS SELECT row_number() OVER () AS _rec, * FROM {table}_rows"
    )
    return {col: "VARCHAR" for col in positions}, extra, len(header)


def _csv_header(path: Path, shown: str, delim: str) -> list[str]:
    """The first record's fields. CR alone ends a line too (``newline=""``)."""
    try:
        with opener(path)(path, "rt", encoding="utf-8-sig", newline="") as fh:
            head = fh.read(HEADER_CHARS + 1)
    except READ_ERRORS as exc:
        raise unreadable(shown, exc) from None
    buffer = io.StringIO(head, newline="")
    csv.field_size_limit(max(csv.field_size_limit(), HEADER_CHARS + 2))  # one name may be long
    try:
        header = next(csv.reader(buffer, delimiter=delim))
    except (StopIteration, csv.Error):
        raise FileError(f"{shown}: the file has no header row.") from None
    if buffer.tell() > HEADER_CHARS:  # read up to the limit and then some: it ran past it
        raise FileError(f"{shown}: the header row is longer than {HEADER_CHARS:,} characters; "
                        "keep the event's columns and drop the rest.")
    return header


def csv_problem(exc: BaseException, width: int) -> str:
    """'CSV Error on Line: 3 … Expected Number of Columns: 3 Found: 2' → a short sentence."""
    text = str(exc)
    line = re.search(r"Line: (\d+)", text)
    found = re.search(r"Found: (\d+)", text)
    at = f"line {line.group(1)}" if line else "a line"
    if "Maximum line size" in text:
        return f"{at} is longer than {limits.MAX_LINE_BYTES:,} bytes, the most one line may hold"
    if "gzip" in text.lower() and "end" in text.lower():
        return "the gzip file is not complete; it may be cut short"
    if "invalid unicode" in text.lower():
        return f"{at} is not UTF-8 text; save the file as UTF-8"
    if line and found:
        return (f"{at} has {found.group(1)} fields but the header has {width}; "
                "quote fields that contain commas")
    if line and "unterminated quote" in text.lower():
        return f"{at} has an unterminated quoted field"
    if line:  # 'CSV Error on Line: 2⏎Original Line: …⏎⏎<what is wrong>⏎⏎Possible fixes…'
        paragraphs = text.split("\n\n")
        what = " ".join(paragraphs[1].split())[:200] if len(paragraphs) > 1 else short(exc)
        return f"{at}: {what.rstrip('. ')}"
    return short(exc)


def record_lines(part: Staged, records: set[int]) -> dict[int, int]:
    """The physical line each wanted record starts on, for CSV and JSON Lines.

    Blank lines and newlines inside quoted fields (of any column, ignored ones too)
    push later records down: in ``h1,h2 / a,"x⏎y" / ⏎ / b,c`` record 2 is on line 5.
    """
    if not records or part.path is None:
        return {}
    if part.fmt == "csv" and _one_line_per_record(part.path, opener(part.path)):
        return {rec: rec + 1 for rec in records}  # the header is line 1
    found: dict[int, int] = {}
    last = max(records)
    try:
        with opener(part.path)(part.path, "rt", encoding="utf-8-sig", newline="") as fh:
            for rec, line in _record_starts(fh, part):
                if rec in records:
                    found[rec] = line
                if rec >= last:
                    break
    except (*READ_ERRORS, csv.Error):
        pass  # the caller falls back to the record number
    return found


def _one_line_per_record(path: Path, open_file) -> bool:
    """True when record n of the CSV is on line n + 1 for sure: no quote character (so
    no quoted newline), no carriage return and no blank line anywhere. One pass over
    the bytes (~1 s per GB) instead of parsing the file again in Python (~100 s for
    30M rows) to place a few quarantined rows."""
    ended_line = True  # a blank first line counts as a blank line
    try:
        with open_file(path, "rb") as fh:
            while chunk := fh.read(1 << 24):
                if (b'"' in chunk or b"\r" in chunk or b"\n\n" in chunk
                        or (ended_line and chunk.startswith(b"\n"))):
                    return False
                ended_line = chunk.endswith(b"\n")
    except READ_ERRORS:
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
    delim = delimiter(part.path)
    csv.field_size_limit(1 << 30)
    reader = csv.reader(fh, delimiter=delim)
    width = len(next(reader, []))  # the header
    start = reader.line_num + 1
    for row in reader:
        if row and (width > 1 or any(row)):  # as staged: blank lines are not records
            rec += 1
            yield rec, start
        start = reader.line_num + 1
