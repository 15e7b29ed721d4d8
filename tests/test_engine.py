"""Choosing the engine (metrics.sql.engine): URLs, names without secrets, and an engine
that lacks an operation refusing the KPI rather than approximating it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from metrics.catalog import load_catalog
from metrics.config import OrgConfig
from metrics.errors import MlkpiError
from metrics.kpi.compute import compute
from metrics.kpi.context import Ctx, Scope
from metrics.periods import parse_period
from metrics.sql.engine import DuckDBEngine, connect, public_name, query_options


def test_public_name_drops_password_and_query() -> None:
    assert public_name("trino://ana:s3cret@trino.internal:8080/hive?source=x") == \
        "trino://ana@trino.internal:8080/hive"
    assert public_name("sc://spark.internal:15002?database=kpi&token=abc") == \
        "sc://spark.internal:15002"


def test_query_options() -> None:
    assert query_options("spark://local[2]?path=/lake&memory=2g") == \
        {"path": "/lake", "memory": "2g"}
    assert query_options("spark://local[2]") == {}


def test_duckdb_url_is_the_store(make_store) -> None:
    db = make_store({"team": [{"team": "a"}]})
    engine = connect(Path("unused.duckdb"), f"duckdb://{db}")
    try:
        assert isinstance(engine, DuckDBEngine) and engine.name == "duckdb"
        assert engine.con.execute("SELECT team FROM team").fetchall() == [("a",)]
    finally:
        engine.close()


@pytest.mark.parametrize(("url", "said"), [
    ("duckdb://", "names no store"),
    ("local[2]", "is not a backend URL"),
    ("spark://local[2]?path=/no/such/folder", "there is no folder /no/such/folder"),
    ("spark://yarn", "is not a local Spark URL"),
])
def test_bad_urls_are_one_sentence(tmp_path, url: str, said: str) -> None:
    with pytest.raises(MlkpiError, match=said):
        connect(tmp_path / "x.duckdb", url)


def test_an_engine_without_the_operation_refuses_the_kpi(tmp_path) -> None:
    """SQLite (through ibis) has no exact median (as Trino and BigQuery have none): lead
    time is refused in one sentence, not approximated; nothing is queried for it."""
    path = tmp_path / "events.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE deployment (deployment_id TEXT, team TEXT, model TEXT, "
                    "tier INTEGER, spec_approved_at TIMESTAMP, deployed_at TIMESTAMP, "
                    "automated BOOLEAN, rollback BOOLEAN)")
        con.execute("CREATE TABLE team (team TEXT, area TEXT, lead TEXT)")
    engine = connect(tmp_path / "unused.duckdb", f"sqlite:///{path}")
    assert engine.name == f"sqlite:///{path}"  # the URL as given: it has no secret
    ctx = Ctx(engine, Scope(), load_catalog(), OrgConfig())
    results = compute(ctx, {"lead_time_for_ml_changes": [parse_period("2026Q3")]})
    assert results == {}
    assert ctx.memo["refused"] == {"lead_time_for_ml_changes": (
        f"lead_time_for_ml_changes is not computed on sqlite:///{path}: the engine has no "
        "exact median, and mlkpi does not approximate it; run this KPI on the store or on "
        "Spark.")}
