"""FOCUS files (CSV or Parquet) → one document per row, read by DuckDB.

CSV is read as text (``NULL`` and empty cells are null, as FOCUS exports write them), so
every value reaches the mapping as the file wrote it; Parquet keeps its types, and a
``Tags`` MAP or STRUCT column arrives as JSON text like the CSV's.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb

from metrics.importers.base import Doc, ShapeError
from metrics.importers.reading import ReadError
from metrics.ingest.sql import lit, q

REQUIRED = ("ChargePeriodStart", "BillingCurrency", "ServiceCategory", "ServiceName")
BATCH = 50_000


def grouped_rows(name: str, data: bytes) -> Iterator[Doc]:
    """Every row of the export as a dict, with its line (CSV: the header is line 1)."""
    if not data.strip():
        raise ReadError("the file is empty")
    parquet = data[:4] == b"PAR1"
    with tempfile.TemporaryDirectory(prefix="mlkpi-focus-") as tmp:
        path = Path(name) if name != "-" and Path(name).is_file() else Path(tmp) / "in"
        if not path.exists():
            path.write_bytes(data)
        with duckdb.connect() as con:
            source = _source(con, path, parquet)
            described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
            cols = [r[0] for r in described]
            types = {r[0]: r[1] for r in described}
            missing = [c for c in REQUIRED if c not in cols]
            if missing or not {"EffectiveCost", "BilledCost"} & set(cols):
                what = ", ".join(missing) or "EffectiveCost or BilledCost"
                raise ShapeError(f"this is not a FOCUS export: it has no {what} column")
            select = ", ".join(_column(c, types[c]) for c in cols)
            cur = con.execute(f"SELECT {select} FROM {source}")
            line = 2 if not parquet else 1
            while batch := cur.fetchmany(BATCH):
                for values in batch:
                    yield Doc(dict(zip(cols, values, strict=True)), name, line)
                    line += 1


def _source(con: duckdb.DuckDBPyConnection, path: Path, parquet: bool) -> str:
    if parquet:
        return f"read_parquet({lit(str(path))})"
    try:
        con.execute(f"SELECT * FROM read_csv({lit(str(path))}, header = true, "
                    "all_varchar = true, nullstr = ['NULL', '']) LIMIT 1")
    except duckdb.Error as exc:
        raise ReadError(f"is neither Parquet nor a CSV DuckDB can read "
                        f"({str(exc).splitlines()[0]})") from None
    return (f"read_csv({lit(str(path))}, header = true, all_varchar = true, "
            "nullstr = ['NULL', ''])")


def _column(name: str, kind: str) -> str:
    if name == "Tags" and kind.upper() != "VARCHAR":
        return f"to_json({q(name)})::VARCHAR AS {q(name)}"
    return q(name)
