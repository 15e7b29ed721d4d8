"""`mlkpi serve --backend URL`: the dashboard shows the reports `mlkpi refresh` stored and
their age, and never computes them itself (AppTest over a real store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from metrics import compact
from metrics.periods import period_containing
from metrics.store.refresh import refresh
from metrics.store.results import Stored, save_results, stored

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


@pytest.fixture
def refreshed(make_store, monkeypatch) -> tuple[Path, str]:
    """A store refreshed from itself, whose stored org report for the last complete
    quarter then says 12,345 releases a team: a figure no engine would compute here."""
    quarter = period_containing(datetime.now(UTC), "quarter").shift(-1)
    day = quarter.start + timedelta(days=10)
    db = make_store({"team": [{"team": "a"}], "deployment": [
        {"deployment_id": "d1", "team": "a", "model": "m", "tier": 1,
         "spec_approved_at": (day - timedelta(hours=5)).isoformat(),
         "deployed_at": day.isoformat(), "automated": True}]})
    refresh(db, None, periods=2)
    found = stored(db, "kpis", quarter.label)
    report = found["report"]
    for kpi in report["kpis"]:
        if kpi["id"] == "ml_release_throughput":
            kpi["value"] = 12345.0
    save_results(db, [Stored("kpis", quarter.label, None, None, report)], "spark://local[2]",
                 datetime.now(UTC) - timedelta(hours=3))
    st.cache_data.clear()
    monkeypatch.setenv("MLKPI_WARMUP", "0")
    monkeypatch.setenv("MLKPI_DB", str(db))
    monkeypatch.setenv("MLKPI_NOTES", str(db.with_suffix(".notes.sqlite")))
    monkeypatch.delenv("MLKPI_CONFIG", raising=False)
    yield db, quarter.label
    st.cache_data.clear()


def test_serve_with_a_backend_shows_the_stored_figures_and_their_age(refreshed, monkeypatch
                                                                      ) -> None:
    db, quarter = refreshed
    monkeypatch.setenv("MLKPI_BACKEND", "spark://local[2]?path=/nowhere")  # never opened
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["period"] = quarter
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    tiles = "".join(e.proto.body for e in at.get("html"))  # the scorecard's one HTML block
    assert f">{compact.compact(12345.0, 'releases/team/quarter')}<" in tiles
    captions = " ".join(c.value for c in at.sidebar.caption)
    # the oldest stored report (the refresh just now) sets the age: minutes, not 3 h
    assert "Figures computed on duckdb, spark://local[2]" in captions
    assert "by mlkpi refresh" in captions


def test_serve_without_a_backend_computes_from_the_store(refreshed, monkeypatch) -> None:
    db, quarter = refreshed
    monkeypatch.delenv("MLKPI_BACKEND", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["period"] = quarter
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert compact.compact(12345.0, "releases/team/quarter") not in [m.value for m in at.metric]
    assert not any("Figures computed" in c.value for c in at.sidebar.caption)
