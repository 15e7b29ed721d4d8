"""Calendar periods in UTC: quarters, months, ISO weeks and days.

Every period is half-open, ``[start, end)``. Labels are the forms of events.md:
quarter ``2026Q3``, month ``2026-08``, ISO week ``2026-W32``, day ``2026-08-14``.

    >>> p = parse_period("2026Q3")
    >>> p.start_iso, p.end_iso
    ('2026-07-01T00:00:00Z', '2026-10-01T00:00:00Z')
    >>> str(p.shift(-4))
    '2025Q3'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from metrics.errors import MlkpiError

GRAINS = ("quarter", "month", "week", "day")

_HOW_TO = ("use a quarter like 2026Q3, a month like 2026-08, an ISO week like 2026-W32 or "
           "latest (the latest complete quarter)")
LATEST = "latest"  # the latest complete quarter
_QUARTER = re.compile(r"(\d{4})[Qq]([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_WEEK = re.compile(r"(\d{4})-[Ww](\d{2})")
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class PeriodError(MlkpiError, ValueError):
    """A period text, grain or timestamp that cannot be used, with how to fix it."""


def _utc(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def _add_months(start: datetime, months: int) -> datetime:
    index = start.year * 12 + (start.month - 1) + months
    return _utc(index // 12, index % 12 + 1, 1)


def _check_grain(grain: str) -> None:
    if grain not in GRAINS:
        raise PeriodError(f"'{grain}' is not a grain; use quarter, month, week or day.")


def _floor(ts: datetime, grain: str) -> datetime:
    """The start of the `grain` period holding `ts` (already in UTC)."""
    day = _utc(ts.year, ts.month, ts.day)
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=ts.weekday())
    if grain == "month":
        return _utc(ts.year, ts.month, 1)
    return _utc(ts.year, 3 * ((ts.month - 1) // 3) + 1, 1)


@dataclass(frozen=True)
class Period:
    """One calendar period: its grain and its UTC start (the end is derived)."""

    grain: str
    start: datetime

    def __post_init__(self) -> None:
        _check_grain(self.grain)
        if self.start.tzinfo is None:
            raise PeriodError("a period start needs a timezone; pass an aware UTC datetime.")
        start = self.start.astimezone(UTC)
        if _floor(start, self.grain) != start:
            raise PeriodError(f"{start.isoformat()} does not start a {self.grain}.")
        object.__setattr__(self, "start", start)

    @property
    def end(self) -> datetime:
        """The first instant after the period, e.g. 2026-10-01 for 2026Q3."""
        return self.shift(1).start

    @property
    def label(self) -> str:
        """'2026Q3', '2026-08', '2026-W32' or '2026-08-14'."""
        s = self.start
        if self.grain == "quarter":
            return f"{s.year}Q{(s.month - 1) // 3 + 1}"
        if self.grain == "month":
            return f"{s.year}-{s.month:02d}"
        if self.grain == "week":
            year, week, _ = s.isocalendar()
            return f"{year}-W{week:02d}"
        return s.date().isoformat()

    @property
    def days(self) -> float:
        """Length in days: 92.0 for 2026Q3, 7.0 for any week."""
        return (self.end - self.start).total_seconds() / 86400

    @property
    def start_iso(self) -> str:
        """'2026-07-01T00:00:00Z' for 2026Q3."""
        return self.start.strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def end_iso(self) -> str:
        """'2026-10-01T00:00:00Z' for 2026Q3."""
        return self.end.strftime("%Y-%m-%dT%H:%M:%SZ")

    def shift(self, n: int) -> Period:
        """The period `n` steps later (earlier when negative): 2026Q3.shift(-4) is 2025Q3."""
        if self.grain == "quarter":
            return Period("quarter", _add_months(self.start, 3 * n))
        if self.grain == "month":
            return Period("month", _add_months(self.start, n))
        step = 7 if self.grain == "week" else 1
        return Period(self.grain, self.start + timedelta(days=step * n))

    def elapsed(self, now: datetime) -> float:
        """The share of the period behind `now`, from 0 to 1: 2026Q3 at 2026-08-16T00:00Z
        (46 of 92 days) is 0.5; any instant at or after the end is 1.0.

        >>> parse_period("2026Q3").elapsed(datetime(2026, 8, 16, tzinfo=UTC))
        0.5
        """
        _check_aware(now)
        share = (now - self.start).total_seconds() / (self.end - self.start).total_seconds()
        return min(1.0, max(0.0, share))

    def running(self, now: datetime) -> bool:
        """True when the period has not ended at `now` (a period in the future included)."""
        return self.elapsed(now) < 1.0

    def contains(self, ts: datetime) -> bool:
        """True when start <= ts < end; `ts` must be timezone-aware."""
        _check_aware(ts)
        return self.start <= ts < self.end

    def __str__(self) -> str:
        return self.label


def iso_z(when: datetime) -> str:
    """The instant in UTC as ISO 8601 with Z, microseconds only when there are some.

    >>> from datetime import timezone
    >>> iso_z(datetime(2026, 10, 1, 1, 30, tzinfo=timezone(timedelta(hours=2))))
    '2026-09-30T23:30:00Z'
    """
    _check_aware(when)
    spec = "microseconds" if when.microsecond else "seconds"
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _check_aware(ts: datetime) -> None:
    if not isinstance(ts, datetime) or ts.tzinfo is None or ts.utcoffset() is None:
        raise PeriodError(f"{ts!r} has no timezone; give it an offset such as Z or +02:00.")


def _bad(text: str, why: str = "") -> PeriodError:
    return PeriodError(f"'{text}' is not a period{why}; {_HOW_TO}.")


def parse_period(text: str, now: datetime | None = None) -> Period:
    """Parse a period label: '2026Q3' (or '2026q3'), '2026-08', '2026-W32' (or '2026-w32'),
    '2026-08-14', or 'latest': the latest complete quarter at `now` (default: the clock).

    >>> parse_period("latest", now=datetime(2026, 11, 25, tzinfo=UTC)).label
    '2026Q3'

    >>> parse_period("2026-W53").start_iso    # 2026 has an ISO week 53; 2027 has none
    '2026-12-28T00:00:00Z'
    """
    raw = text.strip() if isinstance(text, str) else str(text)
    if raw.lower() == LATEST:
        return latest_complete_period(now or datetime.now(UTC), "quarter")
    if m := _QUARTER.fullmatch(raw):
        return Period("quarter", _utc(int(m[1]), 3 * int(m[2]) - 2, 1))
    if m := _MONTH.fullmatch(raw):
        if not 1 <= int(m[2]) <= 12:
            raise _bad(raw, " (months run 01 to 12)")
        return Period("month", _utc(int(m[1]), int(m[2]), 1))
    if m := _WEEK.fullmatch(raw):
        try:
            day = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError:
            raise _bad(raw, f" ({m[1]} has no ISO week {int(m[2])})") from None
        return Period("week", _utc(day.year, day.month, day.day))
    if m := _DAY.fullmatch(raw):
        try:
            day = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise _bad(raw, " (no such day)") from None
        return Period("day", _utc(day.year, day.month, day.day))
    raise _bad(raw)


def period_containing(ts: datetime, grain: str) -> Period:
    """The `grain` period holding `ts`, taken in UTC.

    2026-10-01T01:30+02:00 is 2026-09-30T23:30Z, so it falls in 2026Q3.
    """
    _check_aware(ts)
    _check_grain(grain)
    return Period(grain, _floor(ts.astimezone(UTC), grain))


def periods_ending(period: Period, n: int) -> list[Period]:
    """The `n` periods ending with `period`, oldest first: (2026Q3, 3) -> 2026Q1, Q2, Q3."""
    return [period.shift(k) for k in range(1 - n, 1)]


def grain_for_cadence(cadence: str) -> str:
    """'weekly' -> 'week', 'monthly' -> 'month', 'quarterly' -> 'quarter'."""
    grains = {"weekly": "week", "monthly": "month", "quarterly": "quarter"}
    if cadence not in grains:
        raise PeriodError(f"'{cadence}' is not a cadence; use weekly, monthly or quarterly.")
    return grains[cadence]


def year_back_periods(grain: str) -> int:
    """How many periods back is a year earlier: quarter 4, month 12, week 52, day 365."""
    _check_grain(grain)
    return {"quarter": 4, "month": 12, "week": 52, "day": 365}[grain]


def baseline_periods(grain: str, baseline: str) -> int:
    """Periods back to a relative target's baseline: ('month', 'year') -> 12, 'previous' -> 1."""
    if baseline == "previous":
        return 1
    if baseline == "year":
        return year_back_periods(grain)
    raise PeriodError(f"'{baseline}' is not a baseline; use year or previous.")


def latest_complete_period(now: datetime, grain: str) -> Period:
    """The period before the one holding `now`: on 2026-08-14, quarter -> 2026Q2."""
    return period_containing(now, grain).shift(-1)


def default_period(oldest: datetime, newest: datetime, now: datetime,
                   grain: str = "quarter") -> Period:
    """What a report shows unless told otherwise: the latest complete `grain` period that
    has data, else the one holding the newest event (the dashboard's first view, and the
    one ``mlkpi ingest`` computes ahead).

    >>> default_period(datetime(2025, 4, 1, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC),
    ...                datetime(2026, 11, 22, tzinfo=UTC)).label
    '2026Q3'
    """
    complete = latest_complete_period(now, grain)
    holding_newest = period_containing(newest, grain)
    default = complete if complete.start <= holding_newest.start else holding_newest
    has_data = default.start >= period_containing(oldest, grain).start
    return default if has_data else holding_newest


def quarter_of(period: Period) -> Period:
    """The quarter holding the period's start: 2026-08 -> 2026Q3, 2026-W01 -> 2025Q4."""
    return period_containing(period.start, "quarter")


def scale_to_quarter(grain: str) -> int:
    """Factor turning a per-period count into a per-quarter one: quarter 1, month 3, week 13."""
    factors = {"quarter": 1, "month": 3, "week": 13}
    if grain not in factors:
        raise PeriodError(f"'{grain}' cannot be scaled to a quarter; use quarter, month or week.")
    return factors[grain]
