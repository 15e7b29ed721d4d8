"""The same KPIs and SLOs on Spark as on DuckDB (spec: backend.md).

The sample store, with millisecond timestamps, is exported to Parquet and read by a local
Spark session (2 cores, 1 GB) while this process runs in a non-UTC time zone; every figure
of ``mlkpi kpis`` (a quarter, a month and a week; org, team and tier) and ``mlkpi slo``
(at a fixed instant) must equal DuckDB's to a relative 1e-9. One Spark session serves the
whole module. Select with ``pytest -m spark``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from spark_support import AT, equal, non_utc_time_zone, report_json, sample_store, without_freshness

pytest.importorskip("pyspark")
pytestmark = [pytest.mark.spark, pytest.mark.slow]
if shutil.which("java") is None:
    pytest.skip("the Spark tests need Java 17 (apt-get install openjdk-17-jre-headless)",
                allow_module_level=True)

SCOPES = [[], ["--team", "search"], ["--tier", "1"]]
PERIODS = ["2026Q3", "2026-09", "2026-W39"]


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> tuple[Path, str]:
    """(the DuckDB store, the local Spark URL over its export); TZ is not UTC meanwhile."""
    db, lake = sample_store(tmp_path_factory.mktemp("spark"))
    with non_utc_time_zone():
        yield db, f"spark://local[2]?path={lake}&memory=1g"


@pytest.mark.parametrize("period", PERIODS)
def test_every_kpi_on_spark_equals_duckdb(stores, period: str) -> None:
    db, url = stores
    for scope in SCOPES:
        duck = without_freshness(report_json("--db", str(db), "kpis", "--period", period,
                                             *scope))
        spark = without_freshness(report_json("--db", str(db), "--backend", url, "kpis",
                                              "--period", period, *scope))
        equal(duck, spark, f"{period} {scope}")
        measured = [k for k in duck["kpis"] if k["value"] is not None]
        # not a comparison of empty reports: a week of the sample has 13 KPIs with data
        assert len(measured) >= 10, f"{period} {scope}: too few KPIs with data to compare"


def test_durations_keep_their_milliseconds(stores) -> None:
    """Lead time from millisecond timestamps: Spark's epoch seconds would drop them."""
    db, url = stores
    for report in (report_json("--db", str(db), "kpis", "--period", "2026Q3"),
                   report_json("--db", str(db), "--backend", url, "kpis", "--period", "2026Q3")):
        lead = next(k for k in report["kpis"] if k["id"] == "lead_time_for_ml_changes")
        seconds = lead["value"] * 3600
        assert abs(seconds - round(seconds)) > 1e-4  # a fraction of a second survives


def test_slo_on_spark_equals_duckdb(stores) -> None:
    db, url = stores
    duck = report_json("--db", str(db), "slo", "--at", AT)
    spark = report_json("--db", str(db), "--backend", url, "slo", "--at", AT)
    assert len(duck["endpoints"]) >= 10 and duck["at"] == "2026-10-08T12:00:00.500000Z"
    equal(duck, spark, "slo")


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
        equal(rows, _cells(spark), f"report {scope}")


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
