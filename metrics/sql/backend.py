"""Read access for the engines: an ibis backend over the hardened read snapshot."""

from __future__ import annotations

from pathlib import Path

import duckdb
from ibis.backends.duckdb import Backend

from metrics.store.db import connect_read


def open_backend(db: Path) -> Backend:
    """An ibis DuckDB backend on the read snapshot: read-only, no external access,
    configuration locked, time zone UTC.

    One backend per query or per thread; never share one across threads.
    """
    return backend_for(connect_read(Path(db)))


def backend_for(con: duckdb.DuckDBPyConnection) -> Backend:
    """Wrap a hardened connection. ``ibis.duckdb.from_connection`` would SET the time
    zone itself, which a locked configuration refuses; ``connect_read`` already set
    it (and ibis's other option) globally, so only the wrapping is done here."""
    backend = Backend()
    backend._can_reconnect = False
    backend.con = con
    backend._record_batch_readers_consumed = {}
    return backend
