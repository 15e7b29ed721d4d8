"""The same KPIs and SLOs on Spark as on DuckDB (spec: backend.md).

The sample store, with millisecond timestamps, is exported to Parquet and read by a local
Spark session (2 cores, 1 GB) while this process runs in a non-UTC time zone; every figure
of ``mlkpi kpis`` (a quarter, a month and a week; org, team and tier) and ``mlkpi slo``
(at a fixed instant) must equal DuckDB's to a relative 1e-9. One Spark session serves the
whole module. Select with ``pytest -m spark``.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import shutil
import time
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("pyspark")
pytestmark = [pytest.mark.spark, pytest.mark.slow]
if shutil.which("java") is None:
    pytest.skip("the Spark tests need Java 17 (apt-get install openjdk-17-jre-headless)",
                allow_module_level=True)

AS_OF = date(2026, 10, 10)  # 2026Q3, 2026-09 and 2026-W39 are complete
AT = "2026-10-08T12:00:00.500Z"
SCOPES = [[], ["--team", "search"], ["--tier", "1"]]
PERIODS = ["2026Q3", "2026-09", "2026-W39"]
REL = 1e-9


def _with_milliseconds(folder: Path) -> None:
    """Give every timestamp of the sample a millisecond part, later columns of a row a
    larger one (so no 'later ≥ earlier' rule breaks): 09:30:00Z → 09:30:00.037Z."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    stamp = re.compile(r"(T\d\d:\d\d:\d\d)(Z)")
    for path in folder.glob("*.csv"):
        lines = path.read_text().splitlines()
        out = [lines[0]]
        for n, line in enumerate(lines[1:]):
            column = iter(range(10))
            out.append(stamp.sub(lambda m, n=n, c=column: (
                f"{m[1]}.{(n * 37) % 300 + next(c) * 300:03d}{m[2]}"), line))
        path.write_text("\n".join(out) + "\n")
    sli = folder / "inference_sli.parquet"
    table = pq.read_table(sli)
    shift = pa.array([(i * 7) % 1000 * 1000 for i in range(table.num_rows)],
                     pa.duration("us"))
    moved = pc.add(table["window_start"], shift)
    pq.write_table(table.set_column(table.schema.get_field_index("window_start"),
                                    "window_start", moved), sli)


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> tuple[Path, str]:
    """(the DuckDB store, the local Spark URL over its export); TZ is not UTC meanwhile."""
    from metrics.cli.main import main
    from metrics.ingest.run import ingest
    from metrics.sample import generate

    root = tmp_path_factory.mktemp("spark")
    files = generate(root / "sample", seed=42, scale="small", as_of=AS_OF)
    _with_milliseconds(root / "sample")
    db = root / "mlkpi.duckdb"
    for path in sorted(files):
        result = ingest(db, path.name.split(".")[0], [str(path)])
        assert result.exit_code == 0, (path.name, result.file_errors, result.errors[:3])
    assert main(["--db", str(db), "export", "--out", str(root / "lake")]) == 0
    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    time.tzset()
    yield db, f"spark://local[2]?path={root / 'lake'}&memory=1g"
    if old_tz is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = old_tz
    time.tzset()


def _json(*args: str) -> dict:
    from metrics.cli.main import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([*args, "--format", "json"]) == 0
    return json.loads(out.getvalue())


def _equal(a: object, b: object, where: str) -> None:
    """Equal, numbers to a relative 1e-9; every difference named."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _equal(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _equal(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, int | float) and not isinstance(b, bool):
        assert math.isclose(a, b, rel_tol=REL, abs_tol=1e-12), f"{where}: {a} != {b}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


@pytest.mark.parametrize("period", PERIODS)
def test_every_kpi_on_spark_equals_duckdb(stores, period: str) -> None:
    db, url = stores
    for scope in SCOPES:
        duck = _json("--db", str(db), "kpis", "--period", period, *scope)
        spark = _json("--db", str(db), "--backend", url, "kpis", "--period", period, *scope)
        for kpi in duck["kpis"]:  # the freshness of each kind is judged against "now"
            kpi.pop("freshness")
        for kpi in spark["kpis"]:
            kpi.pop("freshness")
        _equal(duck, spark, f"{period} {scope}")
        measured = [k for k in duck["kpis"] if k["value"] is not None]
        # not a comparison of empty reports: a week of the sample has 13 KPIs with data
        assert len(measured) >= 10, f"{period} {scope}: too few KPIs with data to compare"


def test_durations_keep_their_milliseconds(stores) -> None:
    """Lead time from millisecond timestamps: Spark's epoch seconds would drop them."""
    db, url = stores
    for report in (_json("--db", str(db), "kpis", "--period", "2026Q3"),
                   _json("--db", str(db), "--backend", url, "kpis", "--period", "2026Q3")):
        lead = next(k for k in report["kpis"] if k["id"] == "lead_time_for_ml_changes")
        seconds = lead["value"] * 3600
        assert abs(seconds - round(seconds)) > 1e-4  # a fraction of a second survives


def test_slo_on_spark_equals_duckdb(stores) -> None:
    db, url = stores
    duck = _json("--db", str(db), "slo", "--at", AT)
    spark = _json("--db", str(db), "--backend", url, "slo", "--at", AT)
    assert len(duck["endpoints"]) >= 10 and duck["at"] == "2026-10-08T12:00:00.500000Z"
    _equal(duck, spark, "slo")


def test_review_pack_on_spark_equals_duckdb(stores, tmp_path) -> None:
    """`mlkpi --backend URL report`: the pack's figures (every KPI, its quarters before, its
    change) come from Spark and read as DuckDB's do."""
    from metrics.cli.main import main

    db, url = stores
    for scope in SCOPES:
        duck, spark = tmp_path / "duck.csv", tmp_path / "spark.csv"
        assert main(["--db", str(db), "report", "--period", "2026Q3", *scope,
                     "--out", str(duck)]) == 0
        assert main(["--db", str(db), "--backend", url, "report", "--period", "2026Q3",
                     *scope, "--out", str(spark)]) == 0
        rows = _cells(duck)
        assert len(rows) > 20 and sum({"On track", "Off track"} & set(r) != set()
                                      for r in rows) > 5  # not a pack of empty rows
        _equal(rows, _cells(spark), f"report {scope}")


def _cells(path: Path) -> list[list[object]]:
    """The CSV's cells, numbers as floats (a last digit may differ with summation order)."""
    import csv

    def cell(text: str) -> object:
        try:
            return float(text)
        except ValueError:
            return text

    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [[cell(c) for c in row] for row in csv.reader(fh)]
