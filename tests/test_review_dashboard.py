"""The quarterly review page of a closed quarter: closed figures in the table, each
restatement with its reason, and the pack's PDF, HTML and CSV downloads (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_review_close import LATE, ON_TIME, ROSTER

from metrics.cli.main import main
from metrics.periods import parse_period

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    st.cache_data.clear()
    monkeypatch.setenv("MLKPI_WARMUP", "0")
    monkeypatch.delenv("MLKPI_CONFIG", raising=False)
    monkeypatch.delenv("MLKPI_READ_MEMORY", raising=False)
    monkeypatch.setenv("MLKPI_NOTES", str(tmp_path / "notes.sqlite"))
    yield
    st.cache_data.clear()


def test_closed_quarter_shows_restatements_and_offers_the_pack(make_store, monkeypatch):
    db = make_store({"team": ROSTER, "deployment": ON_TIME})
    assert main(["--db", str(db), "close", "--period", "2026Q3", "--by", "ana"]) == 0
    make_store({"deployment": LATE}, db=db)
    monkeypatch.setenv("MLKPI_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["period"] = "2026Q3"
    at.switch_page("app_pages/quarterly.py")
    at.run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert any("2026Q3 was closed" in i.value and "by ana" in i.value for i in at.info)
    warnings = [w.value for w in at.warning]
    reason = "late events: 4 deployments ingested after close"
    assert any(w.startswith("**ML feature delivery throughput** restated: closed at 2 "
                            "releases/team/quarter, now 4 releases/team/quarter — " + reason)
               for w in warnings), warnings
    assert any("**Lead time for ML changes** restated" in w for w in warnings)
    table = at.table[0].value  # the readable table, indexed by KPI
    row = table.loc["ML feature delivery throughput"]
    assert row["Value"] == "2 releases/team/quarter"  # the closed figure is the quarter's
    assert row["Restated"] == f"now 4 releases/team/quarter: {reason}"
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[-3:] == ["Report (PDF)", "Report (HTML, works offline)",
                           "Table (CSV, for Excel)"]


def test_the_downloads_are_the_packs_files(make_store, monkeypatch) -> None:
    from dashboard import data

    db = make_store({"team": ROSTER, "deployment": ON_TIME})
    monkeypatch.setenv("MLKPI_DB", str(db))
    q3 = parse_period("2026Q3")
    assert data.review_file(q3, None, None, "pdf").startswith(b"%PDF-")
    assert data.review_file(q3, None, None, "csv").startswith(b"\xef\xbb\xbfperiod,")
    page = data.review_file(q3, None, None, "html").decode("utf-8")
    assert "ML KPI review 2026Q3" in page and " KPIs on track or ahead." in page
