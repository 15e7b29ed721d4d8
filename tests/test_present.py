"""metrics.present: the one way numbers, targets, statuses and dates read to people (the
CLI, the dashboard and the reports all use it). Expectations worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from metrics import present
from metrics.kpi.targets import STATUSES


@pytest.mark.parametrize(("value", "unit", "text"), [
    (99.953, "%", "99.953"),   # the nines stay apart: 99.953, 99.95 and 99.9 all differ
    (99.95, "%", "99.95"), (99.9, "%", "99.9"), (99.9996, "%", "100"),
    (99.953, "hours", "99.95"),  # only a percentage keeps three decimals
    (84.2105, "%", "84.21"), (100.0, "%", "100"), (3.04431, "hours", "3.04"),
    (0.044897, "USD", "0.0449"), (0.5, "", "0.5"), (0.0000001, "", "0"),  # 3 significant
    (999.996, "", "1,000"), (1234.5, "", "1,234"), (-1234.5, "", "-1,234"),  # half to even
    (-0.001, "", "-0.001"), (-0.0000001, "", "0"), (0, "", "0"), (np.int64(7), "", "7"),
    (np.float64(2.5), "", "2.5"), (None, "%", "–"), (float("nan"), "%", "–"), ("n/a", "", "n/a"),
])
def test_number(value, unit, text) -> None:
    assert present.number(value, unit) == text


@pytest.mark.parametrize(("value", "unit", "text"), [
    (99.934, "%", "99.934 %"), (41.5, "hours", "41.5 hours"), (12345.6, "USD", "12,346 USD"),
    (0.04489, "USD", "0.0449 USD"), (-4.5, "% per year", "-4.5 %"), (2.0, "", "2"),
    (None, "hours", "–"),
])
def test_quantity_writes_the_unit_after_a_space(value, unit, text) -> None:
    assert present.quantity(value, unit) == text


@pytest.mark.parametrize(("target", "unit", "text"), [
    ({"kind": "absolute", "op": ">=", "value": 80, "stretch": 95}, "%", "≥ 80 % (stretch 95 %)"),
    ({"kind": "absolute", "op": "<=", "value": 60, "stretch": None}, "minutes", "≤ 60 minutes"),
    ({"kind": "relative", "op": "<=", "value": -20, "stretch": -40, "baseline_periods": 4},
     "hours", "change ≤ -20 % vs a year earlier (stretch -40 %)"),
    ({"kind": "relative", "op": ">=", "value": 5, "stretch": None, "baseline_periods": 1},
     "%", "change ≥ 5 % vs the previous period"),
    ({"kind": "relative", "op": "<=", "value": -10, "stretch": float("nan")}, "USD",
     "change ≤ -10 %"),  # a series row: no baseline known, NaN stretch
    ({"kind": "absolute", "op": ">=", "value": None}, "%", "no target"), (None, "%", "no target"),
])
def test_one_target_text_for_every_target(target, unit, text) -> None:
    assert present.kpi_target(target, unit) == text


def test_every_status_of_the_engine_has_a_word_and_a_symbol() -> None:
    assert set(present.STATUS_LABELS) == set(present.STATUS_SYMBOLS) == set(STATUSES)
    assert [present.status_text(s) for s in STATUSES] == [
        "▲▲ Ahead", "✓ On track", "✗ Off track", "– No data", "○ No baseline"]
    assert present.status_text(None) == "– No data"
    assert present.alert_text("ticket") == "✗ ticket"


@pytest.mark.parametrize(("change", "text"), [
    (-25.0, "-25 %"), (12.345, "+12.35 %"), (0.0, "0 %"), (-0.04, "-0.04 %"), (None, "–")])
def test_change_is_signed_and_zero_has_no_sign(change, text) -> None:
    assert present.change_text(change) == text


def test_instants_read_in_utc_to_the_minute() -> None:
    assert present.instant("2026-11-24T22:00:00Z") == "2026-11-24 22:00 UTC"
    assert present.instant("2026-11-25T00:30:59+02:00") == "2026-11-24 22:30 UTC"
    assert present.instant(datetime(2026, 1, 2, 3, 4, tzinfo=UTC)) == "2026-01-02 03:04 UTC"
    assert present.instant("2026-08-01") == "2026-08-01 00:00 UTC"
    assert present.instant(None) == present.instant("") == "–"


def test_a_half_open_period_reads_as_its_first_and_last_day() -> None:
    assert present.dates("2025-10-01T00:00:00Z", "2026-01-01T00:00:00Z") == \
        "2025-10-01 to 2025-12-31"
    assert present.dates("2026-02-23T00:00:00Z", "2026-03-02T00:00:00Z") == \
        "2026-02-23 to 2026-03-01"  # ISO week 2026-W09, across the end of February


@pytest.mark.parametrize(("since", "at", "text"), [
    ("2026-11-21T22:00:00Z", "2026-11-22T00:00:00Z", "2026-11-21 22:00 UTC (2 h)"),
    ("2026-11-20T00:00:00Z", "2026-11-21T23:40:00Z", "2026-11-20 00:00 UTC (2 d)"),
    ("2026-11-19T20:00:00Z", "2026-11-22T00:00:00Z", "2026-11-19 20:00 UTC (2 d 4 h)"),
    ("2026-11-15T00:00:00Z", "2026-11-22T00:00:00Z", "2026-11-15 00:00 UTC (7 d)"),
    (None, "2026-11-22T00:00:00Z", "–"), ("2026-11-21T22:00:00Z", None, "–"),
])
def test_since_says_when_and_how_long_ago(since, at, text) -> None:
    assert present.since_text(since, at) == text
