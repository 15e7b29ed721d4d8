"""Read access for the engines: an ibis backend over the hardened read snapshot."""

from __future__ import annotations

from pathlib import Path

import duckdb
import ibis
from ibis.backends.duckdb import Backend

from metrics.store import connect_read


def open_backend(db: Path) -> Backend:
    """An ibis DuckDB backend on the read snapshot: read-only, no external access,
    configuration locked after ibis has set its session options (time zone UTC).

    One backend per query or per thread; never share one across threads.
    """
    con = connect_read(Path(db), lock=False)
    return backend_for(con)


def backend_for(con: duckdb.DuckDBPyConnection) -> Backend:
    backend = ibis.duckdb.from_connection(con)
    con.execute("SET lock_configuration = true")
    return backend
