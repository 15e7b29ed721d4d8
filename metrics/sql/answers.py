"""A query's answer kept on disk for as long as the store holds the same content.

Every write session stamps the store with a new random value before it writes anything
(``metrics.store.db.writer``: ``meta.content_stamp``), and each store has an id of its
own (``meta.store_id``). A reader reads both through the very connection it queries, so
two reads that find the same stamp read the same content, whichever snapshot file or copy
they opened. Only read-only connections are answered: inside a write session the stamp is
already the new one while rows still change. The rows a query returned are then kept
under (code version, store id, stamp, the query) in ``$MLKPI_CACHE_DIR/answers/``:

    remembered(stamp(con), ("kpis", shape, params), lambda: run(con, query))
    # the first call runs the query and keeps its rows; later calls on the same content,
    # in any process, read them (a few ms instead of a scan of 30M rows)

``mlkpi ingest`` computes the default views' reports once the batch is stored
(``metrics.sql.prepare``), so the dashboard's first page after a start and
``mlkpi kpis`` read what was computed when the data changed. Figures that depend on the
clock ("to date", stale) are applied to the rows afterwards, never kept.

A store changed by anything but mlkpi's writer (a hand-run ``UPDATE`` in the DuckDB
shell) keeps its stamp and so its old answers: run any ``mlkpi`` write (an ingest, or
``mlkpi repair``) afterwards, or set ``MLKPI_ANSWERS=0``. A store written by an older
version has no stamp: nothing is kept until its next ingest. Rows hold only plain values
(numbers, text, timestamps, dates, intervals); any other value, an unreadable file or an
unwritable folder only means the query runs. The files are JSON, never code.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import orjson

from metrics import settings

Rows = list[Any]  # dicts or tuples, as the query returned them
STALE_AFTER_S = 600  # another content's answers of the same store are removed this old


def stamp(con: duckdb.DuckDBPyConnection) -> str | None:
    """'<store id>/<content stamp>' as this connection reads the store; None when the
    store has none (written by an older version), when answers are off, and on any
    connection that may write: only a read-only connection (to a published snapshot,
    which never changes) reads the content its stamp names."""
    if not settings.answers():
        return None
    try:
        found = dict(con.execute(
            "SELECT 'access_mode', current_setting('access_mode') UNION ALL "
            "SELECT key, value FROM meta WHERE key IN ('store_id', 'content_stamp')"
        ).fetchall())
    except duckdb.Error:
        return None
    store, content = found.get("store_id"), found.get("content_stamp")
    if found.get("access_mode") != "read_only" or not (store and content):
        return None
    return f"{store}/{content}"


def remembered(content: str | None, key: tuple, compute: Callable[[], Rows]) -> Rows:
    """``compute()``'s rows, kept for ``content`` (the ``stamp`` of the connection
    ``compute`` reads; None: nothing kept). ``key`` names the query with every value it
    takes."""
    if content is None:
        return compute()
    path = _path(content, key)
    found = _read(path)
    if found is not None:
        return found
    rows = compute()
    _write(path, rows)
    return rows


def encode(rows: Rows) -> bytes | None:
    """JSON of the rows, every value tagged with its type where JSON has none; None when a
    value is of another type (such rows are not kept)."""
    try:
        if rows and isinstance(rows[0], dict):
            names = list(rows[0])
            body = {"names": names, "rows": [[_tag(r[n]) for n in names] for r in rows]}
        else:
            body = {"names": None, "rows": [[_tag(v) for v in r] for r in rows]}
        return orjson.dumps(body)
    except (TypeError, orjson.JSONEncodeError):
        return None


def decode(raw: bytes) -> Rows:
    """The rows ``encode`` wrote, with their types (dicts or tuples, as they were)."""
    body = orjson.loads(raw)
    names = body["names"]
    if names is None:
        return [tuple(_untag(v) for v in r) for r in body["rows"]]
    return [dict(zip(names, map(_untag, r), strict=True)) for r in body["rows"]]


def _tag(value: Any) -> Any:
    kind = type(value)
    if value is None or kind in (str, bool):
        return value
    if kind is int:
        if -2**63 <= value < 2**63:
            return value
        return {"i": str(value)}
    if kind is float:
        return value if math.isfinite(value) else {"f": repr(value)}
    if kind is Decimal:
        return {"n": str(value)}
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if kind is date:
        return {"d": value.isoformat()}
    if kind is timedelta:
        return {"s": [value.days, value.seconds, value.microseconds]}
    raise TypeError(f"a {kind.__name__} is not kept")


def _untag(value: Any) -> Any:
    if type(value) is not dict:
        return value
    (tag, raw), = value.items()
    if tag == "t":
        return datetime.fromisoformat(raw)
    if tag == "d":
        return date.fromisoformat(raw)
    if tag == "f":
        return float(raw)
    if tag == "n":
        return Decimal(raw)
    if tag == "i":
        return int(raw)
    if tag == "s":
        return timedelta(days=raw[0], seconds=raw[1], microseconds=raw[2])
    raise ValueError(f"unknown tag {tag!r}")


# -- files ---------------------------------------------------------------------------------

def _folder() -> Path:
    return settings.cache_dir() / "answers"


def _path(content: str, key: tuple) -> Path:
    from metrics.sql.templates import code_version

    store, stamp_ = content.split("/", 1)
    digest = hashlib.sha256(repr((code_version(), key)).encode()).hexdigest()[:32]
    return _folder() / _safe(store) / _safe(stamp_) / f"{digest}.json"


def _safe(name: str) -> str:
    """A folder name from a stamp: hex and dashes only (a stamp comes from a file)."""
    return "".join(c for c in name if c.isalnum() or c == "-")[:64] or "none"


def _read(path: Path) -> Rows | None:
    try:
        return decode(path.read_bytes())
    except (OSError, ValueError, KeyError, TypeError):  # absent, cut short or not ours
        return None


def _write(path: Path, rows: Rows) -> None:
    """Atomically (a reader never sees half a file); skipped if unwritable or if a value
    is not of a kept type."""
    from metrics.sql.templates import write_cache_file

    raw = encode(rows)
    fresh = not path.parent.exists()
    if raw is not None and write_cache_file(path, raw) and fresh:
        _drop_other_contents(path.parent)


def _drop_other_contents(current: Path, now: float | None = None) -> None:
    """Remove the answers of the store's earlier contents, once they are STALE_AFTER_S old
    (a page that started on the previous snapshot may still finish with them)."""
    now = now or time.time()
    try:
        siblings = [p for p in current.parent.iterdir() if p != current and p.is_dir()]
        for old in siblings:
            if now - old.stat().st_mtime > STALE_AFTER_S:
                shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass
