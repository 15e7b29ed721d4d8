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
    for step in ("kpis", "slo"):
        assert steps[step]["seconds"] > 0 and steps[step]["exit"] == 0
    assert steps["agreement"] == {"agree": True, "checked": steps["agreement"]["checked"],
                                  "differences": []}
    assert steps["agreement"]["checked"] > 2
    table = (out / "results.md").read_text()
    for label in ("Ingest, Parquet", "Ingest, CSV", "mlkpi kpis", "mlkpi slo", "pandas script"):
        assert label in table
    assert "agree on every answer: yes" in table
