"""SLO chart series: burn rate over time, budget burn-down, latency (hand-computed)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sli_rows import every, sli

from metrics.config import load_config
from metrics.slo.report import slo_report
from metrics.slo.series import (
    budget_burndown,
    burn_rate_series,
    latency_series,
    parse_step,
)

T = datetime(2026, 7, 10, 12, 0, tzinfo=UTC)
H, M, D = timedelta(hours=1), timedelta(minutes=1), timedelta(days=1)


def _hourly_with_blip_and_gap() -> list[dict]:
    # hourly windows T − 5 d … T − 1 h, 1000 requests and 1 error each (burn 1.0);
    # the window at T − 2 h has 10 errors; there is no window at T − 3 h
    rows = every("ep", T - 5 * D, 120, H, 1000, 1)
    rows = [r for r in rows if r["window_start"] != "2026-07-10T09:00:00Z"]
    for r in rows:
        if r["window_start"] == "2026-07-10T10:00:00Z":
            r["errors"] = 10
    return rows


def test_burn_rate_series_shape_and_hand_checked_points(make_store):
    db = make_store({"inference_sli": _hourly_with_blip_and_gap()})
    df = burn_rate_series(db, "ep", at=T, days=2)
    assert list(df.columns) == ["t", "lookback", "burn_rate"]
    assert len(df) == 3 * 48
    assert df.groupby("lookback").size().to_dict() == {"1h": 48, "6h": 48, "3d": 48}
    one_h = df[df.lookback == "1h"].set_index("t")["burn_rate"]
    six_h = df[df.lookback == "6h"].set_index("t")["burn_rate"]
    assert one_h.index[0] == pd.Timestamp(T - 47 * H) and one_h.index[-1] == pd.Timestamp(T)
    assert one_h[pd.Timestamp(T)] == pytest.approx(1.0)        # 1 ÷ 1000 ÷ 0.001
    assert one_h[pd.Timestamp(T - H)] == pytest.approx(10.0)   # the blip: 10 ÷ 1000 ÷ 0.001
    assert math.isnan(one_h[pd.Timestamp(T - 2 * H)])          # [T − 3 h, T − 2 h): no window
    # at T − 1 h the 6h look-back holds T − 7 h … T − 2 h minus the gap: 5 windows
    assert six_h[pd.Timestamp(T - H)] == pytest.approx((4 + 10) / 5000 / 0.001)  # 2.8
    # and the last point agrees with slo_report at T
    rates = slo_report(db, at=T)["endpoints"][0]["burn_rates"]
    last = df[df.t == pd.Timestamp(T)].set_index("lookback")["burn_rate"]
    assert last.to_dict() == pytest.approx({k: rates[k] for k in ("1h", "6h", "3d")})


def test_burn_rate_series_step_and_unknown_endpoint(make_store):
    db = make_store({"inference_sli": _hourly_with_blip_and_gap()})
    assert len(burn_rate_series(db, "ep", at=T, days=1, step="30m")) == 3 * 48
    assert burn_rate_series(db, "nope", at=T).empty
    assert parse_step("5m") == 300
    with pytest.raises(ValueError, match="step"):
        burn_rate_series(db, "ep", at=T, step="7m")
    with pytest.raises(ValueError, match="not a duration"):
        parse_step("1w")


def test_budget_burndown_first_and_last_day(make_store):
    # tier 1 (budget 0.1 %), 200,000 requests in the window → 200 errors allowed
    db = make_store({"inference_sli": [
        sli("ep", T - 30 * D, 100_000, 10, seconds=60),      # day 1 of the window
        sli("ep", T - D, 100_000, 40, seconds=60),           # day 30
    ]})
    df = budget_burndown(db, "ep", at=T)
    assert list(df.columns) == ["day", "budget_remaining", "ideal"]
    assert len(df) == 31                                      # day 0 … day 30
    assert df.day.iloc[0] == pd.Timestamp(T - 30 * D) and df.day.iloc[-1] == pd.Timestamp(T)
    assert df.budget_remaining.iloc[0] == pytest.approx(100.0)
    assert df.budget_remaining.iloc[1] == pytest.approx(95.0)   # 100 × (1 − 10 ÷ 200)
    assert df.budget_remaining.iloc[29] == pytest.approx(95.0)
    assert df.budget_remaining.iloc[-1] == pytest.approx(75.0)  # 100 × (1 − 50 ÷ 200)
    assert df.ideal.iloc[0] == 100.0 and df.ideal.iloc[-1] == 0.0
    assert df.ideal.iloc[15] == pytest.approx(50.0)
    report = slo_report(db, at=T)["endpoints"][0]
    assert df.budget_remaining.iloc[-1] == pytest.approx(report["budget_remaining"])


def test_budget_burndown_follows_configured_window(make_store, tmp_path):
    db = make_store({"inference_sli": [sli("ep", T - H, 1000, 0)]})
    (tmp_path / "c.toml").write_text("[slo.endpoint.ep]\nwindow_days = 7\n")
    config = load_config(tmp_path / "c.toml")
    df = budget_burndown(db, "ep", at=T, config=config)
    assert len(df) == 8 and df.budget_remaining.tolist() == [100.0] * 8
    assert budget_burndown(db, "nope", at=T).empty


def test_latency_series_keeps_max_per_bucket(make_store):
    db = make_store({"inference_sli": [
        sli("ep", T - 20 * M, 100, p95=100.0),
        sli("ep", T - 15 * M, 100, p95=400.0),
        sli("ep", T - 10 * M, 100),                         # no p95
        sli("ep", T, 100, p95=999.0),                       # starts at T: outside
    ]})
    # 1 day of 5-minute windows: 1-minute buckets fit in 2000 points → rows as they are
    one_day = latency_series(db, "ep", at=T, days=1)
    assert list(one_day.columns) == ["window_start", "latency_p95_ms", "latency_p99_ms",
                                     "objective_ms"]
    assert one_day.window_start.tolist() == [pd.Timestamp(T - m * M) for m in (20, 15, 10)]
    assert one_day.latency_p95_ms.tolist()[:2] == [100.0, 400.0]
    assert one_day.objective_ms.tolist() == [300.0] * 3
    # 7 days → 10-minute buckets (1008 ≤ 2000): [T − 20 m, T − 10 m) keeps the max, 400
    week = latency_series(db, "ep", at=T, days=7)
    assert week.window_start.tolist() == [pd.Timestamp(T - 20 * M), pd.Timestamp(T - 10 * M)]
    assert week.latency_p95_ms.iloc[0] == 400.0 and math.isnan(week.latency_p95_ms.iloc[1])


def test_latency_series_never_exceeds_2000_points(make_store):
    rows = every("ep", T - 2 * D, 2880, M, 10, 0, p95=50.0)  # 1-minute windows, 2 days
    db = make_store({"inference_sli": rows})
    df = latency_series(db, "ep", at=T, days=2)
    assert len(df) <= 2000
    assert len(df) == 576                                    # 2 days of 5-minute buckets
    assert latency_series(db, "nope", at=T).empty


def test_series_default_at(make_store):
    db = make_store({"inference_sli": [sli("ep", T - 5 * M, 1000, 1, seconds=300)]})
    df = burn_rate_series(db, "ep", days=1)
    assert df.t.iloc[-1] == pd.Timestamp(datetime(2026, 7, 10, 12, tzinfo=UTC))
    assert budget_burndown(db, "ep").day.iloc[-1] == pd.Timestamp(T)
    assert len(latency_series(db, "ep", days=1)) == 1
