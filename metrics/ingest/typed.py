"""Typing a batch: each staged file's rows converted and checked (``validate.py``) into
``typed_<n>``, all of them as the view ``typed``, and the failing rows into ``bad``.

    failed = type_files(con, kind, staged, tz, tmp)   # [(part, FileError), …]

Parquet is read through a view; a CSV is parsed once, into a temp table when its typed
rows fit in the writer's memory and into a Parquet file in ``tmp`` when they do not.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb

from metrics.events import Kind
from metrics.ingest.readers import FileError, Staged, file_error, no_rows
from metrics.ingest.sql import path as sql_path
from metrics.ingest.sql import q
from metrics.ingest.validate import validated_query


def type_files(con, kind: Kind, staged: list[Staged], tz: str | None, tmp: Path
               ) -> list[tuple[Staged, FileError]]:
    """Build ``typed`` (every staged row, typed, with ``_ok`` and ``_errors``) and ``bad``
    (``_file, _rec, _errors`` of the rows that are not ``_ok``); returns the files that
    turned out unreadable or empty, with their errors.

    Parquet is typed and columnar, so ``typed`` reads it through a view: the batch is
    never copied, however big. Its failing rows are not looked for here (``part.checked``
    stays False): the writer counts the rows it stored, and only when some are missing
    does ``check`` read the file again for them. Text formats are parsed once, into a
    temp table. One statement per file: a file that turns out unreadable half-way (a
    ragged CSV row) leaves nothing of itself behind and becomes that file's error.
    """
    con.execute("CREATE TEMP TABLE bad (_file INTEGER, _rec BIGINT, "
                "_errors STRUCT(\"column\" VARCHAR, reason VARCHAR)[])")
    columns = _columns(kind)
    failed = []
    for i, part in enumerate(staged):
        with _file_error_of(part, failed):
            _typed(con, kind, part, i, tz, columns, tmp)
            if part.fmt != "parquet":
                _find_bad(con, part, i)
        if part.ok and part.rows == 0:
            failed.append((part, FileError(no_rows(part.file))))
            part.ok = False
    _union(con, kind, staged)
    return failed


def check(con, kind: Kind, staged: list[Staged]) -> list[tuple[Staged, FileError]]:
    """The failing rows of the files ``type_files`` left unchecked, into ``bad``; returns
    the files that turned out unreadable on the way (``typed`` then leaves them out)."""
    failed = []
    for i, part in enumerate(staged):
        if part.ok and not part.checked:
            with _file_error_of(part, failed):
                _find_bad(con, part, i)
    _union(con, kind, staged)
    return failed


@contextlib.contextmanager
def _file_error_of(part: Staged, failed: list) -> Iterator[None]:
    """A DuckDB error in the block is ``part``'s file error: added to ``failed``, and the
    file left out of the batch (``part.ok`` False)."""
    try:
        yield
    except duckdb.InterruptException:  # the ingest's time is up: not this file's fault
        raise
    except duckdb.Error as exc:
        failed.append((part, file_error(part.file, part.fmt, exc, part.width)))
        part.ok = False


def _find_bad(con, part: Staged, i: int) -> None:
    con.execute(f"INSERT INTO bad (_file, _rec, _errors) SELECT _file, _rec, _errors "
                f"FROM typed_{i} WHERE NOT _ok")
    part.checked = True


def _columns(kind: Kind) -> str:
    return f"_file, _rec, {', '.join(q(c) for c in kind.names)}, _ok, _errors"


def _union(con, kind: Kind, staged: list[Staged]) -> None:
    """The view ``typed``: the typed rows of every file still in the batch."""
    parts = [f"SELECT {_columns(kind)} FROM typed_{i}"
             for i, part in enumerate(staged) if part.ok]
    if parts:
        con.execute(f"CREATE OR REPLACE TEMP VIEW typed AS {' UNION ALL '.join(parts)}")


def _typed(con, kind: Kind, part: Staged, i: int, tz: str | None, columns: str,
           tmp: Path) -> None:
    """``typed_{i}``: a view over Parquet; for text, parsed once.

    A CSV is read unnumbered (in parallel) and kept in file order, so a row's position
    + 1 is the record number that ``row_number()`` would have given. It is kept in a temp
    table when it fits in the writer's memory, else in a Parquet file in ``tmp``: a temp
    table that does not fit spills to disk, which made a 263M-row CSV 17 % slower, while
    the Parquet file costs ~15 % at 30M rows, where the table fits.
    """
    numbered = part.fmt != "csv"
    rows = part.table if numbered else f"{part.table}_rows"
    rec = "" if numbered else "NULL::BIGINT AS _rec, "
    query = validated_query(kind, part.present, tz, f"(SELECT {i} AS _file, {rec}* FROM {rows})",
                            pre=part.pre)
    if part.fmt == "parquet":
        con.execute(f"CREATE TEMP VIEW typed_{i} AS {query}")
        return
    if numbered:
        part.rows = con.execute(f"CREATE TEMP TABLE typed_{i} AS {query}").fetchone()[0]
        return
    unnumbered = f"SELECT * EXCLUDE (_rec) FROM ({query})"
    if _fits_in_memory(con, part):
        part.rows = con.execute(f"CREATE TEMP TABLE typed_{i}_rows AS {unnumbered}"
                                ).fetchone()[0]
        renumbered = columns.replace("_rec", "rowid + 1 AS _rec", 1)
        con.execute(f"CREATE TEMP VIEW typed_{i} AS SELECT {renumbered} FROM typed_{i}_rows")
        return
    path = tmp / f"typed_{i}.parquet"
    # uncompressed: dictionaries and run lengths already make it ~10 bytes a row (2.6 GB for
    # 263M rows; lz4 saved over a quarter of that for ~5 % more time). Row groups of DuckDB's
    # default size: with 1M-row groups, writing the file took 1.5x as long
    part.rows = con.execute(f"COPY ({unnumbered}) TO {sql_path(path)} "
                            "(FORMAT parquet, COMPRESSION uncompressed)"
                            ).fetchone()[0]
    renumbered = columns.replace("_rec", "file_row_number + 1 AS _rec", 1)
    con.execute(f"CREATE TEMP VIEW typed_{i} AS SELECT {renumbered} "
                f"FROM read_parquet({sql_path(path)}, file_row_number = true)")


# A CSV's typed rows take about twice its size in memory (measured: 4.2 GB of peak for
# 2.1 GB of CSV); a gzip'd CSV is taken to be 10 times its size.
TYPED_BYTES_PER_CSV_BYTE = 2
GZIP_RATIO = 10
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def _fits_in_memory(con, part: Staged) -> bool:
    """Whether ``part``'s typed rows fit in the connection's memory_limit."""
    size = part.path.stat().st_size if part.path is not None else 0
    if part.path is not None and part.path.name.lower().endswith(".gz"):
        size *= GZIP_RATIO
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    match = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", str(limit))
    if match is None or match.group(2).upper() not in _UNITS:
        return False  # an unknown limit: the Parquet path works whatever the memory
    return size * TYPED_BYTES_PER_CSV_BYTE <= float(match.group(1)) * _UNITS[match.group(2).upper()]
