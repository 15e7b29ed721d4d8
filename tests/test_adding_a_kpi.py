"""A worked example, kept true by running it: adding a KPI is one catalog block, one formula
and its hand-computed test. Nothing else changes: the report, the CLI table and the
dashboard's generic pages read the catalog and the formula registry.

Here the new KPI is the rollback rate: 100 × rollbacks ÷ deployments in the period.
"""

from __future__ import annotations

import pytest

from metrics import catalog as catalog_module
from metrics.cli import output
from metrics.kpi import formulas
from metrics.kpi.formulas.base import Formula, in_periods, scoped, share
from metrics.kpi.report import kpi_report
from metrics.periods import parse_period

NEW_BLOCK = '''
[[kpi]]
id = "rollback_rate"
name = "Rollback rate"
what = "Share of production deployments that were rollbacks."
why = "Rollbacks are releases that hurt users before they were undone."
blueprint_target = "Under 5%"
frequency = "Quarterly"
cadence = "quarterly"
family = "quality_risk"
unit = "%"
direction = "lower"
anchor = "deployment.deployed_at"
formula = "100 × rollbacks ÷ deployments in the period"
sources = ["deployment"]
tier_filter = true
target = { kind = "absolute", op = "<=", value = 5 }
'''


def deployments(ctx, periods):  # the formula's rows: deployments in each period
    return in_periods(scoped(ctx, "deployment"), "deployed_at", periods)


def rollback_share(rows, ctx):  # its measures: value and what the value stands on
    n = rows.count()
    return {"value": share(rows.count(where=rows.rollback.fill_null(False)), n),
            "sample_size": n}


@pytest.fixture
def with_rollback_rate(tmp_path, monkeypatch):
    path = tmp_path / "catalog.toml"
    path.write_text(catalog_module.DEFAULT_PATH.read_text() + NEW_BLOCK)
    monkeypatch.setattr(catalog_module, "DEFAULT_PATH", path)
    catalog_module._default_catalog.cache_clear()
    monkeypatch.setitem(formulas.FORMULAS, "rollback_rate",
                        Formula("rollback_rate", deployments, rollback_share))
    yield
    catalog_module._default_catalog.cache_clear()


def deploy(i: int, deployed: str, rollback: bool) -> dict:
    return {"deployment_id": f"d{i}", "team": "a", "model": "m", "tier": 1,
            "spec_approved_at": "2026-07-01T00:00:00Z", "deployed_at": deployed,
            "automated": True, "rollback": rollback}


def test_a_new_kpi_reaches_the_report_and_the_cli_table(with_rollback_rate, make_store):
    db = make_store({"team": [{"team": "a"}], "deployment": [
        deploy(1, "2026-07-02T00:00:00Z", False),
        deploy(2, "2026-08-02T00:00:00Z", True),
        deploy(3, "2026-09-02T00:00:00Z", False),
        # 2026-10-01T01:00+02:00 is 2026-09-30T23:00Z: still 2026Q3
        deploy(4, "2026-10-01T01:00:00+02:00", False),
        deploy(5, "2026-10-02T00:00:00Z", True),  # 2026Q4
    ]})
    report = kpi_report(db, parse_period("2026Q3"))
    new = next(k for k in report["kpis"] if k["id"] == "rollback_rate")
    # 2026Q3: d1..d4, one rollback (d2): 100 × 1 ÷ 4 = 25 %, above the 5 % ceiling.
    assert new["value"] == pytest.approx(25.0)
    assert new["sample_size"] == 4
    assert new["status"] == "off_track"
    assert "Rollback rate" in output.kpis_table(report)
