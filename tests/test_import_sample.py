"""`mlkpi sample --vendor-files`: the sample's deployments and incidents in GitHub and
PagerDuty shapes import back to the sample's own rows."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime

import pytest
from fixtures.importing import run_import, stored

from metrics.sample import make_context
from metrics.sample.common import COLUMNS
from metrics.sample.delivery import deployment_rows, incident_rows
from metrics.sample.vendor import FIRST_DEPLOYMENT_ID, write_vendor_files

AS_OF = date(2026, 11, 22)


def _typed(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        if k.endswith("_at"):
            out[k] = datetime.fromisoformat(v) if v else None
        elif k == "tier":
            out[k] = int(v)
        elif v in ("true", "false"):
            out[k] = v == "true"
        else:
            out[k] = v
    return out


def test_vendor_files_import_to_the_sample_rows(tmp_path):
    ctx = make_context(42, "small", AS_OF)
    paths = write_vendor_files(ctx, tmp_path / "vendor")
    files = [str(p) for p in paths]
    db, deps = run_import(tmp_path, "github-deployments", files[:2])
    assert deps.exit_code == 1  # no map given: every row names what it lacks
    map_text = paths[3].read_text()
    db, deps = run_import(tmp_path, "github-deployments", files[:2], map_text,
                          db=tmp_path / "v.duckdb")
    _, incs = run_import(tmp_path, "pagerduty-incidents", files[2:3], map_text, db=db)
    assert deps.exit_code == 0 and incs.exit_code == 0

    expected = [_typed(dict(zip(COLUMNS["deployment"], r, strict=True)))
                for r in deployment_rows(ctx)]
    for n, row in enumerate(expected, 1):
        row["deployment_id"] = str(FIRST_DEPLOYMENT_ID + n)
    assert stored(db, "deployment") == expected

    expected = [_typed(dict(zip(COLUMNS["incident"], r, strict=True)))
                for r in incident_rows(ctx)]
    for n, row in enumerate(expected, 1):
        row["incident_id"] = f"Q{n:013d}"
        row["onset_at"] = row["detected_at"]  # PagerDuty has no impact start
    assert stored(db, "incident") == expected


@pytest.mark.slow
def test_sample_command_writes_them(tmp_path):
    run = subprocess.run([sys.executable, "-m", "metrics.cli", "sample", "--out",
                          str(tmp_path), "--as-of", "2026-11-22", "--vendor-files"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (tmp_path / "vendor").iterdir()) == [
        "github_deployment_statuses.jsonl", "github_deployments.jsonl", "import-map.toml",
        "pagerduty_incidents.json"]
    assert "mlkpi import github-deployments" in run.stdout
