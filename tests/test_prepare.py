"""metrics.sql.prepare: `mlkpi ingest` compiles the first-asked queries on the new data, so
the first `mlkpi kpis` / `mlkpi slo` after it imports no ibis; preparing never fails or
changes an ingest."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import cli_probe

from metrics.ingest.run import ingest
from metrics.periods import period_containing
from metrics.sql import prepare as prep

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "metrics.cli", *args], capture_output=True,
                          text=True)


def test_quarters_to_prepare() -> None:
    now = datetime(2026, 11, 22, 9, tzinfo=UTC)
    labels = [q.label for q in prep.quarters_to_prepare(now, datetime(2026, 5, 1, tzinfo=UTC))]
    assert labels == ["2026Q4", "2026Q3", "2026Q2"]
    # the newest event in a quarter already listed adds nothing; an empty store adds nothing
    assert [q.label for q in prep.quarters_to_prepare(
        now, datetime(2026, 9, 30, 23, 59, tzinfo=UTC))] == ["2026Q4", "2026Q3"]
    assert [q.label for q in prep.quarters_to_prepare(
        datetime(2026, 1, 1, tzinfo=UTC), None)] == ["2026Q1", "2025Q4"]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MLKPI_CACHE_DIR", str(folder))
    return folder


def _sample_file(kind: str) -> Path:
    return next(SAMPLE.glob(kind + ".*"))


def _all_but(db: Path, left_out: str | None = None) -> None:
    """The committed sample in ``db`` by library ingest (which prepares nothing), every kind
    but ``left_out``."""
    for path in sorted(SAMPLE.iterdir()):
        if path.name.split(".")[0] != left_out:
            assert ingest(db, path.name.split(".")[0], [str(path)]).exit_code == 0


def test_the_first_commands_after_an_ingest_need_no_compile(tmp_path: Path, cache: Path) -> None:
    db = tmp_path / "mlkpi.duckdb"
    _all_but(db, "team")
    run = _cli("--db", str(db), "ingest", "team", str(_sample_file("team")), "--format", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["inserted"] > 0  # stdout is still exactly the JSON
    assert "Traceback" not in run.stderr
    assert len(list((cache / "prepared").iterdir())) >= 3  # two quarters and the SLO report

    quarter = period_containing(datetime.now(UTC), "quarter")
    for command in (["kpis", "--period", quarter.label], ["kpis", "--period",
                                                          quarter.shift(-1).label], ["slo"]):
        modules, out = cli_probe("--db", str(db), *command, "--format", "json")
        assert modules == "[]", f"{command} compiled after the ingest had prepared it"
        assert json.loads(out)  # a real report
    # the 8-quarter series behind the dashboard's tiles, as the dashboard asks for it
    code = ("import sys; from pathlib import Path; from metrics.kpi.report import kpi_series; "
            "from metrics.periods import parse_period; "
            f"s = kpi_series(Path({str(db)!r}), parse_period({quarter.shift(-1).label!r}), "
            "n=8, grain='quarter'); print(len(s) > 0, 'ibis' in sys.modules)")
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert probe.stdout.split() == ["True", "False"], probe.stderr


def test_an_ingest_that_stores_nothing_prepares_nothing(tmp_path: Path, cache: Path) -> None:
    db = tmp_path / "mlkpi.duckdb"
    _all_but(db)
    run = _cli("--db", str(db), "ingest", "team", str(_sample_file("team")), "--format", "json")
    assert run.returncode == 0 and json.loads(run.stdout)["inserted"] == 0
    assert not (cache / "prepared").exists() and not (cache / "queries").exists()


def test_prepared_reports_are_not_prepared_again(tmp_path: Path, cache: Path) -> None:
    db = tmp_path / "mlkpi.duckdb"
    _all_but(db, "inference_sli")
    first = prep.prepare(db)
    assert [n for n in first if n.startswith("kpis ")] and first[-1] == "slo"
    assert [n.replace("series", "kpis") for n in first if n.startswith("series ")] == \
        [n for n in first if n.startswith("kpis ")]  # each quarter's 8-quarter series too
    assert prep.prepare(db) == []  # every report marked: two small reads, nothing run
    # … and no ibis (nor pandas) imported to find that out: 0.45 s of every later import
    code = ("import sys; from metrics.sql.prepare import prepare; "
            f"print(prepare({str(db)!r}), 'ibis' in sys.modules, 'pandas' in sys.modules)")
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert probe.stdout.split() == ["[]", "False", "False"], probe.stderr
    # a kind that was empty now has rows: shapes may differ, so every report runs again
    assert ingest(db, "inference_sli", [str(_sample_file("inference_sli"))]).exit_code == 0
    assert prep.prepare(db) == first
    assert prep.prepare(db) == []


def test_preparing_never_fails_an_ingest(tmp_path: Path, cache: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    assert prep.prepare(tmp_path / "absent.duckdb") == []  # no store: nothing, no error
    db = tmp_path / "mlkpi.duckdb"
    _all_but(db)

    def broken(*args, **kwargs):
        raise RuntimeError("a formula bug")

    monkeypatch.setattr("metrics.kpi.report.kpi_report", broken)
    done = prep.prepare(db)  # the KPI reports failed quietly; the series and SLO ones ran
    assert done[-1] == "slo" and done[:-1] and all(n.startswith("series ") for n in done[:-1])
    monkeypatch.undo()
    monkeypatch.setenv("MLKPI_CACHE_DIR", str(cache))
    assert [n for n in prep.prepare(db) if n.startswith("kpis ")]  # not marked: tried again
