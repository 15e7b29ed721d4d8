"""Queries compiled once per shape: an ibis expression → DuckDB SQL with $parameters.

Importing ibis and building and compiling a KPI report's expressions takes longer than
running the SQL on a quarter of 30M SLI rows, so each query *shape* is compiled once and
kept as SQL text whose varying values are DuckDB parameters:

    2026Q3, whole org → … WHERE deployed_at >= $s0 AND deployed_at < $e0 …
                        run with {"s0": 2026-07-01 00:00Z, "e0": 2026-10-01 00:00Z}

The next call of the same shape (2026Q2, or another team) binds its own values and runs
the SQL with plain duckdb: ibis is not imported at all.

A shape is the code (every ``.py`` file under ``metrics/``, the catalog, and the versions
of duckdb and ibis), the query's name, what
decides its structure (which KPIs over which periods, their grain and length, the scope,
the SLO config …) and which parameters share a value. A template is kept only when a
second compile, with every parameter changed (periods 400 years earlier: the Gregorian
calendar repeats, so weekdays, ISO weeks and leap days agree; another team name), gives
the very same template. A value that reached the SQL without being a parameter would
differ between the two, and the query would then run uncompiled instead (or, with
``MLKPI_STRICT_TEMPLATES=1`` as in the tests, fail loudly).

Templates live in ``$MLKPI_CACHE_DIR`` (default ``~/.cache/mlkpi``) under ``queries/``;
an unwritable cache only costs speed.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from metrics import settings

_PACKAGE = Path(__file__).resolve().parents[1]  # metrics/
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
STRICT_ENV = "MLKPI_STRICT_TEMPLATES"

Value = datetime | date | str | int


class TemplateError(RuntimeError):
    """A query whose values do not all reach its SQL as parameters (a bug in a formula)."""


@dataclass(frozen=True)
class Query:
    """One query to run: its name and shape (the cache key), its parameters, and how to
    build it. ``build(False)`` is the real expression; ``build(True)`` the same query over
    ``check_params`` (every value changed), used once to prove the template."""

    name: str
    shape: tuple
    params: Mapping[str, Value]
    check_params: Mapping[str, Value]
    build: Callable[[bool], Any]
    # rows passed as parameters: {"slo_objectives": {"endpoint": [...], "budget": [...]}};
    # build() makes them a memtable (found by its columns), and the kept SQL reads
    # UNNEST($slo_objectives_endpoint) … instead
    tables: Mapping[str, Mapping[str, list]] = field(default_factory=dict)


def fetch(con: duckdb.DuckDBPyConnection, query: Query) -> list[dict[str, Any]]:
    """The query's rows as dicts, from its template when one exists (no ibis), else after
    compiling (and keeping) it."""
    _FETCHES[0] += 1
    path = _template_path(query)
    sql = _read(path)
    if sql is None:
        sql = _compile(con, query)
        if sql is None:  # not a clean template: run this once, uncompiled
            from metrics.sql.backend import backend_for

            return backend_for(con).to_pyarrow(query.build(False)).to_pylist()
        _write(path, sql)
    values = {**query.params, **{_column_param(t, c): list(v)
                                 for t, cols in query.tables.items() for c, v in cols.items()}}
    names = set(_PARAM.findall(sql))
    return _rows(con.execute(sql, {k: v for k, v in values.items() if k in names}))


_FETCHES = [0]


def fetch_count() -> int:
    """How many queries ``fetch`` has run in this process (``metrics.sql.prepare`` uses it
    to tell a report that ran compiled queries from one that had nothing to query)."""
    return _FETCHES[0]


def shape_of_values(params: Mapping[str, Value]) -> tuple:
    """Which parameters share a value, as part of a shape: {"e0": d, "s1": d} → (("e0",
    "s1"),). Two calls whose parameters pair up differently compile differently."""
    groups: dict[tuple[str, Value], list[str]] = {}
    for name, value in params.items():
        groups.setdefault((type(value).__name__, value), []).append(name)
    return tuple(sorted(tuple(names) for names in groups.values() if len(names) > 1))


def shifted(value: Value, years: int = -400) -> Value:
    """A date or timestamp 400 years earlier (same weekday, same leap years)."""
    if isinstance(value, datetime | date):
        return value.replace(year=value.year + years)
    return value


# -- compile -------------------------------------------------------------------------------

def _compile(con: duckdb.DuckDBPyConnection, query: Query) -> str | None:
    real = _template(con, query.build(False), query.params, query.tables)
    check = _template(con, query.build(True), query.check_params, query.tables)
    if real == check:
        return real
    if settings.strict_templates():
        raise TemplateError(f"query '{query.name}' has a value outside its parameters; "
                            "every period bound, label and scope value must be one.")
    return None


def _template(con: duckdb.DuckDBPyConnection, expr: Any, params: Mapping[str, Value],
              tables: Mapping[str, Mapping[str, list]]) -> str:
    """The expression's SQL with each parameter's literal replaced by $name (parameters
    sharing a value share the first name) and each parameter table by its UNNESTs."""
    sql = _to_sql(con, expr)
    for table, columns in tables.items():
        unnest = ", ".join(f'UNNEST(${_column_param(table, c)}) AS "{c}"' for c in columns)
        sql = sql.replace(f'"{_memtable_name(expr, columns)}"', f"(SELECT {unnest})")
    seen: dict[str, str] = {}
    for name, value in params.items():
        literal = _literal_sql(value)
        if literal in seen:
            continue
        seen[literal] = name
        sql = sql.replace(literal, f"${name}")
    return sql


def _memtable_name(expr: Any, columns: Mapping[str, list]) -> str:
    """The generated name of the expression's memtable with exactly these columns."""
    import ibis.expr.operations as ops

    names = {op.name for op in expr.op().find(ops.InMemoryTable)
             if set(op.schema.names) == set(columns)}
    if len(names) != 1:
        raise TemplateError(f"expected one in-memory table with columns {sorted(columns)}, "
                            f"found {len(names)}.")
    return names.pop()


def _to_sql(con: duckdb.DuckDBPyConnection, expr: Any) -> str:
    from metrics.sql.backend import backend_for

    return str(backend_for(con).compile(expr))


_LITERALS: dict[tuple[str, Value], str] = {}


def _literal_sql(value: Value) -> str:
    """How ibis writes the value in DuckDB SQL: MAKE_TIMESTAMPTZ(2026, 7, 1, 0, 0, 0.0,
    'UTC'), MAKE_DATE(2026, 7, 1), 'it''s', 3."""
    key = (type(value).__name__, value)
    if key not in _LITERALS:
        import ibis

        if isinstance(value, datetime):
            lit = ibis.literal(value.astimezone(UTC), type="timestamp('UTC')")
        elif isinstance(value, date):
            lit = ibis.literal(value, type="date")
        elif isinstance(value, str):
            lit = ibis.literal(value, type="string")
        else:
            raise TypeError(f"a query parameter cannot be a {type(value).__name__}.")
        sql = str(ibis.to_sql(lit.name("v"), dialect="duckdb"))
        _LITERALS[key] = sql.removeprefix("SELECT").strip().removesuffix('AS "v"').strip()
    return _LITERALS[key]


def _column_param(table: str, column: str) -> str:
    return f"{table}_{column}"


# -- run -----------------------------------------------------------------------------------

def _rows(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# -- the cache -----------------------------------------------------------------------------

_CODE: list[str] = []


def code_version() -> str:
    """A digest of the engine's code and catalog: any change makes new templates."""
    if not _CODE:
        digest = hashlib.sha256(duckdb.__version__.encode() + b"\0" + _ibis_version().encode())
        for path in sorted([*_PACKAGE.rglob("*.py"), _PACKAGE / "catalog.toml"]):
            name = path.relative_to(_PACKAGE).as_posix()
            digest.update(name.encode() + b"\0" + path.read_bytes())
        _CODE.append(digest.hexdigest()[:16])
    return _CODE[0]


def _ibis_version() -> str:
    """The installed ibis's version, read without importing ibis (its compiler writes the SQL)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ibis-framework")
    except PackageNotFoundError:
        return "none"


def cache_dir() -> Path:
    """$MLKPI_CACHE_DIR, else $XDG_CACHE_HOME/mlkpi, else ~/.cache/mlkpi."""
    return settings.cache_dir()


def _template_path(query: Query) -> Path:
    key = repr((code_version(), query.name, query.shape, shape_of_values(query.params)))
    return cache_dir() / "queries" / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.sql"


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _write(path: Path, sql: str) -> None:
    write_cache_file(path, sql.encode())


def write_cache_file(path: Path, raw: bytes) -> bool:
    """Write a file of the cache atomically (a reader never sees half of it); False, and
    nothing written, when the cache is unwritable: that only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(raw)
        os.replace(tmp, path)
    except OSError:
        return False
    return True
