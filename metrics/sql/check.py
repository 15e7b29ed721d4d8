"""Does an engine hold the tables the KPI and SLO engines read? (``mlkpi check-backend``)

One table per kind, named as the kind, with the columns of the event contract:

    check_backend(db, "spark://local[2]?path=/lake")
    # ["table 'incident' is missing: export it or create it with the columns of the
    #   event contract (mlkpi ingest --help lists them).",
    #  "table 'deployment' has no column 'tier' (an integer).",
    #  "column deployment.tier is string, not an integer."]

For ``spark://local…`` the Parquet files themselves are read (the session imposes the
contract's schema on them, which would hide a wrong type or a missing column as NULLs);
any other engine is asked for its tables' schemas. Extra tables and columns are fine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from metrics.events import KINDS, Column

WORDS = {"str": "a string", "int": "an integer", "float": "a floating-point number",
         "bool": "a boolean", "ts": "a timestamp", "date": "a date"}


def check_backend(db: Path, url: str | None) -> list[str]:
    """One sentence per missing table, missing column or wrong type; [] when all fit."""
    if url and url.startswith("spark://local"):
        return _check_parquet(url)
    from metrics.sql.engine import BackendError, IbisEngine, open_engine

    problems: list[str] = []
    with open_engine(db, url) as engine:
        for kind in KINDS.values():
            try:
                table = (engine.raw_table(kind.name) if isinstance(engine, IbisEngine)
                         else engine.table(kind.name))
            except BackendError:
                problems.append(_missing_table(kind.name))
                continue
            schema = {name: _ibis_family(dtype) for name, dtype in table.schema().items()}
            problems += _compare(kind.name, kind.columns, schema)
    return problems


def _check_parquet(url: str) -> list[str]:
    import pyarrow.dataset as ds

    from metrics.sql.engine import query_options

    root = Path(query_options(url).get("path", "")).expanduser()
    problems: list[str] = []
    for kind in KINDS.values():
        folder = root / kind.name
        if not folder.is_dir():
            problems.append(_missing_table(kind.name, f" (no folder {folder})"))
            continue
        try:
            schema = ds.dataset(folder, format="parquet", partitioning="hive").schema
        except Exception as exc:  # not Parquet, unreadable
            problems.append(f"table '{kind.name}' cannot be read from {folder}: "
                            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}.")
            continue
        problems += _compare(kind.name, kind.columns,
                             {f.name: _arrow_family(f.type) for f in schema})
    return problems


def _compare(kind: str, columns: tuple[Column, ...], found: dict[str, str]) -> list[str]:
    problems = []
    for column in columns:
        if column.name not in found:
            problems.append(f"table '{kind}' has no column '{column.name}' "
                            f"({WORDS[column.type]}).")
        elif found[column.name] != column.type:
            problems.append(f"column {kind}.{column.name} is {_said(found[column.name])}, "
                            f"not {WORDS[column.type]}.")
    return problems


def _missing_table(kind: str, detail: str = "") -> str:
    return (f"table '{kind}' is missing{detail}: export it with 'mlkpi export' or create it "
            "with the columns of the event contract ('mlkpi ingest --help' lists them).")


def _said(family: str) -> str:
    return WORDS.get(family, family)


def _arrow_family(dtype: Any) -> str:
    """The contract type an Arrow type stands for, as Spark reads it: int64 → 'int';
    int32 is refused (the session reads integers as 64-bit)."""
    import pyarrow as pa

    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return "str"
    if pa.types.is_int64(dtype):
        return "int"
    if pa.types.is_float64(dtype):
        return "float"
    if pa.types.is_boolean(dtype):
        return "bool"
    if pa.types.is_timestamp(dtype):
        return "ts"
    if pa.types.is_date32(dtype):
        return "date"
    return f"of type {dtype}"


def _ibis_family(dtype: Any) -> str:
    """The contract type an ibis type stands for: any integer width is an integer."""
    for family, test in (("str", dtype.is_string), ("int", dtype.is_integer),
                         ("float", dtype.is_floating), ("bool", dtype.is_boolean),
                         ("ts", dtype.is_timestamp), ("date", dtype.is_date)):
        if test():
            return family
    return f"of type {dtype}"
