"""Compiled query templates (metrics.sql.templates): the same numbers as the formulas
themselves, reused across periods and scopes, leaks caught, and a CLI without ibis."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import cli_probe

from metrics.catalog import load_catalog
from metrics.config import OrgConfig
from metrics.ingest.run import ingest
from metrics.kpi.compute import compute
from metrics.kpi.context import Ctx, Scope
from metrics.periods import parse_period
from metrics.sql import templates as compiled
from metrics.sql.backend import backend_for
from metrics.store.db import connect_read

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("compiled") / "mlkpi.duckdb"
    for path in sorted(SAMPLE.iterdir()):
        result = ingest(db, path.name.split(".")[0], [str(path)])
        assert result.exit_code == 0, (path.name, result.file_errors)
    return db


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MLKPI_CACHE_DIR", str(folder))
    return folder / "queries"


def _direct(db: Path, scope: Scope, wanted: dict) -> dict:
    """The same KPIs straight from the ibis expressions (literal values, no template)."""
    from metrics.kpi.formulas import expression

    con = connect_read(db)
    try:
        ctx = Ctx(con, scope, load_catalog(), OrgConfig())
        rows = backend_for(con).to_pyarrow(expression(ctx, wanted)).to_pylist()
    finally:
        con.close()
    return {(r["kpi"], r["period"]): (r["value"], r["sample_size"]) for r in rows}


def _templated(db: Path, scope: Scope, wanted: dict) -> dict:
    con = connect_read(db)
    try:
        results = compute(Ctx(con, scope, load_catalog(), OrgConfig()), wanted)
    finally:
        con.close()
    return {k: (r.value, r.sample_size) for k, r in results.items()}


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key, (value, size) in a.items():
        assert size == b[key][1], key
        if value is None or b[key][0] is None:
            assert value is None and b[key][0] is None, key
        else:
            assert value == pytest.approx(b[key][0], rel=1e-12), key


@pytest.mark.parametrize("scope", [Scope(), Scope("fraud"), Scope(None, 1),
                                   Scope("platform", 2)], ids=str)
def test_one_template_serves_every_month_with_the_formulas_numbers(
        sample_db: Path, cache: Path, scope: Scope) -> None:
    every = list(load_catalog())
    july, august = parse_period("2026-07"), parse_period("2026-08")  # 31 days each
    first = _templated(sample_db, scope, {k: [july, july.shift(-12)] for k in every})
    kept = sorted(cache.glob("*.sql"))
    assert kept, "the first call keeps its template"
    second = _templated(sample_db, scope, {k: [august, august.shift(-12)] for k in every})
    assert sorted(cache.glob("*.sql")) == kept, "the same shape compiles nothing new"
    assert "$s0" in kept[0].read_text() and "2026" not in kept[0].read_text()
    _same(first, _direct(sample_db, scope, {k: [july, july.shift(-12)] for k in every}))
    _same(second, _direct(sample_db, scope, {k: [august, august.shift(-12)] for k in every}))
    assert any(v[0] is not None for v in second.values())


def test_weeks_across_a_year_end_and_quarters_of_other_lengths(sample_db: Path,
                                                              cache: Path) -> None:
    # 2025-W01 starts 2024-12-30; 2026Q1 has 90 days, 2026Q3 92: distinct shapes
    for label in ("2026-W01", "2025-W52", "2026Q1", "2026Q3", "2025-12"):
        period = parse_period(label)
        wanted = {k: [period.shift(-2), period.shift(-1), period] for k in load_catalog()}
        _same(_templated(sample_db, Scope(), wanted), _direct(sample_db, Scope(), wanted))


def _leaky(team: str):
    """A query whose team reaches the SQL as a literal, not as a parameter."""
    def build(is_check: bool):
        from metrics.sql.backend import backend_for

        con = connect_read(Path(os.environ["LEAKY_DB"]))
        t = backend_for(con).table("deployment")
        name = "nobody" if is_check else team
        mine = t.filter(t.team == name)
        return mine.aggregate(n=mine.count())
    return compiled.Query("leaky", (), {}, {}, build)


def test_a_value_outside_the_parameters_fails_under_strict(sample_db: Path, cache: Path,
                                                           monkeypatch) -> None:
    monkeypatch.setenv("LEAKY_DB", str(sample_db))
    con = connect_read(sample_db)
    with pytest.raises(compiled.TemplateError, match="outside its parameters"):
        compiled.fetch(con, _leaky("fraud"))
    monkeypatch.setenv(compiled.STRICT_ENV, "0")
    rows = compiled.fetch(con, _leaky("fraud"))  # runs uncompiled, right answer
    expected = con.execute("SELECT count(*) FROM deployment WHERE team = 'fraud'").fetchone()
    assert rows == [{"n": expected[0]}] and expected[0] > 0
    assert not list(cache.glob("*.sql")), "a leaky template is never kept"
    con.close()


def test_an_unwritable_cache_only_costs_speed(sample_db: Path, tmp_path: Path,
                                              monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MLKPI_CACHE_DIR", str(blocker))
    q3 = parse_period("2026Q3")
    wanted = {"time_to_detect": [q3]}
    _same(_templated(sample_db, Scope(), wanted), _direct(sample_db, Scope(), wanted))




@pytest.mark.parametrize("command", [["kpis", "--period", "2026Q3"], ["slo"],
                                     ["kpis", "--period", "2026-08", "--team", "fraud"]])
def test_the_cli_does_not_import_ibis_once_a_shape_is_compiled(
        sample_db: Path, cache: Path, command: list[str]) -> None:
    args = ["--db", str(sample_db), *command, "--format", "json"]
    cold_modules, cold_out = cli_probe(*args)
    warm_modules, warm_out = cli_probe(*args)
    assert "ibis" in cold_modules  # compiled on the first call
    assert warm_modules == "[]"
    assert json.loads(warm_out) == json.loads(cold_out)
