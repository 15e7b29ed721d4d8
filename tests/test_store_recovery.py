"""After a kill: the next writer or reader publishes what was committed and removes what
dead ingests left behind, never what a running one still uses. Real SIGKILLs of real
ingest processes, stopped at chosen points by patching one function in the child."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from metrics.cli.main import main
from metrics.ingest.run import ingest
from metrics.store import recovery
from metrics.store.db import connect_read, snapshot_path

ROOT = Path(__file__).resolve().parents[1]

# the child ingests argv[2] into argv[1] and stops where argv[3] says
_CHILD = """
import os, signal, sys, time
from pathlib import Path
from metrics.ingest import run
from metrics.store import snapshots

def kill(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

def wait(*args, **kwargs):  # hold the writer lock, with the scratch folder made
    Path(sys.argv[1] + ".ready").write_text(str(os.getpid()))
    time.sleep(120)

if sys.argv[3] == "before-publish":
    snapshots.publish_snapshot = kill    # after the commit, before the snapshot is replaced
elif sys.argv[3] == "mid-ingest":
    run.row_errors.collect = kill  # typed rows written to scratch, nothing committed
elif sys.argv[3] == "hold":
    run.row_errors.collect = wait
run.ingest(Path(sys.argv[1]), "team", [sys.argv[2]])
"""


def child(db: Path, csv: Path, where: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", _CHILD, str(db), str(csv), where], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def teams_csv(path: Path, *teams: str) -> Path:
    path.write_text("team,area\n" + "".join(f"{t},platform\n" for t in teams))
    return path


def in_snapshot(db: Path) -> list[str]:
    """The teams in the published snapshot file itself, opened without any recovery."""
    con = duckdb.connect(str(snapshot_path(db)), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT team FROM team ORDER BY team").fetchall()]
    finally:
        con.close()


def read_teams(db: Path) -> list[str]:
    con = connect_read(db)
    try:
        return [r[0] for r in con.execute("SELECT team FROM team ORDER BY team").fetchall()]
    finally:
        con.close()


@pytest.fixture
def store(tmp_path) -> Path:
    db = tmp_path / "s.duckdb"
    assert ingest(db, "team", [str(teams_csv(tmp_path / "a.csv", "alpha"))]).inserted == 1
    return db


def test_a_batch_killed_between_commit_and_publish_is_published_by_the_next_reader(
        tmp_path, store):
    proc = child(store, teams_csv(tmp_path / "b.csv", "beta"), "before-publish")
    assert proc.wait(timeout=120) == -signal.SIGKILL, proc.stderr.read()
    assert in_snapshot(store) == ["alpha"]  # committed, not published
    assert recovery.unpublished(store)
    assert read_teams(store) == ["alpha", "beta"]  # a reader opening the store publishes it
    assert in_snapshot(store) == ["alpha", "beta"]
    assert not recovery.unpublished(store)


def test_a_batch_killed_between_commit_and_publish_shows_in_mlkpi_status(
        tmp_path, store, capsys):
    proc = child(store, teams_csv(tmp_path / "b.csv", "beta"), "before-publish")
    assert proc.wait(timeout=120) == -signal.SIGKILL
    assert main(["--db", str(store), "status", "--format", "json"]) == 0
    assert '"team": {"rows": 2' in capsys.readouterr().out


def test_a_batch_killed_between_commit_and_publish_is_published_by_the_next_ingest(
        tmp_path, store):
    proc = child(store, teams_csv(tmp_path / "b.csv", "beta"), "before-publish")
    assert proc.wait(timeout=120) == -signal.SIGKILL
    # the next ingest fails on its file, and still publishes what the killed one committed
    (tmp_path / "c.csv").write_text("area\nx\n")
    assert ingest(store, "team", [str(tmp_path / "c.csv")]).file_errors
    assert in_snapshot(store) == ["alpha", "beta"]


def test_leftovers_of_a_killed_ingest_are_removed_by_the_next_reader(tmp_path, store):
    proc = child(store, teams_csv(tmp_path / "b.csv", "beta"), "mid-ingest")
    assert proc.wait(timeout=120) == -signal.SIGKILL
    (tmp_path / "s.duckdb.snapshot.tmp").write_bytes(b"half a copy")  # as a killed publish
    left = recovery.leftovers(store)
    assert any(p.name.startswith(".s.duckdb.ingest-") for p in left)
    assert tmp_path / "s.duckdb.snapshot.tmp" in left
    assert read_teams(store) == ["alpha"]  # nothing of the killed ingest was committed
    assert recovery.leftovers(store) == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_leftovers_of_a_killed_ingest_are_removed_by_the_next_ingest(tmp_path, store):
    proc = child(store, teams_csv(tmp_path / "b.csv", "beta"), "mid-ingest")
    assert proc.wait(timeout=120) == -signal.SIGKILL
    assert recovery.leftovers(store)
    assert ingest(store, "team", [str(teams_csv(tmp_path / "c.csv", "gamma"))]).inserted == 1
    assert recovery.leftovers(store) == []
    assert read_teams(store) == ["alpha", "gamma"]


def test_the_scratch_folder_of_a_running_ingest_is_left_alone(tmp_path, store):
    proc = child(store, teams_csv(tmp_path / "b.csv", "beta"), "hold")
    try:
        ready = Path(str(store) + ".ready")
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        running = recovery.leftovers(store)
        assert any(p.name.startswith(".s.duckdb.ingest-") for p in running)
        assert read_teams(store) == ["alpha"]  # a reader while the ingest runs
        assert all(p.exists() for p in running)  # ... touched none of its files
    finally:
        proc.kill()  # the child started above, by its own pid
        proc.wait(timeout=60)
    assert read_teams(store) == ["alpha"]
    assert recovery.leftovers(store) == []  # now it is dead, its folder goes
