from datetime import UTC, datetime, timedelta, timezone

import pytest

from metrics.periods import (
    Period,
    PeriodError,
    baseline_periods,
    grain_for_cadence,
    latest_complete_period,
    parse_period,
    period_containing,
    periods_ending,
    quarter_of,
    scale_to_quarter,
    year_back_periods,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_quarter_bounds_and_iso() -> None:
    p = parse_period("2026Q3")
    assert (p.grain, p.start, p.end) == ("quarter", utc(2026, 7, 1), utc(2026, 10, 1))
    assert p.start_iso == "2026-07-01T00:00:00Z"
    assert p.end_iso == "2026-10-01T00:00:00Z"
    assert p.days == 92.0
    assert str(p) == "2026Q3"


def test_lowercase_q_and_q4_ends_next_year() -> None:
    p = parse_period("2026q4")
    assert p.label == "2026Q4"
    assert p.end == utc(2027, 1, 1)


def test_month_bounds() -> None:
    p = parse_period("2026-08")
    assert (p.start, p.end, p.label, p.days) == (utc(2026, 8, 1), utc(2026, 9, 1), "2026-08", 31.0)
    assert parse_period("2028-02").days == 29.0
    assert parse_period("2026-12").end == utc(2027, 1, 1)


def test_week_bounds_zero_padded() -> None:
    p = parse_period("2026-W05")
    assert p.start == utc(2026, 1, 26)  # a Monday
    assert p.end == utc(2026, 2, 2)
    assert p.label == "2026-W05"
    assert p.days == 7.0


def test_week_one_of_2026_starts_in_2025() -> None:
    assert parse_period("2026-W01").start == utc(2025, 12, 29)


def test_iso_week_53_only_where_the_year_has_it() -> None:
    w53 = parse_period("2026-W53")  # 2026 starts on a Thursday: it has 53 weeks
    assert w53.start == utc(2026, 12, 28)
    assert w53.end == utc(2027, 1, 4)
    assert w53.shift(1).label == "2027-W01"
    with pytest.raises(PeriodError, match="2027-W53"):
        parse_period("2027-W53")


def test_year_boundary_week() -> None:
    p = parse_period("2027-W01")
    assert p.start == utc(2027, 1, 4)
    assert p.shift(-1).label == "2026-W53"
    assert period_containing(utc(2027, 1, 3, 23, 59), "week").label == "2026-W53"
    assert period_containing(utc(2027, 1, 1, 12), "week").label == "2026-W53"


def test_day() -> None:
    p = parse_period("2026-08-14")
    assert (p.grain, p.start, p.end, p.label) == ("day", utc(2026, 8, 14), utc(2026, 8, 15),
                                                  "2026-08-14")


def test_shift_across_years() -> None:
    q3 = parse_period("2026Q3")
    assert q3.shift(-4).label == "2025Q3"
    assert q3.shift(2).label == "2027Q1"
    assert q3.shift(-11).label == "2023Q4"
    assert parse_period("2026-02").shift(-3).label == "2025-11"
    assert parse_period("2026-02").shift(-12).label == "2025-02"
    assert parse_period("2026-W02").shift(-52).label == "2025-W02"
    assert parse_period("2026-12-31").shift(1).label == "2027-01-01"


def test_contains_is_half_open() -> None:
    q3 = parse_period("2026Q3")
    assert q3.contains(utc(2026, 7, 1))
    assert q3.contains(utc(2026, 9, 30, 23, 59, 59))
    assert not q3.contains(utc(2026, 10, 1))
    berlin = timezone(timedelta(hours=2))
    assert q3.contains(datetime(2026, 10, 1, 1, 30, tzinfo=berlin))


def test_period_containing_converts_to_utc_first() -> None:
    berlin = timezone(timedelta(hours=2))
    ts = datetime(2026, 10, 1, 1, 30, tzinfo=berlin)  # 2026-09-30T23:30Z
    assert period_containing(ts, "quarter").label == "2026Q3"
    assert period_containing(ts, "month").label == "2026-09"
    assert period_containing(ts, "day").label == "2026-09-30"
    assert period_containing(ts, "week").label == "2026-W40"


def test_period_containing_refuses_naive_timestamps() -> None:
    with pytest.raises(PeriodError, match="timezone"):
        period_containing(datetime(2026, 8, 1), "month")


@pytest.mark.parametrize("text", ["2026Q9", "2026Q0", "2026-13", "2026-00", "2026-W00",
                                  "2026-W54", "2026-02-30", "26Q3", "Q3 2026", "", "2026"])
def test_parse_errors(text: str) -> None:
    with pytest.raises(PeriodError) as info:
        parse_period(text)
    message = str(info.value)
    assert f"'{text}' is not a period" in message
    assert message.endswith("an ISO week like 2026-W32 or latest (the latest complete quarter).")


def test_parse_error_message_exact() -> None:
    with pytest.raises(PeriodError) as info:
        parse_period("2026Q9")
    assert str(info.value) == ("'2026Q9' is not a period; use a quarter like 2026Q3, "
                               "a month like 2026-08, an ISO week like 2026-W32 or latest "
                               "(the latest complete quarter).")


@pytest.mark.parametrize(("text", "now", "label"), [
    ("latest", utc(2026, 11, 25), "2026Q3"),
    ("LATEST", utc(2026, 11, 25), "2026Q3"),
    # 2026-10-01T01:00+02:00 is 2026-09-30T23:00Z: 2026Q3 is still running, so Q2
    ("latest", datetime(2026, 10, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))), "2026Q2"),
    ("latest", utc(2026, 10, 1), "2026Q3"),  # the first instant of Q4
    ("latest", utc(2027, 1, 1), "2026Q4"),
    ("2026q3", None, "2026Q3"),
    ("2026-w32", None, "2026-W32"),
])
def test_latest_and_lower_case_letters(text, now, label) -> None:
    assert parse_period(text, now=now).label == label


@pytest.mark.parametrize(("now", "elapsed"), [
    (utc(2026, 7, 1), 0.0),
    (utc(2026, 8, 16), 0.5),                        # 46 of 92 days
    (datetime(2026, 8, 16, 2, 0, tzinfo=timezone(timedelta(hours=2))), 0.5),  # same instant
    (datetime(2026, 9, 30, 23, 59, 59, 999000, tzinfo=UTC), 1 - 0.001 / (92 * 86400)),
    (utc(2026, 10, 1), 1.0),
    (utc(2027, 3, 1), 1.0),
    (utc(2026, 6, 1), 0.0),                         # a period in the future
])
def test_elapsed_share_of_a_quarter(now, elapsed) -> None:
    q3 = parse_period("2026Q3")
    assert q3.elapsed(now) == pytest.approx(elapsed, abs=1e-12)
    assert q3.running(now) is (elapsed < 1.0)


def test_period_start_must_be_aligned() -> None:
    with pytest.raises(PeriodError):
        Period("quarter", utc(2026, 8, 1))
    with pytest.raises(PeriodError):
        Period("fortnight", utc(2026, 8, 1))


def test_periods_ending_oldest_first() -> None:
    labels = [p.label for p in periods_ending(parse_period("2026Q1"), 3)]
    assert labels == ["2025Q3", "2025Q4", "2026Q1"]
    assert periods_ending(parse_period("2026-08"), 1) == [parse_period("2026-08")]


def test_grains_and_baselines() -> None:
    assert grain_for_cadence("weekly") == "week"
    assert grain_for_cadence("monthly") == "month"
    assert grain_for_cadence("quarterly") == "quarter"
    with pytest.raises(PeriodError):
        grain_for_cadence("daily-ish")
    assert [year_back_periods(g) for g in ("quarter", "month", "week")] == [4, 12, 52]
    assert baseline_periods("month", "year") == 12
    assert baseline_periods("month", "previous") == 1
    assert [scale_to_quarter(g) for g in ("quarter", "month", "week")] == [1, 3, 13]


def test_latest_complete_period() -> None:
    now = utc(2026, 8, 14, 10)
    assert latest_complete_period(now, "quarter").label == "2026Q2"
    assert latest_complete_period(now, "month").label == "2026-07"
    assert latest_complete_period(now, "week").label == "2026-W32"  # now is in W33
    assert latest_complete_period(utc(2026, 1, 1), "quarter").label == "2025Q4"


def test_quarter_of() -> None:
    assert quarter_of(parse_period("2026-08")).label == "2026Q3"
    assert quarter_of(parse_period("2026-W40")).label == "2026Q3"  # starts 2026-09-28
    assert quarter_of(parse_period("2026-W01")).label == "2025Q4"  # starts 2025-12-29
    assert quarter_of(parse_period("2026Q2")).label == "2026Q2"
