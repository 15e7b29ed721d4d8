"""Invariants of the KPI engine: every catalog KPI has exactly one formula and a
hand-computed test; the series API agrees with the report; empty data is no_data;
freshness covers every kind."""

from __future__ import annotations

import importlib
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from metrics.catalog import load_catalog
from metrics.events import KINDS
from metrics.kpi.formulas import FORMULAS
from metrics.kpi.report import SERIES_COLUMNS, kpi_report, kpi_series
from metrics.periods import parse_period, periods_ending
from metrics.store.health import data_freshness

TEST_MODULES = sorted(p.stem for p in Path(__file__).parent.glob("test_kpi_*.py")
                      if p.stem != "test_kpi_invariants")


def test_every_catalog_kpi_has_a_formula_and_no_formula_lacks_one() -> None:
    catalog = load_catalog()
    assert set(FORMULAS) == set(catalog), (
        f"missing formulas: {set(catalog) - set(FORMULAS)}; "
        f"formulas without a catalog entry: {set(FORMULAS) - set(catalog)}")


def test_every_catalog_kpi_has_a_hand_computed_test() -> None:
    covered: dict[str, str] = {}
    for name in TEST_MODULES:
        module = importlib.import_module(f"tests.{name}" if _is_package() else name)
        for kpi_id in getattr(module, "COVERS", set()):
            covered.setdefault(kpi_id, name)
    missing = set(load_catalog()) - set(covered)
    assert not missing, f"KPIs without a hand-computed test: {sorted(missing)}"
    assert not set(covered) - set(load_catalog()), "COVERS names an unknown KPI"


def _is_package() -> bool:
    return (Path(__file__).parent / "__init__.py").exists()


def test_empty_store_reports_every_kpi_as_no_data(make_store) -> None:
    db = make_store({})
    report = kpi_report(db, parse_period("2026Q3"))
    assert report["period_start"] == "2026-07-01T00:00:00Z"
    assert report["period_end"] == "2026-10-01T00:00:00Z"
    assert report["scope"] == {"team": None, "tier": None}
    assert [k["id"] for k in report["kpis"]] == list(load_catalog())
    for entry in report["kpis"]:
        assert entry["value"] is None and entry["status"] == "no_data", entry["id"]
        assert entry["sample_size"] == 0 and entry["change"] is None
        assert entry["freshness"]["stale"] is True
        is_relative = entry["target"]["kind"] == "relative"
        assert (entry["baseline"] is not None) == is_relative


def test_report_keys_follow_cli_md(make_store) -> None:
    report = kpi_report(make_store({}), parse_period("2026-W32"), team="a", tier=1)
    assert list(report) == ["period", "period_start", "period_end", "complete", "as_of",
                            "elapsed", "scope", "kpis"]
    assert report["period"] == "2026-W32" and report["scope"] == {"team": "a", "tier": 1}
    entry = report["kpis"][0]
    for key in ("id", "name", "unit", "value", "sample_size", "status", "target",
                "baseline", "change", "family", "direction", "cadence",
                "tier_filter_applied", "team_filter_applied", "freshness", "pace",
                "provisional"):
        assert key in entry
    assert set(entry["target"]) >= {"kind", "op", "value", "stretch", "baseline_periods"}


def _deploy(i, team, tier, spec, deployed, rollback=False):
    return {"deployment_id": f"d{i}", "team": team, "model": "m", "tier": tier,
            "spec_approved_at": spec, "deployed_at": deployed, "automated": True,
            "rollback": rollback}


@pytest.fixture
def mixed_db(make_store):
    """A little of several kinds over 2025Q3 .. 2026Q3."""
    return make_store({
        "team": [{"team": "a"}, {"team": "b"}],
        "deployment": [
            _deploy(1, "a", 1, "2025-08-01T00:00:00Z", "2025-08-02T00:00:00Z"),
            _deploy(2, "b", 2, "2026-02-01T00:00:00Z", "2026-02-01T12:00:00Z"),
            _deploy(3, "a", 1, "2026-05-01T00:00:00Z", "2026-05-01T06:00:00Z"),
            _deploy(4, "a", 1, "2026-08-01T00:00:00Z", "2026-08-01T03:00:00Z"),
            _deploy(5, "b", 1, "2026-09-01T00:00:00Z", "2026-09-01T09:00:00Z"),
        ],
        "incident": [
            {"incident_id": f"i{k}", "team": "a", "model": "m", "tier": 1,
             "severity": "SEV2", "cause": "code", "onset_at": f"2026-0{k}-01T00:00:00Z",
             "detected_at": f"2026-0{k}-01T00:{5 * k:02d}:00Z",
             "mitigated_at": f"2026-0{k}-01T0{k}:00:00Z"} for k in range(2, 10)],
        "defect": [
            {"defect_id": f"x{k}", "team": "a", "model": "m",
             "found_at": f"2026-0{k}-03T00:00:00Z",
             "stage": "post_release" if k % 2 else "pre_release", "severity": "SEV3"}
            for k in range(1, 10)],
        "survey_response": [
            {"response_id": f"s{k}", "survey": "engagement",
             "submitted_at": f"2026-0{k}-05T00:00:00Z", "respondent_group": "x",
             "score": 1 + k % 5} for k in range(1, 10)],
    })


@pytest.mark.parametrize("scope", [{}, {"team": "a"}, {"tier": 1}])
def test_series_equals_report_per_period(mixed_db, scope) -> None:
    end = parse_period("2026Q3")
    series = kpi_series(mixed_db, end, n=4, grain="quarter", **scope)
    assert list(series.columns) == SERIES_COLUMNS
    assert len(series) == 4 * len(load_catalog())
    for period in periods_ending(end, 4):
        report = kpi_report(mixed_db, period, **scope)
        for entry in report["kpis"]:
            row = series[(series.kpi == entry["id"]) & (series.period == period.label)]
            assert len(row) == 1
            row = row.iloc[0]
            assert _same(row.value, entry["value"]), (entry["id"], period.label)
            assert row.sample_size == entry["sample_size"]
            assert row.status == entry["status"], (entry["id"], period.label)
            assert _same(row.change, entry["change"])
            assert row.target == entry["target"]["value"]
            assert row.period_start == period.start and row.period_end == period.end


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return b is not None and a == pytest.approx(b, rel=1e-12)


def test_series_defaults_to_each_kpi_cadence(mixed_db) -> None:
    # end 2026-08, n=3: monthly lead time 2026-06..08, weekly TTD ends in the week holding
    # 2026-08-01 (2026-W31), quarterly engagement 2026Q1..Q3
    series = kpi_series(mixed_db, parse_period("2026-08"), n=3,
                        kpi_ids=["lead_time_for_ml_changes", "time_to_detect",
                                 "team_engagement"])
    periods = series.groupby("kpi")["period"].apply(list).to_dict()
    assert periods == {"lead_time_for_ml_changes": ["2026-06", "2026-07", "2026-08"],
                       "time_to_detect": ["2026-W29", "2026-W30", "2026-W31"],
                       "team_engagement": ["2026Q1", "2026Q2", "2026Q3"]}
    lead = series[series.kpi == "lead_time_for_ml_changes"].set_index("period")
    assert lead.loc["2026-08", "value"] == 3.0  # d4: 3 h
    assert math.isnan(lead.loc["2026-06", "value"]) and lead.loc["2026-06", "status"] == "no_data"


def test_series_rejects_unknown_kpi(mixed_db) -> None:
    with pytest.raises(ValueError, match="not a KPI"):
        kpi_series(mixed_db, parse_period("2026Q3"), kpi_ids=["nope"])


def test_data_freshness(make_store) -> None:
    db = make_store({
        "team": [{"team": "a"}],
        # deployment feeds monthly KPIs: 62 days
        "deployment": [_deploy(1, "a", 1, "2026-07-31T00:00:00Z", "2026-08-01T00:00:00Z")],
        # incident feeds weekly TTD: 14 days; newest detection 15 days before now
        "incident": [{"incident_id": "i1", "team": "a", "model": "m", "tier": 1,
                      "severity": "SEV2", "cause": "code", "onset_at": "2026-09-16T00:00:00Z",
                      "detected_at": "2026-09-16T00:00:00Z"}],
        "roadmap_item": [{"item_id": "r", "quarter": "2026Q2", "team": "a", "committed": True,
                          "delivered": True}],
        "hiring_req": [{"req_id": "h", "role": "MLE", "critical": True,
                        "opened_at": "2026-09-01T00:00:00Z",
                        "filled_at": "2026-09-20T12:00:00+02:00"}],
        "headcount": [{"snapshot_date": "2026-06-01", "team": "a", "headcount": 5,
                       "departures": 0, "regretted_departures": 0}],
    })
    now = datetime(2026, 10, 1, tzinfo=UTC)
    fresh = data_freshness(db, now)
    assert list(fresh) == list(KINDS)
    assert fresh["team"] == {"rows": 1, "newest": None, "stale": False}
    # 2026-08-01 is 61 days before now: within 62
    assert fresh["deployment"] == {"rows": 1, "newest": "2026-08-01T00:00:00Z", "stale": False}
    assert fresh["incident"]["stale"] is True  # 15 days > 14
    # the start of its latest quarter, 2026-04-01: 183 days before now, not older
    assert fresh["roadmap_item"] == {"rows": 1, "newest": "2026-04-01T00:00:00Z",
                                     "stale": False}
    assert fresh["hiring_req"]["newest"] == "2026-09-20T10:00:00Z"  # max(opened, filled)
    assert fresh["headcount"] == {"rows": 1, "newest": "2026-06-01T00:00:00Z",
                                  "stale": False}  # 122 days, quarterly: 183
    assert fresh["inference_sli"] == {"rows": 0, "newest": None, "stale": True}
