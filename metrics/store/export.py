"""The store as Parquet, one folder per kind, for Spark and lakehouses (spec: backend.md).

    export_store(Path("mlkpi.duckdb"), Path("/lake"))
    # /lake/deployment/part-0.parquet
    # /lake/inference_sli/month=2026-08/part-0.parquet, month=2026-09/…  (large kinds)

Columns and types are the event contract's (BIGINT, DOUBLE, BOOLEAN, DATE, timestamps in
UTC at microseconds); the store's own bookkeeping (``_ingest_id``) stays behind. A kind's
folder is written next to the old one and swapped in when complete, so a reader never sees
half an export. Rows stream from the read snapshot in batches: memory stays flat.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from metrics.events import KINDS, Kind
from metrics.store.db import connect_read

# kinds that grow with time (a row per window, day or run): one folder per month of
# their anchor, so that an engine reads only the months a period needs
PARTITIONED = ("inference_sli", "cost", "pipeline_run", "model_performance")
PARTITION = "month"


def export_store(db: Path, out: Path, say: Callable[[str], None] = lambda _: None
                 ) -> dict[str, int]:
    """Write every kind under ``out`` (created if missing); {kind: rows written}."""
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    con = connect_read(Path(db))
    try:
        for kind in KINDS.values():
            say(f"exporting {kind.name}")
            reader = con.sql(_select(kind)).to_arrow_reader(1_000_000)
            schema = arrow_schema(kind, partitioned=kind.name in PARTITIONED)
            counts[kind.name] = _write(reader, schema, out / kind.name,
                                       partitioned=kind.name in PARTITIONED)
    finally:
        con.close()
    return counts


def _select(kind: Kind) -> str:
    """The contract's columns, plus the anchor's month (UTC) for a partitioned kind:
    window_start 2026-08-31 23:59:00Z → month '2026-08'."""
    cols = ", ".join(f'"{c}"' for c in kind.names)
    if kind.name in PARTITIONED:
        cols += f", strftime(\"{kind.anchor}\", '%Y-%m') AS {PARTITION}"
    return f'SELECT {cols} FROM "{kind.name}" ORDER BY "{kind.anchor or kind.key[0]}"'


def arrow_schema(kind: Kind, partitioned: bool = False):
    """The kind's Arrow schema from the contract (the types Spark's schema reads)."""
    import pyarrow as pa

    types = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(),
             "bool": pa.bool_(), "ts": pa.timestamp("us", tz="UTC"), "date": pa.date32()}
    fields = [pa.field(c.name, types[c.type]) for c in kind.columns]
    if partitioned:
        fields.append(pa.field(PARTITION, pa.string()))
    return pa.schema(fields)


def _write(reader, schema, folder: Path, partitioned: bool) -> int:
    """Stream the batches into a fresh folder beside ``folder``, then swap it in."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    tmp = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.tmp")
    rows = [0]

    def batches():
        for batch in reader:
            batch = pa.Table.from_batches([batch]).cast(schema).to_batches()
            for b in batch:
                rows[0] += b.num_rows
                yield b

    try:
        tmp.mkdir(parents=True)
        if partitioned:
            ds.write_dataset(pa.RecordBatchReader.from_batches(schema, batches()), tmp,
                             format="parquet", partitioning=[PARTITION],
                             partitioning_flavor="hive", basename_template="part-{i}.parquet",
                             max_rows_per_group=1_000_000, existing_data_behavior="error")
        if not partitioned or rows[0] == 0:  # one file, even empty: the table exists
            data_schema = pa.schema([f for f in schema if f.name != PARTITION])
            with pq.ParquetWriter(tmp / "part-0.parquet", data_schema) as writer:
                for b in ([] if partitioned else batches()):
                    writer.write_batch(b)
        old = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.old")
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows[0]
