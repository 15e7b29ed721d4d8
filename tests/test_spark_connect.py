"""The same KPIs and SLOs through Spark Connect as on DuckDB (spec: backend.md).

A real Spark Connect server (pyspark's own, ``local[2]``, 1 GB driver) runs on a loopback
port for the whole module, in a non-UTC time zone like this process. The sample store,
with millisecond timestamps, is exported to Parquet and each kind's folder becomes a table
of database ``mlkpi`` on the server, created through a Connect session as a lakehouse
would (``CREATE TABLE … USING parquet LOCATION``, months recovered as partitions). Database
``partial`` holds every kind but ``incident``. Select with ``pytest -m spark``.
"""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from spark_support import (
    AT,
    TIME_ZONE,
    equal,
    non_utc_time_zone,
    report_json,
    sample_store,
    without_freshness,
)

pytest.importorskip("pyspark")
pytestmark = [pytest.mark.spark, pytest.mark.slow]
if shutil.which("java") is None:
    pytest.skip("the Spark tests need Java 17 (apt-get install openjdk-17-jre-headless)",
                allow_module_level=True)

from live_servers import free_port, spark_connect_server  # noqa: E402

SCOPES = [[], ["--team", "search"]]
MISSING = "incident"
GIVE_UP_WITHIN = 30  # seconds for an unreachable server (4 retries take about 4 s)


@pytest.fixture(scope="module")
def connect(tmp_path_factory) -> tuple[Path, str]:
    """(the DuckDB store, the server's ``sc://127.0.0.1:PORT``) with databases ``mlkpi``
    (every kind) and ``partial`` (every kind but ``incident``) over the store's export."""
    root = tmp_path_factory.mktemp("spark-connect")
    with ThreadPoolExecutor(1) as pool:  # the store is built while the server starts
        store = pool.submit(sample_store, root)
        with spark_connect_server(root, env={"TZ": TIME_ZONE}) as url:
            db, lake = store.result()
            _load(url, lake)
            with non_utc_time_zone():
                yield db, url


def _load(url: str, lake: Path) -> None:
    """One external table per kind folder, in ``mlkpi``; the same less one in ``partial``."""
    from pyspark.sql import SparkSession

    session = SparkSession.builder.remote(url).create()
    try:
        for database in ("mlkpi", "partial"):
            session.sql(f"CREATE DATABASE {database}")
            for folder in sorted(lake.iterdir()):
                if database == "partial" and folder.name == MISSING:
                    continue
                table = f"{database}.{folder.name}"
                session.sql(f"CREATE TABLE {table} USING parquet LOCATION '{folder}'")
                if any(p.is_dir() for p in folder.iterdir()):  # month=2026-08/…
                    session.sql(f"ALTER TABLE {table} RECOVER PARTITIONS")
        assert len(session.sql("SHOW TABLES IN mlkpi").collect()) == len(list(lake.iterdir()))
    finally:
        session.stop()


def test_kpis_through_spark_connect_equal_duckdb(connect) -> None:
    db, url = connect
    backend = f"{url}?database=mlkpi"
    for scope in SCOPES:
        duck = without_freshness(report_json("--db", str(db), "kpis", "--period", "2026Q3",
                                             *scope))
        spark = without_freshness(report_json("--db", str(db), "--backend", backend, "kpis",
                                              "--period", "2026Q3", *scope))
        equal(duck, spark, f"2026Q3 {scope}")
        measured = [k for k in duck["kpis"] if k["value"] is not None]
        assert len(measured) >= 10, f"{scope}: too few KPIs with data to compare"
        lead = next(k for k in spark["kpis"] if k["id"] == "lead_time_for_ml_changes")
        assert abs(lead["value"] * 3600 % 1) > 1e-4  # milliseconds survive the server


def test_slo_through_spark_connect_equals_duckdb(connect) -> None:
    db, url = connect
    duck = report_json("--db", str(db), "slo", "--at", AT)
    spark = report_json("--db", str(db), "--backend", f"{url}?database=mlkpi", "slo",
                        "--at", AT)
    assert len(duck["endpoints"]) >= 10 and duck["at"] == "2026-10-08T12:00:00.500000Z"
    equal(duck, spark, "slo")


def test_check_backend_passes_on_the_full_database(connect, capsys) -> None:
    from metrics.cli.main import main

    db, url = connect
    assert main(["--db", str(db), "--backend", f"{url}?database=mlkpi", "check-backend"]) == 0
    out, err = capsys.readouterr()
    assert "all 15 tables have the event contract's columns and types" in out and err == ""


def test_check_backend_names_the_missing_table(connect, capsys) -> None:
    from metrics.cli.main import main

    db, url = connect
    assert main(["--db", str(db), "--backend", f"{url}?database=partial",
                 "check-backend"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"mlkpi: table '{MISSING}' is missing: export it with 'mlkpi export' or create it "
        "with the columns of the event contract ('mlkpi ingest --help' lists them)."]


def test_a_kpi_report_on_a_database_without_the_table_says_so(connect, capsys) -> None:
    from metrics.cli.main import main

    db, url = connect
    code = main(["--db", str(db), "--backend", f"{url}?database=partial", "kpis",
                 "--period", "2026Q3"])
    out, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err, err
    assert f"no table '{MISSING}' in database partial" in err


def test_an_unreachable_server_is_one_sentence_and_exit_2(connect, capsys) -> None:
    from metrics.cli.main import main

    db, _ = connect
    closed = f"sc://127.0.0.1:{free_port()}"  # bound then released: nothing listens
    started = time.monotonic()
    code = main(["--db", str(db), "--backend", f"{closed}?database=mlkpi", "kpis",
                 "--period", "2026Q3"])
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.splitlines() == [err.strip()] and "Traceback" not in err
    assert err.startswith(f"mlkpi: cannot reach the Spark Connect server {closed} (5 tries)")
    assert "Connection refused" in err
    assert elapsed < GIVE_UP_WITHIN, f"gave up only after {elapsed:.0f} s"


def test_retries_must_be_a_whole_number() -> None:
    from metrics.sql.engine import BackendError
    from metrics.sql.spark import connect_engine

    with pytest.raises(BackendError, match="retries must be a whole number, not 'soon'"):
        connect_engine("sc://127.0.0.1:15002?database=mlkpi&retries=soon")
