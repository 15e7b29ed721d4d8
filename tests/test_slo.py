"""slo_report: hand-computed burn rates, budgets, alert rows, edges (spec: slo.md, cli.md).

Every expectation is worked out in the comment beside it. T is the evaluation instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sli_rows import every, sli

from metrics.config import load_config
from metrics.slo.alerts import page_alert_unreachable
from metrics.slo.report import slo_report

T = datetime(2026, 7, 10, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
D = timedelta(days=1)
LOOKBACK_KEYS = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]


def report(db: Path, **kw) -> dict:
    kw.setdefault("at", T)
    return slo_report(db, **kw)


def by_name(rep: dict) -> dict[str, dict]:
    return {e["endpoint"]: e for e in rep["endpoints"]}


def toml(tmp_path: Path, text: str):
    path = tmp_path / "mlkpi.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


# --- the workbook arithmetic --------------------------------------------------------

@pytest.mark.parametrize(("lookback", "span", "errors", "burn", "budget_share"), [
    ("1h", H, 1440, 14.4, 0.02),    # 1.44 % errors ÷ 0.1 % budget = 14.4; 14.4 × 1 h ÷ 720 h = 2 %
    ("6h", 6 * H, 600, 6.0, 0.05),  # 0.6 % → 6; 6 × 6 h ÷ 720 h = 5 %
    ("1d", D, 300, 3.0, 0.10),      # 0.3 % → 3; 3 × 24 h ÷ 720 h = 10 %
    ("3d", 3 * D, 100, 1.0, 0.10),  # 0.1 % → 1; 1 × 72 h ÷ 720 h = 10 %
])
def test_workbook_burn_rates(make_store, lookback, span, errors, burn, budget_share):
    # one window starting exactly at T − w: inside look-back w, outside every shorter one
    db = make_store({"inference_sli": [sli("a", T - span, 100_000, errors, seconds=60)]})
    e = report(db)["endpoints"][0]
    assert e["burn_rates"][lookback] == pytest.approx(burn)
    assert e["burn_rates"][lookback] * span / (30 * D) == pytest.approx(budget_share)
    shorter = LOOKBACK_KEYS[:LOOKBACK_KEYS.index(lookback)]
    assert all(e["burn_rates"][k] is None for k in shorter)


def test_report_shape_matches_cli_contract(make_store):
    db = make_store({"inference_sli": [sli("a", T - 10 * M, 1000, 1, p95=120.0)]})
    rep = report(db)
    assert rep["at"] == "2026-07-10T12:00:00Z"
    assert rep["warnings"] == []
    e = rep["endpoints"][0]
    for key in ("endpoint", "team", "tier", "objective", "latency_p95_objective_ms",
                "window_days", "availability", "latency_compliance", "budget_consumed",
                "budget_remaining", "burn_rates", "alert", "fired"):
        assert key in e
    assert list(e["burn_rates"]) == LOOKBACK_KEYS
    assert (e["objective"], e["latency_p95_objective_ms"], e["window_days"]) == (99.9, 300, 30)
    assert e["objective_source"] == "default"
    assert e["thresholds"] == {"1h/5m": 14.4, "6h/30m": 6.0, "1d/2h": 3.0, "3d/6h": 1.0}
    assert (e["requests"], e["errors"]) == (1000, 1)


# --- alert rows -----------------------------------------------------------------------

def test_page_fires_every_row_when_everything_burns(make_store):
    # twelve 5-min windows in the last hour, 2 % errors each → burn 20 in every look-back
    db = make_store({"inference_sli": every("hot", T - H, 12, 5 * M, 1000, 20)})
    e = report(db)["endpoints"][0]
    assert e["burn_rates"]["5m"] == pytest.approx(20.0)
    assert e["alert"] == "page"
    assert e["fired"] == ["1h/5m", "6h/30m", "1d/2h", "3d/6h"]


def test_ticket_when_short_page_windows_have_no_data(make_store):
    # hourly windows over the last day at 0.4 % errors → burn 4 from 1h up; the window
    # starting at T − 1h is not in the 30m or 5m look-backs, so those are null
    db = make_store({"inference_sli": every("slow", T - D, 24, H, 1000, 4)})
    e = report(db)["endpoints"][0]
    assert e["burn_rates"]["5m"] is None and e["burn_rates"]["30m"] is None
    assert e["burn_rates"]["1h"] == pytest.approx(4.0)
    assert e["alert"] == "ticket"
    assert e["fired"] == ["1d/2h", "3d/6h"]


def test_burst_that_ended_two_days_ago_fires_nothing(make_store):
    # hourly windows over 3 days, 1000 requests; one window at T − 50 h with 500 errors:
    # 3d burn = 500 ÷ 72,000 ÷ 0.001 = 6.94 (high) but 6h, 2h, 1d burn 0 → nothing fires
    rows = every("calm", T - 3 * D, 72, H, 1000, 0)
    rows[22]["errors"] = 500  # T − 72 h + 22 h = T − 50 h
    db = make_store({"inference_sli": rows})
    e = report(db)["endpoints"][0]
    assert e["burn_rates"]["3d"] == pytest.approx(500 / 72_000 / 0.001)
    assert e["burn_rates"]["6h"] == 0.0 and e["burn_rates"]["1d"] == 0.0
    assert (e["alert"], e["fired"]) == ("ok", [])


def _at_threshold(endpoint: str, errors_per_window: int) -> list[dict]:
    # last hour: twelve 5-min windows of 10,000 requests → 1h and 5m burn = errors ÷ 10
    # T − 6 h … T − 1 h: 60 clean windows → 6h burn = 12 × errors ÷ 720,000 ÷ 0.001 ≈ 2.4
    # T − 2 d: 10,000,000 clean requests → 3d burn ≈ 0.16, so no ticket row fires
    return (every(endpoint, T - H, 12, 5 * M, 10_000, errors_per_window)
            + every(endpoint, T - 6 * H, 60, 5 * M, 10_000, 0)
            + [sli(endpoint, T - 2 * D, 10_000_000, 0, seconds=60)])


def test_exactly_at_threshold_does_not_fire_just_above_does(make_store):
    db = make_store({"inference_sli": _at_threshold("at", 144) + _at_threshold("above", 145)})
    got = by_name(report(db))
    at, above = got["at"], got["above"]
    assert at["burn_rates"]["1h"] == pytest.approx(14.4)  # 1.44 % ÷ 0.1 %
    assert at["burn_rates"]["5m"] == pytest.approx(14.4)
    assert at["burn_rates"]["6h"] == pytest.approx(1728 / 720_000 / 0.001)  # 2.4
    assert at["burn_rates"]["3d"] < 1
    assert (at["alert"], at["fired"]) == ("ok", [])
    assert above["burn_rates"]["1h"] == pytest.approx(14.5)
    assert (above["alert"], above["fired"]) == ("page", ["1h/5m"])


def test_no_traffic_is_no_data_with_null_burn_rates(make_store):
    db = make_store({"inference_sli": [
        sli("idle", T - 30 * M, 0), sli("idle", T - 2 * D, 0),
        # traffic 10 days ago only: the window has figures, the 1h and 3d look-backs do not
        sli("quiet", T - 10 * D, 1000, 2), sli("quiet", T - 2 * H, 0),
    ]})
    got = by_name(report(db))
    idle, quiet = got["idle"], got["quiet"]
    assert idle["alert"] == "no_data" and idle["fired"] == []
    assert idle["burn_rates"] == dict.fromkeys(LOOKBACK_KEYS)
    assert idle["availability"] is None and idle["budget_remaining"] is None
    assert idle["budget_consumed"] is None and idle["latency_compliance"] is None
    assert idle["hours_to_exhaustion"] is None
    assert quiet["alert"] == "no_data"
    assert quiet["availability"] == pytest.approx(99.8)       # 100 × (1 − 2 ÷ 1000)
    assert quiet["budget_remaining"] == pytest.approx(-100.0)  # 100 − 100 × 0.002 ÷ 0.001


# --- look-back and window edges -------------------------------------------------------

def test_lookbacks_are_half_open(make_store):
    db = make_store({"inference_sli": [
        sli("edge", T - H, 1000, 10, seconds=60),           # exactly T − 1h: inside 1h
        sli("edge", T - H - M, 1000, 0, seconds=60),        # one minute earlier: 2h only
        sli("edge", T, 1000, 1000, seconds=60),             # exactly T: outside everything
    ]})
    e = report(db)["endpoints"][0]
    assert e["burn_rates"]["30m"] is None
    assert e["burn_rates"]["1h"] == pytest.approx(10.0)    # 10 ÷ 1000 ÷ 0.001
    assert e["burn_rates"]["2h"] == pytest.approx(5.0)     # 10 ÷ 2000 ÷ 0.001
    assert e["requests"] == 2000 and e["errors"] == 10


def test_availability_and_budget_hand_computed(make_store):
    db = make_store({"inference_sli": [
        # tier 2: 99.5 % → budget 0.5 %
        sli("b", T - 30 * D, 10_000, 20, tier=2),           # exactly at the window start: in
        sli("b", T - 30 * D - 5 * M, 10_000, 9_000, tier=2),  # before it: out
        sli("b", T - 10 * D, 20_000, 20, tier=2),
        sli("b", T - H, 10_000, 20, tier=2),
        # tier 3: 99 % → budget 1 %; 2.5 % errors spend 250 % of it
        sli("over", T - H, 1000, 25, tier=3),
    ]})
    got = by_name(report(db))
    b, over = got["b"], got["over"]
    # 60 errors in 40,000 requests = 0.15 %
    assert b["availability"] == pytest.approx(99.85)
    assert b["budget_consumed"] == pytest.approx(30.0)       # 0.15 ÷ 0.5
    assert b["budget_remaining"] == pytest.approx(70.0)
    assert b["burn_rates"]["1d"] == pytest.approx(0.4)       # 0.2 % ÷ 0.5 %
    assert b["hours_to_exhaustion"] == pytest.approx(1260.0)  # 0.7 × 720 h ÷ 0.4
    assert over["availability"] == pytest.approx(97.5)
    assert over["budget_consumed"] == pytest.approx(250.0)
    assert over["budget_remaining"] == pytest.approx(-150.0)
    assert over["hours_to_exhaustion"] == 0.0


def test_latency_compliance_timeslices(make_store, tmp_path):
    rows = [
        sli("lat", T - 50 * M, 100, p95=200.0),    # ok
        sli("lat", T - 40 * M, 100, p95=300.0),    # ok: ≤ the 300 ms objective
        sli("lat", T - 30 * M, 100, p95=301.0),    # too slow
        sli("lat", T - 20 * M, 0, p95=900.0),      # no requests: not counted
        sli("lat", T - 10 * M, 100),               # no p95: not counted
        sli("lat", T - 31 * D, 100, p95=900.0),    # outside the window
    ]
    tight = [{**r, "endpoint": "tight"} for r in rows]
    db = make_store({"inference_sli": rows + tight})
    config = toml(tmp_path, '[slo.endpoint.tight]\nlatency_p95_ms = 250\n')
    got = by_name(report(db, config=config))
    assert got["lat"]["latency_compliance"] == pytest.approx(200 / 3)  # 2 of 3
    assert got["tight"]["latency_compliance"] == pytest.approx(100 / 3)  # 1 of 3 (≤ 250)
    assert got["tight"]["latency_p95_objective_ms"] == 250


# --- objectives from the config -------------------------------------------------------

def test_28_day_window_scales_thresholds_and_window(make_store, tmp_path):
    # burn 14 everywhere: above 13.44 (28 days) but not 14.4 (30 days)
    rows = every("r", T - H, 12, 5 * M, 10_000, 140) + [sli("r", T - 29 * D, 10_000, 5000)]
    db = make_store({"inference_sli": rows})
    config = toml(tmp_path, "[slo.tier.1]\nwindow_days = 28\n")
    e28 = report(db, config=config)["endpoints"][0]
    assert e28["window_days"] == 28
    assert e28["thresholds"] == pytest.approx(
        {"1h/5m": 13.44, "6h/30m": 5.6, "1d/2h": 2.8, "3d/6h": 14 / 15})  # 0.9333…
    assert e28["fired"] == ["1h/5m", "6h/30m", "1d/2h", "3d/6h"]
    assert e28["requests"] == 120_000                           # T − 29 d is outside 28 d
    assert e28["budget_consumed"] == pytest.approx(1400.0)      # 1.4 % ÷ 0.1 %
    e30 = report(db)["endpoints"][0]
    assert e30["fired"] == ["6h/30m", "1d/2h", "3d/6h"] and e30["alert"] == "page"
    assert e30["requests"] == 130_000


def test_endpoint_override_beats_tier_override(make_store, tmp_path):
    db = make_store({"inference_sli": [sli("ranker-v2", T - H, 10_000, 1),
                                       sli("other", T - H, 10_000, 1)]})
    config = toml(tmp_path, "[slo.tier.1]\navailability = 99.95\nlatency_p95_ms = 250\n"
                            '[slo.endpoint."ranker-v2"]\navailability = 99.99\n')
    got = by_name(report(db, config=config))
    ranker, other = got["ranker-v2"], got["other"]
    assert (ranker["objective"], ranker["latency_p95_objective_ms"]) == (99.99, 250)
    assert ranker["objective_source"] == "organisation"
    assert ranker["budget_consumed"] == pytest.approx(100.0)    # 0.01 % ÷ 0.01 %
    assert other["objective"] == 99.95
    assert other["budget_consumed"] == pytest.approx(20.0)      # 0.01 % ÷ 0.05 %


def test_page_unreachable_objective_warns(make_store, tmp_path):
    # 1 ÷ (1 − 0.9305) = 14.388 ≤ 14.4: never pages; 1 ÷ (1 − 0.9306) = 14.409: can
    db = make_store({"inference_sli": [sli("loose", T - H, 100, 1),
                                       sli("fine", T - H, 100, 1)]})
    config = toml(tmp_path, '[slo.endpoint.loose]\navailability = 93.05\n'
                            '[slo.endpoint.fine]\navailability = 93.06\n')
    rep = report(db, config=config)
    got = by_name(rep)
    assert got["loose"]["page_unreachable"] is True
    assert got["fine"]["page_unreachable"] is False
    assert page_alert_unreachable(93.05, 30) and not page_alert_unreachable(93.06, 30)
    assert len(rep["warnings"]) == 1 and rep["warnings"][0].startswith("loose's objective")


# --- at, filters, order ----------------------------------------------------------------

def test_default_at_is_end_of_newest_window_of_any_endpoint(make_store):
    db = make_store({"inference_sli": [
        sli("a", T - 5 * M, 100, seconds=300),             # ends at T
        sli("b", T - 30 * M, 100, seconds=3600),           # starts earlier, ends T + 30 min
    ]})
    rep = slo_report(db)
    assert rep["at"] == "2026-07-10T12:30:00Z"
    assert {e["endpoint"] for e in rep["endpoints"]} == {"a", "b"}


def test_naive_at_is_utc_and_other_offsets_convert(make_store):
    db = make_store({"inference_sli": [sli("a", T - 5 * M, 100)]})
    assert report(db, at=T.replace(tzinfo=None))["at"] == "2026-07-10T12:00:00Z"
    cest = T.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert report(db, at=cest)["at"] == "2026-07-10T12:00:00Z"


def test_team_and_tier_come_from_latest_row_before_at(make_store):
    db = make_store({"inference_sli": [
        sli("moved", T - 2 * D, 100, tier=2, team="old"),
        sli("moved", T - H, 100, tier=1, team="new"),
        sli("moved", T + H, 100, tier=3, team="future"),   # after at: ignored
        sli("stay", T - H, 100, tier=2, team="old"),
    ]})
    moved = by_name(report(db))["moved"]
    assert (moved["team"], moved["tier"], moved["objective"]) == ("new", 1, 99.9)
    assert [e["endpoint"] for e in report(db, tier=2)["endpoints"]] == ["stay"]
    assert [e["endpoint"] for e in report(db, team="new")["endpoints"]] == ["moved"]
    assert report(db, team="new", tier=2)["endpoints"] == []
    assert [e["endpoint"] for e in report(db, endpoint="stay")["endpoints"]] == ["stay"]
    assert report(db, endpoint="nope")["endpoints"] == []


def test_sorted_worst_first(make_store):
    db = make_store({"inference_sli": [
        sli("ok-high", T - H, 10_000, 1, seconds=60),    # remaining 90
        sli("no-data", T - 5 * D, 10_000, 0),
        *every("page", T - H, 12, 5 * M, 1000, 20),
        sli("ok-low", T - H, 10_000, 5, seconds=60),     # remaining 50
        *every("ticket", T - D, 24, H, 1000, 4),
    ]})
    names = [e["endpoint"] for e in report(db)["endpoints"]]
    assert names == ["page", "ticket", "ok-low", "ok-high", "no-data"]


def test_empty_store(make_store):
    db = make_store({})
    assert slo_report(db) == {"at": None, "endpoints": [], "warnings": []}
    assert report(db)["endpoints"] == []


def test_endpoint_older_than_its_own_window_is_listed_without_figures(make_store, tmp_path):
    # listed: a row in the last 30 days (the longest window); its own window is 7 days
    db = make_store({"inference_sli": [sli("weekly", T - 20 * D, 1000, 5)]})
    config = toml(tmp_path, "[slo.endpoint.weekly]\nwindow_days = 7\n")
    e = report(db, config=config)["endpoints"][0]
    assert (e["endpoint"], e["window_days"], e["alert"]) == ("weekly", 7, "no_data")
    assert e["availability"] is None and e["requests"] == 0
    assert report(db, at=T + 11 * D)["endpoints"] == []   # 31 days later: not listed
