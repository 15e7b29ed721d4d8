"""Ingest in a loop while dashboard-like reader processes query: zero reader errors,
never a partial batch, and each finished ingest visible the moment it returns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import write_csv

from metrics.ingest.run import ingest
from metrics.store.db import connect_read

ROOT = Path(__file__).resolve().parents[1]
BATCHES, BATCH_ROWS, READERS = 8, 50, 4

# A reader process: open the hardened snapshot, count, close, again, until told to stop.
READER = r"""
import json, sys, time, traceback
from pathlib import Path
from metrics.store.db import connect_read
db, stop, batch = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
reads, errors, partial, seen = 0, [], [], set()
deadline = time.monotonic() + 60
while not stop.exists() and time.monotonic() < deadline:
    try:
        con = connect_read(db)
        try:
            n = con.execute("SELECT count(*) FROM inference_sli").fetchone()[0]
        finally:
            con.close()
        reads += 1
        seen.add(n)
        if n % batch:
            partial.append(n)
    except Exception:
        errors.append(traceback.format_exc(limit=2))
    time.sleep(0.01)  # a busy dashboard, not a spin loop starving the writer of CPU
print(json.dumps({"reads": reads, "errors": errors[:5], "n_errors": len(errors),
                  "partial": partial[:5], "seen": sorted(seen)}))
"""


def _batch(tmp_path: Path, b: int) -> Path:
    rows = [{"endpoint": f"ep-{b}", "team": "search", "tier": "1",
             "window_start": f"2026-09-01T{i // 60:02d}:{i % 60:02d}:00Z",
             "window_seconds": "60", "requests": "100", "errors": str(i % 3)}
            for i in range(BATCH_ROWS)]
    return write_csv(tmp_path / f"batch{b}.csv", rows)


def test_ingest_loop_with_four_reader_processes(tmp_path):
    db = tmp_path / "live.duckdb"
    assert ingest(db, "inference_sli", [str(_batch(tmp_path, 0))]).exit_code == 0
    files = [_batch(tmp_path, b) for b in range(1, BATCHES + 1)]
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(db), str(stop),
                                 str(BATCH_ROWS)], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(READERS)]
    visible = []
    try:
        time.sleep(1.0)  # let the readers get going
        for b, path in enumerate(files, start=1):
            run = subprocess.run([sys.executable, "-m", "metrics.cli", "--db", str(db),
                                  "ingest", "inference_sli", str(path)],
                                 env=env, capture_output=True, text=True, timeout=60)
            assert run.returncode == 0, run.stderr
            con = connect_read(db)  # a fresh reader, 0 s after the command returned
            try:
                visible.append(con.execute("SELECT count(*) FROM inference_sli").fetchone()[0])
            finally:
                con.close()
            assert visible[-1] == (b + 1) * BATCH_ROWS, visible
    finally:
        stop.touch()
        reports = []
        for proc in readers:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            reports.append(json.loads(out))
    assert [r["n_errors"] for r in reports] == [0] * READERS, [r["errors"] for r in reports]
    assert all(r["partial"] == [] for r in reports), reports
    assert all(r["reads"] >= 5 for r in reports), [r["reads"] for r in reports]
    seen = set().union(*(r["seen"] for r in reports))
    assert len(seen) >= 3, seen  # the readers really overlapped several publishes
    assert visible == [(b + 1) * BATCH_ROWS for b in range(1, BATCHES + 1)]
