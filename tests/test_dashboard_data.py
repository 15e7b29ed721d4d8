"""dashboard.data and its cache on a real (small) store: one entry per call whatever the
spelling of its arguments, a new snapshot recomputes, and the cost-by-service statuses
are the engine's."""

from __future__ import annotations

import os

import pytest
import streamlit as st

from dashboard import cache, data
from metrics.kpi import report as kpi_engine
from metrics.periods import parse_period
from metrics.store.db import snapshot_path


def cost(day: str, team: str, service: str, usd: float, inferences: int) -> dict:
    return {"date": day, "team": team, "service": service, "category": "inference",
            "cost_usd": usd, "inferences": inferences}


@pytest.fixture
def store(make_store, monkeypatch):
    db = make_store({"cost": [
        cost("2026-08-01", "a", "svc1", 30.0, 10000),   # 3.0 per 1k; nothing a year before
        cost("2026-08-31", "b", "svc2", 20.0, 40000),   # 0.5 per 1k
        cost("2025-08-10", "b", "svc2", 40.0, 32000),   # 1.25 per 1k a year before
    ]})
    monkeypatch.setenv("MLKPI_DB", str(db))
    monkeypatch.delenv("MLKPI_CONFIG", raising=False)
    st.cache_data.clear()
    yield db
    st.cache_data.clear()


def test_cost_by_service_takes_each_status_from_the_engines_rule(store) -> None:
    table = data.cost_by_service_vs_year(parse_period("2026-08")).set_index("service")
    # svc2: change 100 × (0.5 − 1.25) ÷ 1.25 = −60, past the −30 stretch; level 1.25 × 0.9
    assert table.loc["svc2", "cost_per_1k"] == pytest.approx(0.5)
    assert table.loc["svc2", "target_level"] == pytest.approx(1.125)
    assert table.loc["svc2", "status"] == "ahead"
    # svc1 has no cost a year before: no baseline (not "off track")
    assert table.loc["svc1", "status"] == "no_baseline"


def test_equal_calls_share_one_cache_entry_until_the_next_snapshot(store, monkeypatch) -> None:
    calls = []
    real = kpi_engine.kpi_series

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(kpi_engine, "kpi_series", counting)
    aug = parse_period("2026-08")
    first = data.kpi_series(aug)
    data.kpi_series(aug, 8)
    data.kpi_series(aug, n=8, kpi_ids=None, team=None, tier=None)
    assert len(calls) == 1 and set(first["period"].astype(str)) >= {"2026-08"}
    data.kpi_series(aug, 4)
    assert len(calls) == 2

    with cache.one_snapshot() as pinned:
        snapshot = snapshot_path(store)
        os.utime(snapshot, (snapshot.stat().st_atime, snapshot.stat().st_mtime + 10))
        data.kpi_series(aug)  # pinned: the run goes on reading the snapshot it started on
        assert len(calls) == 2 and cache.current() == pinned
    data.kpi_series(aug)  # the next run sees the new snapshot
    assert len(calls) == 3


def test_callers_of_a_figure_being_computed_wait_for_it_instead_of_computing_it_again(
        store, monkeypatch) -> None:
    """The warm-up and the first visitor (or two visitors) asking for the same figure at
    once: one computes, the others wait and read its result (``st.cache_data`` holds a
    lock per entry while computing it: the warm-up started with the server relies on it);
    another figure is not held up; a computation that fails lets the next caller compute."""
    import threading

    calls, release = [], threading.Event()
    real = kpi_engine.kpi_report

    def slow(*args, **kwargs):
        calls.append(args[1].label)
        if args[1].label == "2026-08":
            assert release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(kpi_engine, "kpi_report", slow)
    aug, jul = parse_period("2026-08"), parse_period("2026-07")
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(data.kpi_report(aug)))
               for _ in range(3)]
    for t in threads:
        t.start()
    while not calls:
        threading.Event().wait(0.01)
    data.kpi_report(jul)  # another figure: computed while August's is still running
    assert calls == ["2026-08", "2026-07"]
    release.set()
    for t in threads:
        t.join(30)
    assert calls == ["2026-08", "2026-07"] and len(results) == 3
    assert results[0] == results[1] == results[2]

    def failing(*args, **kwargs):
        calls.append("failed")
        raise RuntimeError("the store went away")

    monkeypatch.setattr(kpi_engine, "kpi_report", failing)
    sep = parse_period("2026-09")
    with pytest.raises(RuntimeError):
        data.kpi_report(sep)
    monkeypatch.setattr(kpi_engine, "kpi_report", slow)
    assert data.kpi_report(sep)["period"] == "2026-09"  # not left waiting on the failure
    assert calls[-2:] == ["failed", "2026-09"]


def test_the_dashboards_modules_import_no_ibis() -> None:
    """The compiled templates answer the default views without ibis; importing it with the
    dashboard's modules cost the first page after a start 0.5 s (the SLO charts, which do
    use it, import it when drawn)."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; from dashboard import cache, components, data, filters, signin, "
            "stored, tiles, warmup; print('ibis' in sys.modules)")
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           cwd=Path(__file__).resolve().parent.parent)
    assert probe.stdout.strip() == "False", probe.stderr[-2000:]
