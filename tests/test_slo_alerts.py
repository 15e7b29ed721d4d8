"""The alert arithmetic of slo.md, without a store: named cases, factors worked by hand.

threshold = budget share × window ÷ long look-back, e.g. 28 days = 672 h:
1h/5m 2 % × 672 ÷ 1 = 13.44, 6h/30m 5 % × 672 ÷ 6 = 5.6, 1d/2h 10 % × 672 ÷ 24 = 2.8,
3d/6h 10 % × 672 ÷ 72 = 0.9333…
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from metrics.slo.alerts import (
    ALERT_RULES,
    alert_state,
    hours_to_exhaustion,
    max_burn_rate,
    page_alert_unreachable,
    thresholds,
    unreachable_sentence,
)

QUIET = dict.fromkeys(("5m", "30m", "1h", "2h", "6h", "1d", "3d"), 0.0)


@pytest.mark.parametrize(("window_days", "expected"), [
    pytest.param(30, {"1h/5m": 14.4, "6h/30m": 6.0, "1d/2h": 3.0, "3d/6h": 1.0},
                 id="google-30d"),
    pytest.param(28, {"1h/5m": 13.44, "6h/30m": 5.6, "1d/2h": 2.8, "3d/6h": 14 / 15},
                 id="google-28d"),      # 3d/6h: 0.1 × 672 ÷ 72 = 0.9333…
    pytest.param(7, {"1h/5m": 3.36, "6h/30m": 1.4, "1d/2h": 0.7, "3d/6h": 7 / 30},
                 id="7d"),              # 168 h: 0.02 × 168 = 3.36; 0.1 × 168 ÷ 72 = 0.2333…
    pytest.param(90, {"1h/5m": 43.2, "6h/30m": 18.0, "1d/2h": 9.0, "3d/6h": 3.0},
                 id="90d"),             # 2160 h: 0.02 × 2160 = 43.2; 0.05 × 2160 ÷ 6 = 18
])
def test_thresholds_scale_with_the_window(window_days, expected):
    got = thresholds(window_days)
    assert list(got) == ["1h/5m", "6h/30m", "1d/2h", "3d/6h"]
    assert got == pytest.approx(expected, rel=1e-12)


def test_rules_are_the_table_of_slo_md():
    assert [(r.severity, r.long, r.short, r.budget_percent) for r in ALERT_RULES] == [
        ("page", "1h", "5m", 2), ("page", "6h", "30m", 5),
        ("ticket", "1d", "2h", 10), ("ticket", "3d", "6h", 10)]


# (burn rates set above the quiet baseline, window days) → (state, rows fired)
STATE_CASES = {
    "page-fast-30d": ({"1h": 15.0, "5m": 15.0}, 30, "page", ["1h/5m"]),
    "exactly-at-threshold-does-not-fire": ({"1h": 14.4, "5m": 14.4}, 30, "ok", []),
    # 0.0144 ÷ 0.001 in floating point is 14.399999999999986: still "at" 14.4
    "float-noise-at-threshold": ({"1h": 0.0144 / 0.001, "5m": 0.0144 / 0.001}, 30, "ok", []),
    "just-above-threshold": ({"1h": 14.40001, "5m": 14.40001}, 30, "page", ["1h/5m"]),
    "long-burns-short-recovered": ({"1h": 20.0, "5m": 14.0}, 30, "ok", []),
    "short-spike-long-calm": ({"1h": 14.0, "5m": 100.0}, 30, "ok", []),
    "short-look-back-without-requests": ({"1h": 20.0, "5m": None}, 30, "ok", []),
    "28d-pages-at-13.5-where-30d-does-not": ({"1h": 13.5, "5m": 13.5}, 28, "page",
                                             ["1h/5m"]),
    "30d-at-13.5-is-quiet": ({"1h": 13.5, "5m": 13.5}, 30, "ok", []),
    "page-slow-6h/30m": ({"6h": 6.5, "30m": 6.5}, 30, "page", ["6h/30m"]),
    "ticket-1d/2h": ({"1d": 3.5, "2h": 3.5}, 30, "ticket", ["1d/2h"]),
    "ticket-3d/6h-28d": ({"3d": 0.95, "6h": 0.95}, 28, "ticket", ["3d/6h"]),
    "3d/6h-30d-below-1": ({"3d": 0.95, "6h": 0.95}, 30, "ok", []),
    "7d-ticket-at-0.8": ({"1d": 0.8, "2h": 0.8}, 7, "ticket", ["1d/2h"]),
    "90d-needs-43.2-to-page": ({"1h": 40.0, "5m": 40.0, "6h": 19.0, "30m": 19.0}, 90,
                               "page", ["6h/30m"]),
    "every-row-fires-most-severe-wins": (dict.fromkeys(QUIET, 20.0), 30, "page",
                                         ["1h/5m", "6h/30m", "1d/2h", "3d/6h"]),
}


@pytest.mark.parametrize(("burn", "window_days", "state", "fired"), STATE_CASES.values(),
                         ids=STATE_CASES.keys())
def test_alert_state(burn, window_days, state, fired):
    got_state, got_fired = alert_state({**QUIET, **burn}, window_days, has_requests=True)
    assert (got_state, [r.name for r in got_fired]) == (state, fired)


def test_no_requests_in_1h_and_3d_is_no_data_even_if_burning():
    assert alert_state(dict.fromkeys(QUIET, 20.0), 30, has_requests=False) == ("no_data", [])


@pytest.mark.parametrize(("remaining", "burn_1d", "days", "hours"), [
    (50.0, 2.0, 30, 180.0),     # 0.5 × 720 h ÷ 2
    (25.0, 0.5, 28, 336.0),     # 0.25 × 672 h ÷ 0.5
    (100.0, 10.0, 7, 16.8),     # 1 × 168 h ÷ 10
    (0.0, 2.0, 30, 0.0),        # spent
    (-40.0, 2.0, 30, 0.0),      # overspent
    (50.0, 0.0, 30, None),      # not burning: never
    (50.0, None, 30, None),     # no requests in the last day
    (None, 2.0, 30, None),      # no figures in the window
])
def test_hours_to_exhaustion(remaining, burn_1d, days, hours):
    got = hours_to_exhaustion(remaining, burn_1d, days)
    assert got == (None if hours is None else pytest.approx(hours, rel=1e-12))


# the page threshold T = 0.02 × window hours; an objective can page when 1 ÷ (1 − a) > T
@pytest.mark.parametrize(("objective", "days", "unreachable"), [
    # 7 days, T = 3.36: 1 ÷ 0.298 = 3.3557 ≤ 3.36; 1 ÷ 0.297 = 3.3670 > 3.36
    (70.2, 7, True), (70.3, 7, False),
    (93.0, 7, False),              # 1 ÷ 0.07 = 14.29 > 3.36 (a fixed 14.4 would say never)
    # 28 days, T = 13.44: 1 ÷ 0.0745 = 13.4228 ≤ 13.44; 1 ÷ 0.0744 = 13.4409 > 13.44
    (92.55, 28, True), (92.56, 28, False),
    (93.0, 28, False),             # 14.29 > 13.44 (a fixed 14.4 would say never)
    # 30 days, T = 14.4: 1 ÷ 0.0695 = 14.388 ≤ 14.4; 1 ÷ 0.0694 = 14.409 > 14.4
    (93.05, 30, True), (93.06, 30, False), (93.0, 30, True), (99.9, 30, False),
    # 90 days, T = 43.2: 1 ÷ 0.0232 = 43.103 ≤ 43.2; 1 ÷ 0.0231 = 43.290 > 43.2
    (97.68, 90, True), (97.69, 90, False),
    (95.0, 90, True),              # 1 ÷ 0.05 = 20 ≤ 43.2 (a fixed 14.4 would say it pages)
    (50.0, 30, True),              # at most 2
])
def test_page_alert_unreachable_per_window(objective, days, unreachable):
    assert page_alert_unreachable(objective, days) is unreachable


def test_max_burn_rate_and_the_warning_sentence():
    assert max_burn_rate(99.9) == pytest.approx(1000.0)
    assert max_burn_rate(93.0) == pytest.approx(14.285714285714286)
    assert unreachable_sentence("ranker", 93.0, 30) == (
        "ranker's objective of 93 % can never page on the 1h/5m row: even a 100 % error "
        "ratio burns at 14.29, not above 14.4; tighten the objective or rely on the "
        "other rows.")


def test_the_arithmetic_needs_no_store_nor_engine():
    code = ("import sys, metrics.slo.alerts; "
            "print(sorted(m for m in ('duckdb', 'ibis', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
