"""Where the KPI and SLO queries run: the embedded DuckDB store, or another engine.

The one place an engine is chosen (spec: backend.md). The formulas are ibis expressions;
an engine answers them:

    with open_engine(db, None) as engine:                    # the store (the fast path)
    with open_engine(db, "spark://local[2]?path=/lake") as engine:  # Parquet under /lake
    with open_engine(db, "sc://spark.example:15002") as engine:     # Spark Connect
        engine.fetch(query)   # -> [{"kpi": ..., "value": ...}, ...]

On DuckDB a query runs from its compiled SQL template (``metrics.sql.templates``: no ibis
import); any other engine compiles the ibis expression each time (its own dialect), and
its timestamps are presented as UTC whatever the engine or the host's time zone.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import duckdb

from metrics.errors import MlkpiError
from metrics.events import KINDS

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pyarrow as pa

    from metrics.sql.templates import Query

ENV_VAR = "MLKPI_BACKEND"


class BackendError(MlkpiError):
    """A backend URL that cannot be used, said in one sentence (exit 2)."""


class Engine:
    """What the KPI and SLO code reads through. ``name`` says which engine, for people
    (no password): ``duckdb``, ``spark://local[2]``, ``sc://host:15002``."""

    name = "duckdb"

    @property
    def backend(self) -> Any:
        """The ibis backend (imports ibis)."""
        raise NotImplementedError

    def fetch(self, query: Query) -> list[dict[str, Any]]:
        raise NotImplementedError

    def table(self, kind: str) -> ir.Table:
        raise NotImplementedError

    def to_pyarrow(self, expr: ir.Table) -> pa.Table:
        raise NotImplementedError

    def missing_operation(self, expr: ir.Expr) -> str | None:
        """The name of an operation of ``expr`` this engine cannot run exactly, or None."""
        return None

    def close(self) -> None:
        """Release what this engine holds for one call (a shared session stays up)."""


class DuckDBEngine(Engine):
    """The embedded store over one hardened read connection (``connect_read``)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._backend = None

    @property
    def backend(self) -> Any:
        if self._backend is None:
            from metrics.sql.backend import backend_for

            self._backend = backend_for(self.con)
        return self._backend

    def fetch(self, query: Query) -> list[dict[str, Any]]:
        """The query's rows; kept for the store's content (``metrics.sql.answers``)."""
        from metrics.sql import answers
        from metrics.sql.templates import fetch

        key = (query.name, query.shape, sorted(query.params.items()),
               sorted((t, sorted(c.items())) for t, c in query.tables.items()))
        return answers.remembered(self.content, key, lambda: fetch(self.con, query))

    @functools.cached_property
    def content(self) -> str | None:
        """The store's content stamp (``metrics.sql.answers``), read at the first fetch."""
        from metrics.sql import answers

        return answers.stamp(self.con)

    def table(self, kind: str) -> ir.Table:
        return self.backend.table(kind)

    def to_pyarrow(self, expr: ir.Table) -> pa.Table:
        return self.backend.to_pyarrow(expr)

    def close(self) -> None:
        self.con.close()


class IbisEngine(Engine):
    """Any other ibis backend: the expression is compiled in the engine's dialect at each
    call. Its naive timestamp columns (Spark's ``timestamp``) are read as UTC."""

    def __init__(self, backend: Any, name: str, database: str | None = None) -> None:
        self._backend = backend
        self.name = name
        self.database = database
        self._memo: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def backend(self) -> Any:
        return self._backend

    def raw_table(self, kind: str) -> ir.Table:
        """The engine's table named as the kind, as it is (``check-backend`` reads it)."""
        try:
            return self._backend.table(kind, database=self.database)
        except Exception as exc:  # ibis raises the engine's own "not found" error
            where = f" in database {self.database}" if self.database else ""
            raise BackendError(f"{self.name} has no table '{kind}'{where}; run "
                               "'mlkpi check-backend' to see every missing table.") from exc

    def table(self, kind: str) -> ir.Table:
        """The kind's table: the contract's columns, timestamps in UTC (extra columns,
        such as a month partition, are left out)."""
        with self._lock:
            if kind not in self._memo:
                table = self.raw_table(kind)
                self._memo[kind] = as_utc(table.select(*KINDS[kind].names))
            return self._memo[kind]

    def fetch(self, query: Query) -> list[dict[str, Any]]:
        return [{k: _utc(v) for k, v in row.items()}
                for row in self.to_pyarrow(query.build(False)).to_pylist()]

    def to_pyarrow(self, expr: ir.Table) -> pa.Table:
        import pyarrow as pa

        table = self._backend.to_pyarrow(expr)
        fields = [pa.field(f.name, pa.timestamp("us", tz="UTC"))
                  if pa.types.is_timestamp(f.type) and f.type.tz is None else f
                  for f in table.schema]
        return table.cast(pa.schema(fields))

    def missing_operation(self, expr: ir.Expr) -> str | None:
        import ibis.expr.operations as ops

        for op in expr.op().find(ops.Value):
            if not self._backend.has_operation(type(op)):
                return type(op).__name__
        return None


def as_utc(table: ir.Table) -> ir.Table:
    """Naive timestamp columns cast to ``timestamp('UTC')`` (the engine's session is UTC,
    so the instant is the same); every other column as it is."""
    naive = {name: table[name].cast("timestamp('UTC')") for name, dtype in table.schema().items()
             if dtype.is_timestamp() and dtype.timezone is None}
    return table.mutate(**naive) if naive else table


def _utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def as_engine(source: Engine | duckdb.DuckDBPyConnection) -> Engine:
    """An engine for a raw store connection (callers that opened one themselves)."""
    return source if isinstance(source, Engine) else DuckDBEngine(source)


def backend_url(cli_value: str | None) -> str | None:
    """``--backend``, else ``$MLKPI_BACKEND``, else None (the store)."""
    from metrics import settings

    return cli_value or settings.backend()


@contextlib.contextmanager
def open_engine(db: Path, url: str | None = None) -> Iterator[Engine]:
    """The engine of ``url`` (None or ``duckdb:///path``: the store), closed after use."""
    engine = connect(db, url)
    try:
        yield engine
    finally:
        engine.close()


def connect(db: Path, url: str | None = None) -> Engine:
    """The engine of ``url``; see ``open_engine``. The caller closes it."""
    from metrics.store.db import connect_read

    if not url:
        return DuckDBEngine(connect_read(Path(db)))
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme == "duckdb":
        path = url.removeprefix("duckdb://")  # duckdb:///data/mlkpi.duckdb → /data/…
        if path in ("", "/"):
            raise BackendError(f"'{url}' names no store; write duckdb:///path/store.duckdb.")
        return DuckDBEngine(connect_read(Path(path)))
    if scheme == "spark":
        from metrics.sql.spark import local_engine

        return local_engine(url)
    if scheme == "sc":
        from metrics.sql.spark import connect_engine

        return connect_engine(url)
    if not scheme:
        raise BackendError(f"'{url}' is not a backend URL; use duckdb:///PATH, "
                           "spark://local[N]?path=DIR, sc://HOST:PORT or an ibis URL.")
    return _ibis_engine(url)


def _ibis_engine(url: str) -> Engine:
    """trino://, postgres://, snowflake://, bigquery://…: ibis.connect, tables by kind."""
    import ibis

    try:
        backend = ibis.connect(url)
    except Exception as exc:  # a missing driver, a refused connection: one sentence
        raise BackendError(f"cannot connect to {public_name(url)}: "
                           f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                           ) from exc
    return IbisEngine(backend, public_name(url))


def public_name(url: str) -> str:
    """The URL without password, query or ``;`` parameters (Spark Connect's token):

    >>> public_name("trino://u:pw@h:8080/c?x=1"), public_name("sc://h:15002/;token=s3cret")
    ('trino://u@h:8080/c', 'sc://h:15002')
    >>> public_name("spark://local[2]?path=/lake")
    'spark://local[2]'
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # spark://local[2]: brackets that are not an IPv6 address
        return url.partition("?")[0].partition(";")[0]
    netloc = (f"{parts.username}@" if parts.username else "") + host
    netloc += f":{parts.port}" if parts.port else ""
    path = parts.path.partition(";")[0]
    return f"{parts.scheme}://{netloc}{'' if path == '/' else path}"


def query_options(url: str) -> dict[str, str]:
    """``?path=/lake&memory=1g`` → {"path": "/lake", "memory": "1g"} (last value wins)."""
    return {k: v[-1] for k, v in parse_qs(url.partition("?")[2]).items()}
