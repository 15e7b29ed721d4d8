"""Invariants of the whole codebase (as datasette's test_docs.py does for its settings)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from metrics.cli.main import build_parser
from metrics.events import KINDS

ROOT = Path(__file__).resolve().parent.parent


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


# the sub-commands the command-line contract promises; more may exist
CONTRACT = ["ingest", "import", "kpis", "report", "close", "slo", "status", "sample", "serve",
            "demo"]


def test_every_command_of_the_contract_exists():
    assert set(CONTRACT) <= set(_subparsers())


@pytest.mark.parametrize("command", sorted(_subparsers()))
def test_every_option_of_every_command_is_explained(command):
    sub = _subparsers()[command]
    assert sub.description, f"mlkpi {command} has no description"
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help and len(action.help) > 10, f"mlkpi {command} {action.dest}: no help"


def test_ingest_help_lists_every_kind_and_column():
    out = subprocess.run([sys.executable, "-m", "metrics.cli", "ingest", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for kind in KINDS.values():
        assert f"{kind.name}: " in out
        for col in kind.columns:
            assert re.search(rf"^\s+{col.name}\s", out, re.M), (kind.name, col.name)


def test_global_help_runs_without_importing_the_engines():
    code = ("import sys; from metrics.cli.main import build_parser; build_parser(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ibis', 'pandas')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_dashboard_never_imports_duckdb_nor_holds_sql():
    sql = re.compile(r"\b(SELECT\b.*\bFROM|INSERT INTO|CREATE TABLE)\b")
    for path in _python_files("dashboard"):
        text = path.read_text()
        assert not re.search(r"^\s*(import duckdb|from duckdb)", text, re.M), path
        assert not sql.search(text), f"SQL in {path}"


def test_metrics_never_imports_the_ui():
    for path in _python_files("metrics"):
        text = path.read_text()
        assert not re.search(r"^\s*(import|from) (streamlit|plotly)\b", text, re.M), path


def test_the_console_script_points_at_a_function():
    import importlib
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["mlkpi"].partition(":")
    assert callable(getattr(importlib.import_module(module), name))


def test_no_module_outgrows_one_screenful_of_topics():
    """The house keeps modules to about 300 lines: a module that grows past it has become
    two topics, and is split where a newcomer would look for each."""
    too_long = {str(p.relative_to(ROOT)): n for p in [*(ROOT / "metrics").rglob("*.py"),
                                                      *(ROOT / "dashboard").rglob("*.py")]
                if (n := len(p.read_text(encoding="utf-8").splitlines())) > 320}
    assert too_long == {}
