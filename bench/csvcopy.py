"""``python -m bench.csvcopy SRC.parquet DST.csv``: the SLI Parquet file as CSV, with
timestamps written as ``2026-08-14T09:30:00Z``.

Its own process, so that the benchmark process stays small: a child's peak RSS as wait4
reports it starts from its parent's RSS at fork.
"""

from __future__ import annotations

import sys

import duckdb


def copy(src: str, dst: str) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "COPY (SELECT * REPLACE (strftime(window_start, '%Y-%m-%dT%H:%M:%SZ') AS window_start) "
        "FROM read_parquet(?)) TO '" + dst.replace("'", "''") + "' (HEADER)", [src])
    con.close()


if __name__ == "__main__":
    copy(sys.argv[1], sys.argv[2])
