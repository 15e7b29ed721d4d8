"""Shared fixtures: real DuckDB stores built through the real ingest path."""

from __future__ import annotations

import csv
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from metrics.ingest.run import ingest

warnings.filterwarnings("ignore", message=".*Pandas4Warning.*")

# Compiled query templates (metrics.sql.templates) go to a folder of this test run, not the
# user's cache, and a query whose values escape its parameters fails instead of quietly
# running uncompiled. Subprocesses (the CLI, the dashboard server) inherit both.
os.environ["MLKPI_CACHE_DIR"] = tempfile.mkdtemp(prefix="mlkpi-test-cache-")
os.environ["MLKPI_STRICT_TEMPLATES"] = "1"

StoreBuilder = Callable[..., Path]

# `mlkpi ARGS` in a fresh interpreter, then which heavy modules that run imported
_CLI_PROBE = """
import io, sys, contextlib
from metrics.cli.main import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(sys.argv[1:])
print(sorted(m for m in ("ibis", "pandas", "pyarrow") if m in sys.modules))
print(out.getvalue())
"""


def cli_probe(*args: str) -> tuple[str, str]:
    """Run ``mlkpi ARGS`` in a new process: (the list of ibis/pandas/pyarrow it imported,
    as printed, e.g. "[]"; its standard output)."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", _CLI_PROBE, *args], capture_output=True,
                         text=True, check=True)
    modules, out = run.stdout.split("\n", 1)
    return modules, out


def write_csv(path: Path, rows: list[dict]) -> Path:
    """Write dict rows as CSV; the header is the union of keys in first-seen order."""
    header: list[str] = []
    for row in rows:
        header.extend(k for k in row if k not in header)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, fieldnames=header)
        out.writeheader()
        for row in rows:
            out.writerow({k: "" if v is None else _text(v) for k, v in row.items()})
    return path


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@pytest.fixture
def make_store(tmp_path: Path) -> StoreBuilder:
    """``make_store({"deployment": [{...}, ...], "team": [...]})`` → path of a fresh store.

    Every row must be valid: the fixture fails the test if ingest quarantines any.
    Calling it again with ``db=`` adds to an existing store.
    """
    counter = iter(range(10_000))

    def build(rows_by_kind: dict[str, list[dict]], db: Path | None = None) -> Path:
        db = db or tmp_path / f"store{next(counter)}.duckdb"
        for kind, rows in rows_by_kind.items():
            if not rows:
                continue
            path = write_csv(tmp_path / f"{kind}-{next(counter)}.csv", rows)
            result = ingest(db, kind, [str(path)])
            assert result.exit_code == 0, (kind, result.file_errors, result.errors[:3])
        if not db.exists():  # an empty store: create the schema and its snapshot
            from metrics.store.db import writer
            with writer(db):
                pass
        return db

    return build


# The browser tests' session fixtures (a sample store, one dashboard server, Chromium),
# registered here for every test module that asks for them.
from browser_support import (  # noqa: E402,F401
    browser_context,
    chromium,
    dashboard,
    sample_store,
    warm_context,
)
