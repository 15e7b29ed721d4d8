"""`mlkpi export`, `mlkpi check-backend` (its Parquet path) and `mlkpi refresh` on the store:
no Spark needed (the Spark runs are in test_spark.py)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from metrics.cli.main import main
from metrics.events import KINDS
from metrics.kpi.report import kpi_report
from metrics.periods import parse_period
from metrics.store.results import freshness, slo_view, stored


def sli(endpoint: str, team: str, tier: int, start: str, requests: int, errors: int) -> dict:
    return {"endpoint": endpoint, "team": team, "tier": tier, "window_start": start,
            "window_seconds": 60, "requests": requests, "errors": errors,
            "latency_p95_ms": 120.5}


ROWS = {
    "team": [{"team": "a"}, {"team": "b"}],
    "deployment": [
        # 2026-07-01T01:59:00.250+02:00 is 2026-06-30T23:59:00.250Z
        {"deployment_id": "d1", "team": "a", "model": "m", "tier": 1,
         "spec_approved_at": "2026-06-30T11:59:00Z",
         "deployed_at": "2026-07-01T01:59:00.250+02:00", "automated": True},
        {"deployment_id": "d2", "team": "b", "model": "n", "tier": 2,
         "spec_approved_at": "2026-08-01T00:00:00Z", "deployed_at": "2026-08-02T00:00:00Z",
         "automated": False, "rollback": True},
    ],
    "inference_sli": [
        sli("ranker", "a", 1, "2026-08-31T23:59:00Z", 100, 1),   # month=2026-08
        sli("ranker", "a", 1, "2026-09-01T00:00:00Z", 200, 0),   # month=2026-09
        sli("tagger", "b", 2, "2026-09-01T00:01:00+02:00", 50, 5),  # 08-31 22:01Z: 2026-08
    ],
}


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # a bad option: argparse exits (2) after its sentence
            code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def lake(make_store, tmp_path: Path) -> tuple[Path, Path]:
    db = make_store(ROWS)
    code, _, err = run("--db", str(db), "export", "--out", str(tmp_path / "lake"))
    assert code == 0, err
    assert "Exported 7 rows of 15 kinds" in err
    return db, tmp_path / "lake"


def test_export_writes_the_contract_columns_one_folder_per_kind(lake) -> None:
    _, out = lake
    assert sorted(p.name for p in out.iterdir()) == sorted(KINDS)  # every kind, even empty
    deploys = pq.read_table(out / "deployment").sort_by("deployment_id")
    assert deploys.column_names == KINDS["deployment"].names  # no _ingest_id
    assert deploys.schema.field("tier").type == pa.int64()
    assert deploys.schema.field("deployed_at").type == pa.timestamp("us", tz="UTC")
    assert deploys.column("deployed_at")[0].as_py() == datetime(2026, 6, 30, 23, 59, 0, 250000,
                                                               tzinfo=UTC)
    assert deploys.column("rollback").to_pylist() == [False, True]
    assert pq.read_table(out / "incident").num_rows == 0  # an empty kind is an empty table


def test_large_kinds_are_split_by_utc_month_whatever_the_host_zone(make_store, tmp_path) -> None:
    db = make_store(ROWS)
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"  # 2026-08-31T23:59Z is already September in Tokyo
    time.tzset()
    try:
        assert run("--db", str(db), "export", "--out", str(tmp_path / "lake"))[0] == 0
    finally:
        os.environ.pop("TZ") if old is None else os.environ.__setitem__("TZ", old)
        time.tzset()
    folder = tmp_path / "lake" / "inference_sli"
    assert sorted(p.name for p in folder.iterdir()) == ["month=2026-08", "month=2026-09"]
    august = pq.read_table(folder / "month=2026-08")
    assert sorted(august.column("endpoint").to_pylist()) == ["ranker", "tagger"]
    assert pq.read_table(folder / "month=2026-09").column("requests").to_pylist() == [200]
    whole = ds.dataset(folder, format="parquet", partitioning="hive").to_table()
    assert whole.num_rows == 3


def test_export_again_replaces_each_kind(lake) -> None:
    db, out = lake
    (out / "deployment" / "stray.parquet").write_bytes(b"not parquet")
    assert run("--db", str(db), "export", "--out", str(out))[0] == 0
    assert [p.name for p in (out / "deployment").iterdir()] == ["part-0.parquet"]


def test_check_backend_passes_on_an_export(lake) -> None:
    db, out = lake
    code, stdout, err = run("--db", str(db), "--backend", f"spark://local[2]?path={out}",
                            "check-backend")
    assert code == 0, err
    assert "all 15 tables have the event contract's columns and types" in stdout


def test_check_backend_names_each_missing_table_column_and_wrong_type(lake) -> None:
    db, out = lake
    shutil.rmtree(out / "incident")
    deploys = pq.read_table(out / "deployment")
    pq.write_table(deploys.drop_columns(["automated"]).set_column(
        deploys.schema.get_field_index("tier"), "tier", deploys.column("tier").cast(pa.string())),
        out / "deployment" / "part-0.parquet")
    cost = pq.read_table(out / "cost")
    pq.write_table(cost.set_column(cost.schema.get_field_index("date"), "date",
                                   cost.column("date").cast(pa.string())),
                   out / "cost" / "part-0.parquet")
    code, stdout, err = run("--db", str(db), "--backend", f"spark://local[2]?path={out}",
                            "check-backend")
    assert code == 2 and stdout == ""
    lines = err.strip().splitlines()
    assert lines == [
        "mlkpi: column deployment.tier is a string, not an integer.",
        "mlkpi: table 'deployment' has no column 'automated' (a boolean).",
        f"mlkpi: table 'incident' is missing (no folder {out / 'incident'}): export it with "
        "'mlkpi export' or create it with the columns of the event contract ('mlkpi ingest "
        "--help' lists them).",
        "mlkpi: column cost.date is a string, not a date.",
    ]


def test_check_backend_on_the_store_itself(lake) -> None:
    db, _ = lake
    code, stdout, _ = run("--db", str(db), "check-backend")
    assert code == 0 and "all 15 tables" in stdout


def test_a_bad_backend_url_is_one_sentence(lake) -> None:
    db, _ = lake
    code, _, err = run("--db", str(db), "--backend", "spark://local[2]", "kpis",
                       "--period", "2026Q3")
    assert code == 2
    assert err == ("mlkpi: 'spark://local[2]' names no folder; add ?path=DIR, the folder "
                   "'mlkpi export --out DIR' wrote.\n")
    code, _, err = run("--db", str(db), "--backend", "/tmp/x", "slo")
    assert code == 2 and "is not a backend URL" in err


def test_refresh_stores_what_the_engine_computed(lake) -> None:
    db, _ = lake
    code, _, err = run("--db", str(db), "refresh", "--backend", f"duckdb://{db}",
                       "--periods", "2")
    assert code == 0, err
    # 3 grains × 2 periods × (org + teams a, b + tiers 1–3) + the SLO report
    assert "Stored 37 reports computed on duckdb" in err
    now = datetime.now(UTC)
    quarter = parse_period(f"{now.year}Q{(now.month - 1) // 3 + 1}").shift(-1)  # complete
    found = stored(db, "kpis", quarter.label, team="a")
    assert found is not None and found["engine"] == "duckdb"
    direct = kpi_report(db, quarter, team="a")
    for kpi in (*found["report"]["kpis"], *direct["kpis"]):
        kpi.pop("freshness")
    assert found["report"] == json.loads(json.dumps(direct))
    assert stored(db, "kpis", "2020Q1") is None  # never refreshed
    fresh = freshness(db)
    assert fresh["reports"] == 37 and fresh["engines"] == ["duckdb"]
    assert abs((now - fresh["newest"]).total_seconds()) < 600


def test_the_stored_slo_report_narrows_to_a_team_or_tier(lake) -> None:
    db, _ = lake
    assert run("--db", str(db), "refresh", "--periods", "1")[0] == 0
    org = stored(db, "slo")["report"]
    assert [e["endpoint"] for e in org["endpoints"]] and len(org["endpoints"]) == 2
    assert [e["endpoint"] for e in slo_view(org, team="b")["endpoints"]] == ["tagger"]
    assert [e["endpoint"] for e in slo_view(org, tier=1)["endpoints"]] == ["ranker"]
    assert slo_view(org, team="a", tier=2)["endpoints"] == []


def test_refresh_periods_must_be_positive(lake) -> None:
    db, _ = lake
    code, _, err = run("--db", str(db), "refresh", "--periods", "0")
    assert code == 2 and "--periods must be a whole number from 1" in err
