"""Staging JSON Lines (``.jsonl``/``.ndjson``) and JSON arrays (``.json``).

    present, extra = stage_json(con, kind, Path("deploys.jsonl"), "deploys.jsonl", "stage_0",
                                "jsonl")

Every record must be an object. A value is read as its text; a record where a contract
column holds an object or an array (``{"team": {"id": 1}}``), or that names a key twice
(``{"team": "a", "team": "b"}``: which one is meant?), is a row error, listed per record in
the staged table's ``_pre`` column. Invalid JSON is a file error naming the line and
column, found by Python's own parser (DuckDB's line numbers skip blank lines).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from metrics.events import Kind
from metrics.ingest import sql
from metrics.ingest.staged import (
    READ_ERRORS,
    FileError,
    bind,
    is_gzip,
    opener,
    short,
    unreadable,
)

LOCATE_BYTES = 256 * 2**20  # invalid JSON larger than this is not parsed again to place it


def stage_json(con, kind: Kind, path: Path, shown: str, table: str, fmt: str
               ) -> tuple[dict[str, str], list[str]]:
    """Temp table ``{table}`` (``_rec``, the contract's columns as text, ``_pre``)."""
    what = "JSON Lines" if fmt == "jsonl" else "a JSON array of objects"
    if fmt == "json":
        _check_array(path, shown)
    src = "read_ndjson_objects(?)" if fmt == "jsonl" else "read_json_objects(?, format='array')"
    try:
        con.execute(f"CREATE TEMP TABLE {table}_raw AS SELECT row_number() OVER () AS _rec, "
                    f"json FROM {src}", [str(path)])
        bad = con.execute(
            f"SELECT min(_rec) FROM {table}_raw WHERE json_type(json) <> 'OBJECT'"
        ).fetchone()[0]
        keys = [r[0] for r in con.execute(
            f"SELECT DISTINCT unnest(json_keys(json)) FROM {table}_raw "
            "WHERE json_type(json) = 'OBJECT'"
        ).fetchall()]
    except duckdb.InterruptException:  # the ingest's time is up: not this file's fault
        raise
    except (duckdb.Error, *READ_ERRORS) as exc:
        raise _invalid(path, shown, what, fmt, exc) from None
    if bad is not None:
        raise FileError(f"{shown}: record {bad} is not a JSON object; each record must be one.")
    if not keys and not con.execute(f"SELECT count(*) FROM {table}_raw").fetchone()[0]:
        raise FileError(f"{shown}: the file has no rows.")  # '[]', not 'column … missing'
    if fmt == "json" and _last_char(path, shown) != "]":  # DuckDB reads '[{…}, ' silently
        raise FileError(f"{shown}: cannot be read as {what} (the array is not closed with ']'; "
                        "the file may be cut short).")
    positions, extra = bind(kind, sorted(keys), shown)
    # an object or array is staged as its JSON text (so the quarantine keeps it verbatim);
    # its row is not stored, for the reason in _pre
    select = ", ".join(f"json ->> {sql.json_path(col)} AS {sql.ident(col)}" for col in positions)
    con.execute(f"CREATE TEMP TABLE {table} AS SELECT _rec, {select}, {_problems(positions)} "
                f"AS _pre FROM {table}_raw")
    con.execute(f"DROP TABLE {table}_raw")
    return {col: "VARCHAR" for col in positions}, extra


def _problems(columns) -> str:
    """SQL over ``json``: the list of {column, reason} of one record, NULL when none."""
    nested = [
        f"{{'column': {sql.literal(col)}, 'reason': CASE WHEN json_type(json, "
        f"{sql.json_path(col)}) IN ('OBJECT', 'ARRAY') THEN "
        f"{sql.literal(col + ' must be one value, not a JSON object or array')} END}}"
        for col in columns]
    # linear in the keys: a histogram of them, not a search for each one; a key outside
    # the contract is ignored, and so is its repeat
    contract = f"[{', '.join(sql.literal(col) for col in columns)}]::VARCHAR[]"
    repeated = ("list_transform(list_filter(map_entries(list_aggregate(json_keys(json), "
                f"'histogram')), lambda e: e.value > 1 AND list_contains({contract}, e.key)), "
                "lambda e: e.key)")
    twice = (f"{{'column': {repeated}[1], 'reason': CASE WHEN len({repeated}) > 0 THEN "
             f"'the record names ' || array_to_string({repeated}, ', ') || "
             "' more than once; keep one' END}")
    listed = f"list_filter([{', '.join([*nested, twice])}], lambda e: e.reason IS NOT NULL)"
    return f"CASE WHEN len({listed}) > 0 THEN {listed} END"


def _check_array(path: Path, shown: str) -> None:
    """A ``.json`` file must start with '[' (after a BOM and blanks)."""
    try:
        with opener(path)(path, "rb") as fh:
            start = fh.read(1 << 16)
    except READ_ERRORS as exc:
        raise unreadable(shown, exc) from None
    first = start.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    if first == b"[":
        return
    if first == b"{":
        raise FileError(f"{shown}: a .json file must hold one JSON array of objects "
                        "([{…}, {…}]); for one object per line, name the file .jsonl.")
    raise FileError(f"{shown}: cannot be read as a JSON array of objects (it does not start "
                    "with '['); a .json file must hold one JSON array of objects.")


def _invalid(path: Path, shown: str, what: str, fmt: str, exc: BaseException) -> FileError:
    """Where and why the file is not valid JSON, found by Python's parser when it can."""
    if isinstance(exc, READ_ERRORS):
        return unreadable(shown, exc)
    if "utf-8" in str(exc).lower() or "unicode" in str(exc).lower():
        return FileError(f"{shown}: the file is not UTF-8 text; save it as UTF-8.")
    try:
        where = _locate(path, fmt)
    except READ_ERRORS as read_exc:
        return unreadable(shown, read_exc)
    if where:
        return FileError(f"{shown}: cannot be read as {what} ({where}).")
    return FileError(f"{shown}: cannot be read as {what} ({short(exc)}).")


def _locate(path: Path, fmt: str) -> str | None:
    """'line 3, column 7: Expecting ',' delimiter', or None when the file is too big to
    parse again or Python finds nothing wrong."""
    if not is_gzip(path) and path.stat().st_size > LOCATE_BYTES:
        return None
    with opener(path)(path, "rt", encoding="utf-8-sig") as fh:
        if fmt == "json":
            try:
                json.loads(fh.read(LOCATE_BYTES))
            except json.JSONDecodeError as err:
                return f"line {err.lineno}, column {err.colno}: {err.msg}"
            return None
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                json.loads(line)
            except json.JSONDecodeError as err:
                return f"line {n}, column {err.colno}: {err.msg}"
    return None


def _last_char(path: Path, shown: str) -> str:
    """The last non-blank character of a file: ']' for a complete JSON array."""
    tail = b""
    try:
        if is_gzip(path):
            with opener(path)(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    tail = (tail + chunk)[-4096:]
        else:
            with open(path, "rb") as fh:
                fh.seek(max(0, path.stat().st_size - 4096))
                tail = fh.read()
    except READ_ERRORS as exc:
        raise unreadable(shown, exc) from None
    return tail.decode("utf-8", "replace").rstrip()[-1:]
