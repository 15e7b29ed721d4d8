"""Model performance and cost KPIs on hand-written events; every expectation computed by
hand."""

from __future__ import annotations

import pytest

from metrics.kpi.report import kpi_events, kpi_report
from metrics.periods import parse_period

COVERS = {"model_performance_lift", "performance_drift_rate", "cost_per_1k_inferences",
          "cost_per_training_run"}


def kpi(db, period: str, kpi_id: str, **scope) -> dict:
    report = kpi_report(db, parse_period(period), **scope)
    return next(k for k in report["kpis"] if k["id"] == kpi_id)


def measure(model, metric, at, value, baseline, higher=True, team="a") -> dict:
    return {"model": model, "team": team, "metric": metric, "measured_at": at,
            "value": value, "baseline": baseline, "higher_is_better": higher}


PERFORMANCE = [
    # 2026-W32 = 2026-08-03 .. 2026-08-10. Latest per (model, metric) in the week:
    measure("m1", "precision", "2026-08-03T00:00:00Z", 80.0, 80.0),   # superseded
    measure("m1", "precision", "2026-08-07T00:00:00Z", 90.0, 80.0),   # lift +12.5
    measure("m1", "precision", "2026-08-10T00:00:00Z", 10.0, 80.0),   # next week
    measure("m2", "churn_rate", "2026-08-04T00:00:00Z", 11.0, 10.0, higher=False),  # −10
    measure("m3", "ctr", "2026-08-05T00:00:00Z", 49.5, 50.0),         # −1
    # lower is better, 105 vs 100: lift exactly −5, not below −5: not drifted
    measure("m4", "latency", "2026-08-06T00:00:00Z", 105.0, 100.0, higher=False, team="b"),
    # a negative baseline: 100 × (−4 − (−5)) ÷ |−5| = +20; at 2026-08-10T01:00+02:00 (23:00Z)
    measure("m5", "margin", "2026-08-10T01:00:00+02:00", -4.0, -5.0, team="b"),
    measure("m1", "recall", "2026-08-05T00:00:00Z", 0.5, 0.4),        # its own pair: +25
]


@pytest.fixture
def perf_db(make_store):
    return make_store({"model_performance": PERFORMANCE})


def test_model_performance_lift(perf_db) -> None:
    # lifts: m1/precision 12.5, m1/recall 25, m2 −10, m3 −1, m4 −5, m5 20
    # mean = (12.5 + 25 − 10 − 1 − 5 + 20) / 6 = 41.5 / 6 = 6.9166…
    week = kpi(perf_db, "2026-W32", "model_performance_lift")
    assert week["value"] == pytest.approx(41.5 / 6) and week["sample_size"] == 6
    assert week["status"] == "on_track"  # >= 0
    # team b: m4 −5, m5 20 -> 7.5
    assert kpi(perf_db, "2026-W32", "model_performance_lift", team="b")["value"] == \
        pytest.approx(7.5)
    # model_performance has no tier column: a tier request leaves it unfiltered
    tiered = kpi(perf_db, "2026-W32", "model_performance_lift", tier=1)
    assert tiered["value"] == pytest.approx(41.5 / 6)
    assert tiered["tier_filter_applied"] is False
    # 2026-W33: m1/precision 10 vs 80 -> −87.5: off track
    assert kpi(perf_db, "2026-W33", "model_performance_lift")["status"] == "off_track"


def test_performance_drift_rate(perf_db) -> None:
    # lift < −5: only m2 (−10); m4 at exactly −5 is not -> 1 of 6 = 16.67 %: above 10
    week = kpi(perf_db, "2026-W32", "performance_drift_rate")
    assert week["value"] == pytest.approx(100 / 6) and week["sample_size"] == 6
    assert week["status"] == "off_track"
    # team b: m4 (−5), m5 (+20) -> 0 % on track
    team_b = kpi(perf_db, "2026-W32", "performance_drift_rate", team="b")
    assert team_b["value"] == 0.0 and team_b["status"] == "on_track"


def test_performance_drill_down(perf_db) -> None:
    rows = kpi_events(perf_db, "performance_drift_rate", parse_period("2026-W32"))
    lifts = {(r.model, r.metric): (r.lift, r.drifted) for r in rows.itertuples()}
    assert lifts[("m1", "precision")] == (12.5, False)
    assert lifts[("m2", "churn_rate")] == (-10.0, True)
    assert len(lifts) == 6


def cost(day, team, service, category, usd, inferences=None) -> dict:
    return {"date": day, "team": team, "service": service, "category": category,
            "cost_usd": usd, "inferences": inferences}


def test_cost_per_1k_inferences(make_store) -> None:
    db = make_store({"cost": [
        # 2026-08 inference lines: a 30 USD / 10 000, b 20 USD / 40 000
        cost("2026-08-01", "a", "svc1", "inference", 30.0, 10000),
        cost("2026-08-31", "b", "svc2", "inference", 20.0, 40000),
        cost("2026-08-15", "a", "gpu", "training", 999.0),          # not an inference line
        cost("2026-09-01", "a", "svc1", "inference", 500.0, 1000),  # 2026-09
        # 2025-08 (a year earlier): b 40 USD / 32 000
        cost("2025-08-10", "b", "svc2", "inference", 40.0, 32000),
    ]})
    # 1000 × 50 ÷ 50 000 = 1.0; baseline 1000 × 40 ÷ 32 000 = 1.25 -> change −20:
    # meets −10, misses the −30 stretch
    aug = kpi(db, "2026-08", "cost_per_1k_inferences")
    assert aug["value"] == pytest.approx(1.0) and aug["sample_size"] == 2
    assert aug["baseline"] == {"period": "2025-08", "value": pytest.approx(1.25)}
    assert aug["change"] == pytest.approx(-20.0)
    assert aug["status"] == "on_track"
    assert aug["target"]["baseline_periods"] == 12
    # team a: 1000 × 30 ÷ 10 000 = 3.0; no 2025-08 line for a -> no_baseline
    team_a = kpi(db, "2026-08", "cost_per_1k_inferences", team="a")
    assert team_a["value"] == pytest.approx(3.0) and team_a["status"] == "no_baseline"
    # 2026Q3: 1000 × 550 ÷ 51 000
    assert kpi(db, "2026Q3", "cost_per_1k_inferences")["value"] == \
        pytest.approx(550_000 / 51_000)
    # cost has no tier column
    tiered = kpi(db, "2026-08", "cost_per_1k_inferences", tier=2)
    assert tiered["value"] == pytest.approx(1.0) and tiered["tier_filter_applied"] is False


def training(i, started, usd, status="succeeded", team="a") -> dict:
    return {"run_id": f"t{i}", "team": team, "model": "m", "started_at": started,
            "status": status, "cost_usd": usd}


def test_cost_per_training_run(make_store) -> None:
    db = make_store({"training_run": [
        # 2026-08: 100 + 200 + 0 (failed runs count) over 3 runs = 100
        training(1, "2026-08-02T00:00:00Z", 100.0),
        training(2, "2026-08-03T00:00:00Z", 200.0, team="b"),
        training(3, "2026-09-01T01:00:00+02:00", 0.0, status="failed"),  # 08-31T23:00Z
        # 2026-07: 150 + 60 over 2 = 105
        training(4, "2026-07-02T00:00:00Z", 150.0),
        training(5, "2026-07-03T00:00:00Z", 60.0, status="cancelled"),
    ]})
    # change 100 × (100 − 105) ÷ 105 = −4.76…: meets <= 0
    aug = kpi(db, "2026-08", "cost_per_training_run")
    assert aug["value"] == pytest.approx(100.0) and aug["sample_size"] == 3
    assert aug["baseline"] == {"period": "2026-07", "value": pytest.approx(105.0)}
    assert aug["change"] == pytest.approx(-500 / 105)
    assert aug["status"] == "on_track"
    # team a: 2026-08 (100 + 0) / 2 = 50; 2026-07 105 -> change −52.38 on track
    team_a = kpi(db, "2026-08", "cost_per_training_run", team="a")
    assert team_a["value"] == pytest.approx(50.0)
    # 2026-09: nothing -> no data
    empty = kpi(db, "2026-09", "cost_per_training_run")
    assert empty["value"] is None and empty["status"] == "no_data"
    assert empty["baseline"] == {"period": "2026-08", "value": pytest.approx(100.0)}
