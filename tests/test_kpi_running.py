"""Periods still running: figures to date, the pace of whole-period counts, provisional
statuses. Every expectation is computed by hand from the rows below."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from metrics.kpi.report import kpi_report, kpi_series
from metrics.periods import parse_period

CEST = timezone(timedelta(hours=2))
ROSTER = [{"team": "a"}, {"team": "b"}]


def deploy(i: int, approved: str, deployed: str, rollback: bool = False) -> dict:
    return {"deployment_id": f"d{i}", "team": "a", "model": "m", "tier": 1,
            "spec_approved_at": approved, "deployed_at": deployed, "automated": True,
            "rollback": rollback}


DEPLOYS = [
    deploy(1, "2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z"),          # 24 h
    deploy(2, "2026-07-10T00:00:00Z", "2026-07-10T12:00:00Z"),          # 12 h
    deploy(3, "2026-08-01T00:00:00Z", "2026-08-03T00:00:00Z"),          # 48 h
    deploy(4, "2026-08-05T00:00:00Z", "2026-08-05T06:00:00Z", True),    # a rollback
    deploy(5, "2026-08-10T00:00:00Z", "2026-08-15T23:59:59.999+00:00"),  # last ms before now
]
HALF_Q3 = datetime(2026, 8, 16, tzinfo=UTC)  # 46 of 92 days: elapsed 0.5


@pytest.fixture
def db(make_store):
    return make_store({"team": ROSTER, "deployment": DEPLOYS})


def kpi(report: dict, kpi_id: str) -> dict:
    return next(k for k in report["kpis"] if k["id"] == kpi_id)


def test_a_running_quarter_reports_its_pace_and_provisional_statuses(db) -> None:
    report = kpi_report(db, parse_period("2026Q3"), now=HALF_Q3)
    assert report["complete"] is False
    assert report["elapsed"] == pytest.approx(0.5)
    assert report["as_of"] == "2026-08-16T00:00:00Z"
    # releases to date: d1, d2, d3, d5 (d4 is a rollback) over 2 teams = 2 a team;
    # at half the quarter that is a pace of 4 a team per quarter: on track (>= 2, < 6)
    throughput = kpi(report, "ml_release_throughput")
    assert throughput["value"] == pytest.approx(4.0)
    assert throughput["sample_size"] == 4
    assert throughput["pace"] is True and throughput["provisional"] is True
    assert throughput["status"] == "on_track"
    # a median is not a count: lead time is the median of 24, 12, 48, 143.99… h, unscaled
    lead = kpi(report, "lead_time_for_ml_changes")
    five = (datetime(2026, 8, 15, 23, 59, 59, 999000, tzinfo=UTC)
            - datetime(2026, 8, 10, tzinfo=UTC)).total_seconds() / 3600
    assert five == pytest.approx(143.9999997222)
    assert lead["value"] == pytest.approx((24 + 48) / 2)
    assert lead["pace"] is False and lead["provisional"] is True
    assert all(k["provisional"] for k in report["kpis"])


def test_a_month_to_date_at_a_non_utc_instant(db) -> None:
    # 2026-08-16T02:00+02:00 is 2026-08-16T00:00Z: 15 of August's 31 days are behind us.
    now = datetime(2026, 8, 16, 2, 0, tzinfo=CEST)
    report = kpi_report(db, parse_period("2026-08"), now=now)
    assert report["elapsed"] == pytest.approx(15 / 31)
    assert report["as_of"] == "2026-08-16T00:00:00Z"
    # August releases: d3, d5 over 2 teams, × 3 to a quarter = 3.0; pace 3.0 × 31 / 15 = 6.2:
    # beyond the stretch of 6, so ahead — provisionally
    throughput = kpi(report, "ml_release_throughput")
    assert throughput["value"] == pytest.approx(3.0 * 31 / 15)
    assert throughput["status"] == "ahead" and throughput["provisional"] is True


def test_the_last_hour_of_a_quarter_is_still_running(db) -> None:
    # 2026-10-01T01:00+02:00 is 2026-09-30T23:00Z: one hour of 2,208 is left.
    now = datetime(2026, 10, 1, 1, 0, tzinfo=CEST)
    report = kpi_report(db, parse_period("2026Q3"), now=now)
    assert report["complete"] is False
    assert report["elapsed"] == pytest.approx(1 - 1 / 2208)
    assert kpi(report, "ml_release_throughput")["value"] == pytest.approx(2 / (1 - 1 / 2208))


def test_a_complete_quarter_is_reported_as_it_is(db) -> None:
    report = kpi_report(db, parse_period("2026Q3"), now=datetime(2026, 10, 1, tzinfo=UTC))
    assert report["complete"] is True and report["elapsed"] == 1.0
    assert report["as_of"] == "2026-10-01T00:00:00Z"
    throughput = kpi(report, "ml_release_throughput")
    assert throughput["value"] == pytest.approx(2.0)  # 4 releases ÷ 2 teams
    assert throughput["pace"] is False and throughput["provisional"] is False
    assert throughput["status"] == "on_track"


def test_a_period_that_has_not_started_has_no_pace(db) -> None:
    report = kpi_report(db, parse_period("2026Q4"), now=HALF_Q3)
    assert report["elapsed"] == 0.0 and report["complete"] is False
    assert report["as_of"] == "2026-08-16T00:00:00Z"
    assert kpi(report, "ml_release_throughput")["value"] is None


def test_the_series_marks_the_running_period(db) -> None:
    series = kpi_series(db, parse_period("2026Q3"), n=2, kpi_ids=["ml_release_throughput"],
                        grain="quarter", now=HALF_Q3)
    q2, q3 = series.to_dict("records")
    assert (q2["period"], q2["provisional"], q2["pace"]) == ("2026Q2", False, False)
    assert (q3["period"], q3["provisional"], q3["pace"]) == ("2026Q3", True, True)
    assert q3["value"] == pytest.approx(4.0)
