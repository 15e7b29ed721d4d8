"""Delivery and governance KPIs on hand-written events; every expectation computed by hand."""

from __future__ import annotations

import pytest

from metrics.kpi.report import kpi_events, kpi_report
from metrics.periods import parse_period

COVERS = {"ml_release_throughput", "lead_time_for_ml_changes", "cicd_coverage",
          "lineage_coverage", "monitoring_coverage", "roadmap_predictability",
          "platform_adoption", "defect_escape_rate"}


def kpi(db, period: str, kpi_id: str, **scope) -> dict:
    report = kpi_report(db, parse_period(period), **scope)
    return next(k for k in report["kpis"] if k["id"] == kpi_id)


def deploy(i, team, tier, spec, deployed, rollback=False) -> dict:
    return {"deployment_id": f"d{i}", "team": team, "model": f"m-{team}", "tier": tier,
            "spec_approved_at": spec, "deployed_at": deployed, "automated": True,
            "rollback": rollback}


ROSTER = [{"team": "a"}, {"team": "b"}, {"team": "c"}]
DEPLOYS = [
    # 2026-07-01T01:59+02:00 is 2026-06-30T23:59Z: 2026Q2, 12 h lead time
    deploy(1, "a", 1, "2026-06-30T11:59:00Z", "2026-07-01T01:59:00+02:00"),
    deploy(2, "a", 1, "2026-07-14T10:00:00Z", "2026-07-15T10:00:00Z"),  # 24 h
    deploy(3, "a", 2, "2026-07-31T14:00:00Z", "2026-08-01T00:00:00+00:00"),  # 10 h
    # 2026-10-01T01:30+02:00 is 2026-09-30T23:30Z: still 2026Q3, 48 h
    deploy(4, "b", 1, "2026-09-28T23:30:00Z", "2026-10-01T01:30:00+02:00"),
    deploy(5, "b", 1, "2026-08-01T00:00:00Z", "2026-08-10T00:00:00Z", rollback=True),
    deploy(6, "c", 3, "2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z"),  # 2026Q4 (half-open)
    deploy(7, "b", 1, "2026-08-20T06:00:00Z", "2026-08-20T12:00:00Z"),  # 6 h, in 2026-W34
    # a year earlier: one release of 20 h, one rollback of 100 h
    deploy(8, "a", 1, "2025-07-10T00:00:00Z", "2025-07-10T20:00:00Z"),
    deploy(9, "a", 1, "2025-07-10T00:00:00Z", "2025-07-14T04:00:00Z", rollback=True),
]


@pytest.fixture
def delivery_db(make_store):
    return make_store({"team": ROSTER, "deployment": DEPLOYS})


def test_throughput_quarter_month_week(delivery_db) -> None:
    # 2026Q3 releases: d2, d3, d4 (23:30Z on 09-30), d7; d5 is a rollback, d6 is Q4.
    # 4 releases ÷ 3 teams = 1.333… per quarter: below the target 2.
    q3 = kpi(delivery_db, "2026Q3", "ml_release_throughput")
    assert q3["value"] == pytest.approx(4 / 3)
    assert q3["sample_size"] == 4
    assert q3["status"] == "off_track"
    assert q3["unit"] == "releases/team/quarter"
    # 2026-08: d3, d7 -> 2 ÷ 3 × 3 = 2.0 on track.
    aug = kpi(delivery_db, "2026-08", "ml_release_throughput")
    assert aug["value"] == pytest.approx(2.0)
    assert aug["status"] == "on_track"
    # 2026-W34 (Aug 17–23): d7 -> 1 ÷ 3 × 13 = 4.333…
    week = kpi(delivery_db, "2026-W34", "ml_release_throughput")
    assert week["value"] == pytest.approx(13 / 3)
    # 2026Q2: d1 at 23:59Z on 06-30 -> 1 ÷ 3
    assert kpi(delivery_db, "2026Q2", "ml_release_throughput")["value"] == pytest.approx(1 / 3)


def test_throughput_scopes(delivery_db) -> None:
    # team a: roster 1 team, releases d2, d3 -> 2.0 on track
    team_a = kpi(delivery_db, "2026Q3", "ml_release_throughput", team="a")
    assert team_a["value"] == pytest.approx(2.0)
    assert team_a["sample_size"] == 2
    assert team_a["tier_filter_applied"] is False and team_a["team_filter_applied"] is True
    # tier 1 filters deployments only: d2, d4, d7 ÷ 3 roster teams = 1.0
    tier1 = kpi(delivery_db, "2026Q3", "ml_release_throughput", tier=1)
    assert tier1["value"] == pytest.approx(1.0)
    assert tier1["tier_filter_applied"] is True
    # a team not on the roster: zero teams in scope -> no data
    ghost = kpi(delivery_db, "2026Q3", "ml_release_throughput", team="zzz")
    assert ghost["value"] is None and ghost["status"] == "no_data"


def test_lead_time_even_median_and_year_baseline(delivery_db) -> None:
    # 2026Q3 releases: 6, 10, 24, 48 h -> median (10 + 24) / 2 = 17 h (rollback d5 ignored).
    # 2025Q3: d8 20 h (d9 is a rollback) -> change 100 × (17 − 20) / 20 = −15: misses −20.
    q3 = kpi(delivery_db, "2026Q3", "lead_time_for_ml_changes")
    assert q3["value"] == pytest.approx(17.0)
    assert q3["sample_size"] == 4
    assert q3["baseline"] == {"period": "2025Q3", "value": pytest.approx(20.0)}
    assert q3["change"] == pytest.approx(-15.0)
    assert q3["status"] == "off_track"
    assert q3["target"]["kind"] == "relative" and q3["target"]["baseline_periods"] == 4
    # 2026-08: 10 and 6 h -> 8 h; 2025-08 has no release -> no_baseline
    aug = kpi(delivery_db, "2026-08", "lead_time_for_ml_changes")
    assert aug["value"] == pytest.approx(8.0)
    assert aug["baseline"] == {"period": "2025-08", "value": None}
    assert aug["status"] == "no_baseline" and aug["change"] is None
    # tier 1 in 2026Q3: 24, 48, 6 -> 24 h
    assert kpi(delivery_db, "2026Q3", "lead_time_for_ml_changes", tier=1)["value"] == 24.0


def test_lead_time_relative_target_met(make_store) -> None:
    # 2025Q3: 10 h; 2026Q3: 5 h -> change −50: stretch −40 met -> ahead
    db = make_store({"team": ROSTER, "deployment": [
        deploy(1, "a", 1, "2025-08-01T00:00:00Z", "2025-08-01T10:00:00Z"),
        deploy(2, "a", 1, "2026-08-01T00:00:00Z", "2026-08-01T05:00:00Z"),
    ]})
    q3 = kpi(db, "2026Q3", "lead_time_for_ml_changes")
    assert q3["change"] == pytest.approx(-50.0)
    assert q3["status"] == "ahead"


def inv(date, model, team, tier, prod=True, cicd=True, lineage=True, monitors=(True,) * 3):
    return {"snapshot_date": date, "model": model, "team": team, "tier": tier,
            "in_production": prod, "automated_cicd": cicd, "full_lineage": lineage,
            "performance_monitoring": monitors[0], "drift_monitoring": monitors[1],
            "data_quality_monitoring": monitors[2]}


INVENTORY = [
    # 2026-08-31: everything covered (superseded in 2026Q3 by 09-30, the rule for 2026-08)
    *(inv("2026-08-31", m, t, 1) for m, t in [("m1", "a"), ("m2", "a"), ("m3", "b"),
                                              ("m4", "b"), ("m6", "c")]),
    # 2026-09-30: the latest snapshot of 2026Q3; m4 and m6 are gone from it
    inv("2026-09-30", "m1", "a", 1),
    inv("2026-09-30", "m2", "a", 2, cicd=False, monitors=(True, True, False)),
    inv("2026-09-30", "m3", "b", 3, lineage=False, monitors=(False, False, False)),
    inv("2026-09-30", "m5", "b", 1, prod=False, cicd=False, lineage=False),
    # 2026-10-01 belongs to 2026Q4
    *(inv("2026-10-01", m, "a", 1, cicd=False, lineage=False, monitors=(False,) * 3)
      for m in ("m1", "m2", "m3")),
]


@pytest.fixture
def inventory_db(make_store):
    return make_store({"model_inventory": INVENTORY})


def test_inventory_latest_snapshot(inventory_db) -> None:
    # 09-30 production models: m1, m2, m3 (m5 not in production, m4/m6 missing).
    cicd = kpi(inventory_db, "2026Q3", "cicd_coverage")
    assert cicd["value"] == pytest.approx(200 / 3)  # m1, m3 of 3
    assert cicd["sample_size"] == 3 and cicd["status"] == "off_track"
    lineage = kpi(inventory_db, "2026Q3", "lineage_coverage")
    assert lineage["value"] == pytest.approx(200 / 3)  # m1, m2 of 3
    # tier-1/2 production: m1 (all three), m2 (no data-quality monitor) -> 50 %
    monitoring = kpi(inventory_db, "2026Q3", "monitoring_coverage")
    assert monitoring["value"] == pytest.approx(50.0) and monitoring["sample_size"] == 2
    # 2026-08: the 08-31 snapshot, five production models, all covered -> ahead
    aug = kpi(inventory_db, "2026-08", "cicd_coverage")
    assert aug["value"] == 100.0 and aug["sample_size"] == 5 and aug["status"] == "ahead"


def test_inventory_scope_first_then_latest(inventory_db) -> None:
    # team c's latest snapshot in 2026Q3 is 08-31 (m6, covered): 100 %
    team_c = kpi(inventory_db, "2026Q3", "cicd_coverage", team="c")
    assert team_c["value"] == 100.0 and team_c["sample_size"] == 1
    # tier 1 on 09-30: m1 in production (covered), m5 not -> 100 % of 1
    tier1 = kpi(inventory_db, "2026Q3", "cicd_coverage", tier=1)
    assert tier1["value"] == 100.0 and tier1["sample_size"] == 1
    # tier 3: m3 is not a tier-1/2 model -> no data
    tier3 = kpi(inventory_db, "2026Q3", "monitoring_coverage", tier=3)
    assert tier3["value"] is None and tier3["status"] == "no_data"


def test_inventory_drill_down(inventory_db) -> None:
    rows = kpi_events(inventory_db, "cicd_coverage", parse_period("2026Q3"))
    assert sorted(rows["model"]) == ["m1", "m2", "m3"]
    assert set(rows["snapshot_date"].astype(str)) == {"2026-09-30"}
    assert rows.set_index("model")["automated_cicd"].to_dict() == {
        "m1": True, "m2": False, "m3": True}


def item(i, quarter, team, committed, delivered) -> dict:
    return {"item_id": f"i{i}", "quarter": quarter, "team": team, "committed": committed,
            "delivered": delivered}


def test_roadmap_predictability_uses_the_quarter(make_store) -> None:
    db = make_store({"roadmap_item": [
        item(1, "2026Q3", "a", True, True), item(2, "2026Q3", "a", True, False),
        item(3, "2026Q3", "b", True, True), item(4, "2026Q3", "b", False, True),
        item(5, "2026Q2", "b", True, True),
    ]})
    # 2026Q3: committed i1, i2, i3; delivered i1, i3 -> 66.7 %
    q3 = kpi(db, "2026Q3", "roadmap_predictability")
    assert q3["value"] == pytest.approx(200 / 3) and q3["sample_size"] == 3
    assert q3["status"] == "off_track"
    # a month uses its quarter
    assert kpi(db, "2026-08", "roadmap_predictability")["value"] == pytest.approx(200 / 3)
    # 2026-W27 starts Monday 2026-06-29, in 2026Q2: i5 -> 100 % (ahead)
    w27 = kpi(db, "2026-W27", "roadmap_predictability")
    assert w27["value"] == 100.0 and w27["status"] == "ahead"
    # team a: i1 of i1, i2 -> 50 %
    assert kpi(db, "2026Q3", "roadmap_predictability", team="a")["value"] == 50.0
    assert kpi(db, "2026Q4", "roadmap_predictability")["status"] == "no_data"


def adopt(date, team, deploy_, monitor, registry) -> dict:
    return {"snapshot_date": date, "team": team, "uses_standard_deployment": deploy_,
            "uses_standard_monitoring": monitor, "uses_model_registry": registry}


def test_platform_adoption_latest_snapshot(make_store) -> None:
    db = make_store({"team_adoption": [
        adopt("2026-09-01", "a", True, True, True), adopt("2026-09-01", "b", True, False, True),
        adopt("2026-09-01", "c", True, True, True),
        adopt("2026-09-15", "a", True, True, True), adopt("2026-09-15", "b", True, False, True),
        adopt("2026-10-01", "b", True, True, True),  # 2026Q4
    ]})
    # 09-15 holds a (all three) and b (no monitoring); c is gone -> 1 of 2 = 50 %
    q3 = kpi(db, "2026Q3", "platform_adoption")
    assert q3["value"] == 50.0 and q3["sample_size"] == 2 and q3["status"] == "off_track"
    # team c: its latest snapshot in 2026Q3 is 09-01 -> 100 %
    assert kpi(db, "2026Q3", "platform_adoption", team="c")["value"] == 100.0
    # a tier filter does not apply to team_adoption
    tiered = kpi(db, "2026Q3", "platform_adoption", tier=1)
    assert tiered["value"] == 50.0 and tiered["tier_filter_applied"] is False


def defect(i, team, found, stage) -> dict:
    return {"defect_id": f"x{i}", "team": team, "model": "m", "found_at": found,
            "stage": stage, "severity": "SEV3"}


def test_defect_escape_rate_against_previous_period(make_store) -> None:
    db = make_store({"defect": [
        # 2026Q3: 1 post, 3 pre -> 25 %
        defect(1, "a", "2026-07-02T00:00:00Z", "post_release"),
        defect(2, "a", "2026-07-03T00:00:00Z", "pre_release"),
        defect(3, "b", "2026-08-03T00:00:00Z", "pre_release"),
        defect(4, "b", "2026-10-01T01:30:00+02:00", "pre_release"),  # 09-30T23:30Z
        # 2026Q2: 2 post (one at 06-30T23:59Z), 2 pre -> 50 %
        defect(5, "a", "2026-07-01T01:59:00+02:00", "post_release"),
        defect(6, "b", "2026-05-01T00:00:00Z", "post_release"),
        defect(7, "b", "2026-05-02T00:00:00Z", "pre_release"),
        defect(8, "b", "2026-05-03T00:00:00Z", "pre_release"),
    ]})
    q3 = kpi(db, "2026Q3", "defect_escape_rate")
    assert q3["value"] == 25.0 and q3["sample_size"] == 4
    assert q3["baseline"] == {"period": "2026Q2", "value": 50.0}
    assert q3["change"] == pytest.approx(-50.0)  # 100 × (25 − 50) / 50
    assert q3["status"] == "on_track"
    # team a: 2026Q3 1 post of 2 = 50 %; 2026Q2 1 post of 1 = 100 % -> change −50
    team_a = kpi(db, "2026Q3", "defect_escape_rate", team="a")
    assert team_a["value"] == 50.0 and team_a["change"] == pytest.approx(-50.0)
