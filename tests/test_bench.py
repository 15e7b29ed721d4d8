"""The benchmark runs end to end at a tiny size, so it cannot rot. It asserts no times:
only that every figure is printed and that pandas and mlkpi agree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_bench_prints_every_figure_and_the_answers_agree(tmp_path):
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--sli-rows", "60000", "--repeat", "1", "--no-browser",
         "--work", str(tmp_path / "work"), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads((out / "results.json").read_text())
    steps = results["steps"]
    for step in ("ingest_parquet", "ingest_csv"):
        assert steps[step]["rows"] == 60000 and steps[step]["rows_per_s"] > 0
        assert steps[step]["peak_gb"] > 0
    for step in ("kpis", "slo", "kpis_first", "slo_first", "kpis_kept", "slo_kept"):
        assert steps[step]["seconds"] > 0 and steps[step]["exit"] == 0
    assert steps["kept_agree"] is True  # kept answers read back = computed afresh
    assert steps["agreement"] == {"agree": True, "checked": steps["agreement"]["checked"],
                                  "differences": []}
    assert steps["agreement"]["checked"] > 2
    table = (out / "results.md").read_text()
    for label in ("Ingest, Parquet", "Ingest, CSV", "mlkpi kpis", "mlkpi slo", "pandas script",
                  "first run after the ingests"):
        assert label in table
    assert "agree on every answer: yes" in table
    assert "kept answers equal the ones computed afresh: yes" in table


def test_the_chunked_pandas_script_gives_the_whole_file_answers(tmp_path):
    """Above 40M rows the pandas baseline reads row groups; it must answer the same."""
    import duckdb

    from bench import pandas_baseline

    source = ROOT / "sample_data" / "inference_sli.parquet"
    many = tmp_path / "many_groups.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_parquet('{source}') ORDER BY random()) "
                f"TO '{many}' (ROW_GROUP_SIZE 2048)")
    whole = pandas_baseline.answers(many, "2026Q3")
    chunked = pandas_baseline.answers_chunked(many, "2026Q3")
    assert chunked["availability"] == pytest.approx(whole["availability"], rel=1e-12)
    assert chunked["latency_slo"] == pytest.approx(whole["latency_slo"], rel=1e-12)
    assert chunked["endpoints"].keys() == whole["endpoints"].keys()
    for name, figures in whole["endpoints"].items():
        for key, value in figures.items():
            got = chunked["endpoints"][name][key]
            assert (got is None) == (value is None), (name, key)
            if value is not None:
                assert got == pytest.approx(value, rel=1e-12), (name, key)


def test_a_browserless_session_counts_only_when_it_drew_the_whole_page():
    from bench.browser import BenchError, _checked

    whole = {"seconds": 0.05, "status": 0, "errors": [], "elements": {"html": 1}, "tiles": 21}
    assert _checked(whole, "scorecard", 21) == 0.05
    for broken in ({**whole, "tiles": 20}, {**whole, "status": 2},
                   {**whole, "errors": ["StoreError: gone"]}):
        with pytest.raises(BenchError, match="session without a browser"):
            _checked(broken, "scorecard", 21)
    with pytest.raises(BenchError, match="no review table"):
        _checked({**whole, "elements": {"markdown": 3}}, "quarterly", 21)
    assert _checked({**whole, "elements": {"dataframe": 1}}, "quarterly", 21) == 0.05


def test_sessions_of_a_burst_keep_their_socket_until_all_have_their_page():
    """As browsers keep their page's session open: the first to finish waits for the last,
    and its time is still its own."""
    import asyncio

    from bench.browser import _support

    async def burst() -> list[tuple[str, float]]:
        tally, log = _support()._Tally(3), []

        async def session(name: str, work: float) -> None:
            await asyncio.sleep(work)
            log.append((f"{name} finished", asyncio.get_running_loop().time()))
            await tally.one_done()
            log.append((f"{name} closes", asyncio.get_running_loop().time()))

        await asyncio.gather(session("a", 0.0), session("b", 0.05), session("c", 0.1))
        return log

    log = asyncio.run(burst())
    assert [what for what, _ in log[:3]] == ["a finished", "b finished", "c finished"]
    assert {what for what, _ in log[3:]} == {"a closes", "b closes", "c closes"}
    assert min(t for _, t in log[3:]) >= log[2][1]  # nobody closes before c's page
