"""Organisational KPIs (surveys, attrition, hiring) on hand-written events; every
expectation computed by hand."""

from __future__ import annotations

import pytest

from metrics.kpi.report import kpi_events, kpi_report
from metrics.periods import parse_period

COVERS = {"stakeholder_satisfaction", "team_engagement", "regretted_attrition",
          "hiring_cycle_time"}


def kpi(db, period: str, kpi_id: str, **scope) -> dict:
    report = kpi_report(db, parse_period(period), **scope)
    return next(k for k in report["kpis"] if k["id"] == kpi_id)


def answer(i, survey, at, score) -> dict:
    return {"response_id": f"s{i}", "survey": survey, "submitted_at": at,
            "respondent_group": "product", "score": score}


def test_survey_means_per_survey(make_store) -> None:
    sat, eng = "stakeholder_satisfaction", "engagement"
    db = make_store({"survey_response": [
        # 2026Q3 satisfaction: 4, 5, 4, 4 -> 4.25; engagement 3, 4 -> 3.5
        answer(1, sat, "2026-07-10T00:00:00Z", 4), answer(2, sat, "2026-08-10T00:00:00Z", 5),
        answer(3, sat, "2026-09-10T00:00:00Z", 4),
        answer(4, sat, "2026-10-01T01:30:00+02:00", 4),  # 09-30T23:30Z
        answer(5, eng, "2026-07-10T00:00:00Z", 3), answer(6, eng, "2026-08-10T00:00:00Z", 4),
        # 2026Q2 engagement: 4 (06-30T23:59Z)
        answer(7, eng, "2026-07-01T01:59:00+02:00", 4),
    ]})
    satisfaction = kpi(db, "2026Q3", "stakeholder_satisfaction")
    assert satisfaction["value"] == pytest.approx(4.25) and satisfaction["sample_size"] == 4
    assert satisfaction["status"] == "on_track"  # >= 4.2
    engagement = kpi(db, "2026Q3", "team_engagement")
    assert engagement["value"] == pytest.approx(3.5) and engagement["sample_size"] == 2
    assert engagement["baseline"] == {"period": "2026Q2", "value": pytest.approx(4.0)}
    assert engagement["change"] == pytest.approx(-12.5)  # 100 × (3.5 − 4) ÷ 4
    assert engagement["status"] == "off_track"
    # surveys have no team column: a team scope leaves them unfiltered
    scoped = kpi(db, "2026Q3", "team_engagement", team="a")
    assert scoped["value"] == pytest.approx(3.5) and scoped["team_filter_applied"] is False
    assert kpi(db, "2026Q2", "team_engagement")["status"] == "no_baseline"


def heads(day, team, headcount, regretted=0, departures=None) -> dict:
    return {"snapshot_date": day, "team": team, "headcount": headcount,
            "departures": regretted if departures is None else departures,
            "regretted_departures": regretted}


def test_regretted_attrition(make_store) -> None:
    db = make_store({"headcount": [
        # 2026Q3 (92 days): per-date sums 100, 102, 101 -> mean 101; regretted 1 + 1 = 2
        heads("2026-07-31", "a", 40, regretted=1), heads("2026-07-31", "b", 60, departures=3),
        heads("2026-08-31", "a", 42), heads("2026-08-31", "b", 60, regretted=1),
        heads("2026-09-30", "a", 41), heads("2026-09-30", "b", 60),
        heads("2026-10-01", "a", 10, regretted=5),  # 2026Q4
    ]})
    # 100 × 2 ÷ 101 × 365 ÷ 92 = 73000 / 9292 = 7.856… % per year: above 5
    q3 = kpi(db, "2026Q3", "regretted_attrition")
    assert q3["value"] == pytest.approx(73000 / 9292) and q3["sample_size"] == 6
    assert q3["status"] == "off_track"
    # team a: 40, 42, 41 -> mean 41; 1 regretted -> 100 × 1 ÷ 41 × 365 ÷ 92 = 36500 / 3772
    team_a = kpi(db, "2026Q3", "regretted_attrition", team="a")
    assert team_a["value"] == pytest.approx(36500 / 3772)
    # 2026-08 (31 days): one date, 102 people, 1 regretted -> 100 ÷ 102 × 365 ÷ 31
    aug = kpi(db, "2026-08", "regretted_attrition")
    assert aug["value"] == pytest.approx(36500 / 3162)
    rows = kpi_events(db, "regretted_attrition", parse_period("2026Q3"))
    assert len(rows) == 6 and rows["regretted_departures"].sum() == 2


def req(i, critical, opened, filled=None) -> dict:
    return {"req_id": f"h{i}", "role": "Senior MLE", "critical": critical,
            "opened_at": opened, "filled_at": filled}


def test_hiring_cycle_time(make_store) -> None:
    db = make_store({"hiring_req": [
        # critical, filled in 2026-08: 10, 20, 30, 40 days -> median 25
        req(1, True, "2026-07-22T00:00:00Z", "2026-08-01T00:00:00Z"),
        req(2, True, "2026-07-22T00:00:00Z", "2026-08-11T00:00:00Z"),
        req(3, True, "2026-07-22T00:00:00Z", "2026-08-21T00:00:00Z"),
        # filled 2026-09-01T01:00+02:00 = 08-31T23:00Z, opened 07-22T23:00Z: 40 days
        req(4, True, "2026-07-22T23:00:00Z", "2026-09-01T01:00:00+02:00"),
        req(5, False, "2026-08-01T00:00:00Z", "2026-08-02T00:00:00Z"),   # not critical
        req(6, True, "2026-08-01T00:00:00Z"),                            # open
        # 2026-07: 50 days
        req(7, True, "2026-05-22T00:00:00Z", "2026-07-11T00:00:00Z"),
    ]})
    aug = kpi(db, "2026-08", "hiring_cycle_time")
    assert aug["value"] == pytest.approx(25.0) and aug["sample_size"] == 4
    assert aug["baseline"] == {"period": "2026-07", "value": pytest.approx(50.0)}
    assert aug["change"] == pytest.approx(-50.0)
    assert aug["status"] == "on_track"
    # hiring_req has neither team nor tier
    scoped = kpi(db, "2026-08", "hiring_cycle_time", team="a", tier=1)
    assert scoped["value"] == pytest.approx(25.0)
    assert scoped["team_filter_applied"] is False and scoped["tier_filter_applied"] is False
