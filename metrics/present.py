"""How figures read to people, written once for the CLI, the dashboard and the reports:
numbers and units, targets, status and alert words, instants and date ranges.

Pure functions over plain values; CSV and JSON carry the raw numbers, never these texts.

    >>> quantity(99.953, "%"), quantity(41.5, "hours"), quantity(None, "%")
    ('99.953 %', '41.5 hours', '–')
    >>> kpi_target({"kind": "absolute", "op": ">=", "value": 80, "stretch": 95}, "%")
    '≥ 80 % (stretch 95 %)'
    >>> status_text("off_track")
    '✗ Off track'
    >>> instant("2026-11-24T22:00:00Z")
    '2026-11-24 22:00 UTC'
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from numbers import Real
from typing import Any

MISSING = "–"  # a value that is not there: never "None" or "nan"

# --- status and alert words ----------------------------------------------------------
# Status is never colour alone: each has a word and a symbol (colours are the medium's:
# dashboard/theme.py, the CLI's terminal colours).
STATUS_LABELS = {"ahead": "Ahead", "on_track": "On track", "off_track": "Off track",
                 "no_data": "No data", "no_baseline": "No baseline"}
STATUS_SYMBOLS = {"ahead": "▲▲", "on_track": "✓", "off_track": "✗", "no_data": "–",
                  "no_baseline": "○"}
ALERT_SYMBOLS = {"page": "✗✗", "ticket": "✗", "ok": "✓", "no_data": "–"}


def status_text(status: str | None) -> str:
    """Symbol and word of a KPI status.

    >>> status_text("ahead"), status_text(None)
    ('▲▲ Ahead', '– No data')
    """
    status = status or "no_data"
    return f"{STATUS_SYMBOLS.get(status, '?')} {STATUS_LABELS.get(status, status)}"


def alert_text(alert: str | None) -> str:
    """Symbol and word of an SLO alert state.

    >>> alert_text("page"), alert_text("no_data")
    ('✗✗ page', '– no data')
    """
    alert = alert or "no_data"
    return f"{ALERT_SYMBOLS.get(alert, '?')} {alert.replace('_', ' ')}"


# --- numbers -------------------------------------------------------------------------

def missing(value: object) -> bool:
    """None or NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def fixed(value: float, decimals: int) -> str:
    """Thousands separators, at most `decimals` decimals, no trailing zeros, never '-0'."""
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def number(value: object, unit: str = "") -> str:
    """A number rounded for people; `unit` only chooses the rounding, it is not written.

    Three significant digits below 1, two decimals below 1,000 (three for a percentage
    between 99 and 100, so the nines stay apart), none from 1,000; no trailing zeros.

    >>> number(99.953, "%"), number(99.95, "%"), number(99.9, "%"), number(84.2105, "%")
    ('99.953', '99.95', '99.9', '84.21')
    >>> number(0.044897), number(3.04431), number(80.0), number(1234.5), number(-0.5)
    ('0.0449', '3.04', '80', '1,234', '-0.5')
    >>> number(None), number(float("nan")), number("n/a")
    ('–', '–', 'n/a')
    """
    if missing(value):
        return MISSING
    if not isinstance(value, Real):
        return str(value)
    size = abs(float(value))
    if size >= 1000:
        return fixed(float(value), 0)
    if 0 < size < 1:  # three significant digits, at most six decimals
        return fixed(float(value), min(6, 2 - math.floor(math.log10(size))))
    nines = unit.startswith("%") and 99 < size < 100
    return fixed(float(value), 3 if nines else 2)


def unit_suffix(unit: str) -> str:
    """What follows a number: ' %' for any percentage, ' hours', '' for no unit."""
    if not unit:
        return ""
    return " %" if unit.startswith("%") else f" {unit}"


def quantity(value: object, unit: str = "") -> str:
    """A number and its unit.

    >>> quantity(12345.6, "USD"), quantity(-4.5, "% per year"), quantity(3)
    ('12,346 USD', '-4.5 %', '3')
    """
    text = number(value, unit)
    return text if text == MISSING else text + unit_suffix(unit)


def change_text(change: object) -> str:
    """A relative change in %, signed.

    >>> change_text(-25.0), change_text(12.345), change_text(0.0), change_text(None)
    ('-25 %', '+12.35 %', '0 %', '–')
    """
    text = quantity(change, "%")
    return "+" + text if isinstance(change, Real) and change > 0 else text


def baseline_words(baseline_periods: int | None) -> str:
    """'a year earlier' for 4 periods back, 'the previous period' for 1.

    >>> baseline_words(4), baseline_words(1)
    ('a year earlier', 'the previous period')
    """
    return "the previous period" if baseline_periods == 1 else "a year earlier"


# --- targets -------------------------------------------------------------------------
OP_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
NO_TARGET = "no target"


def target_text(op: str | None, value: object, stretch: object = None, unit: str = "",
                relative: bool = False, baseline_periods: int | None = None) -> str:
    """A target in words; a relative one is a change in % against its baseline.

    >>> target_text("<=", 60, 30, "minutes")
    '≤ 60 minutes (stretch 30 minutes)'
    >>> target_text("<=", -20, -40, "hours", relative=True, baseline_periods=4)
    'change ≤ -20 % vs a year earlier (stretch -40 %)'
    >>> target_text(">=", float("nan"))
    'no target'
    """
    if op is None or missing(value):
        return NO_TARGET
    unit = "%" if relative else unit
    text = f"{'change ' if relative else ''}{OP_SYMBOLS.get(op, op)} {quantity(value, unit)}"
    if relative and baseline_periods:
        text += f" vs {baseline_words(baseline_periods)}"
    if not missing(stretch):
        text += f" (stretch {quantity(stretch, unit)})"
    return text


def kpi_target(target: dict[str, Any] | None, unit: str) -> str:
    """``target_text`` of a target as the engines report it (kind, op, value, stretch,
    baseline_periods)."""
    t = target or {}
    return target_text(t.get("op"), t.get("value"), t.get("stretch"), unit,
                       t.get("kind") == "relative", t.get("baseline_periods"))


# --- instants and periods ------------------------------------------------------------

def _instant(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def instant(value: str | datetime | None) -> str:
    """An instant in UTC to the minute.

    >>> instant("2026-11-21T22:00:00Z"), instant(None)
    ('2026-11-21 22:00 UTC', '–')
    """
    if value is None or value == "":
        return MISSING
    return f"{_instant(value).astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def period_span(label: str, start: str | datetime, end: str | datetime) -> str:
    """A period's label and its days, as a caption reads it.

    >>> period_span("2026-08", "2026-08-01T00:00:00Z", "2026-09-01T00:00:00Z")
    '2026-08 (1 to 31 August 2026)'
    >>> period_span("2026Q3", "2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z")
    '2026Q3 (1 July to 30 September 2026)'
    >>> period_span("2025-W52", "2025-12-22T00:00:00Z", "2025-12-29T00:00:00Z")
    '2025-W52 (22 to 28 December 2025)'
    """
    first, last = _instant(start), _instant(end) - timedelta(days=1)
    if first.year != last.year:
        head = f"{first.day} {first:%B %Y}"
    elif first.month != last.month:
        head = f"{first.day} {first:%B}"
    else:
        head = f"{first.day}"
    return f"{label} ({head} to {last.day} {last:%B %Y})"


def dates(start: str | datetime, end: str | datetime) -> str:
    """A half-open period ``[start, end)`` as its first and last day.

    >>> dates("2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z")
    '2026-07-01 to 2026-09-30'
    """
    first, after = _instant(start), _instant(end)
    return f"{first:%Y-%m-%d} to {after - timedelta(days=1):%Y-%m-%d}"


def duration(hours: int) -> str:
    """Whole hours; over two days in days and hours.

    >>> duration(2), duration(48), duration(76)
    ('2 h', '2 d', '3 d 4 h')
    """
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} d" + (f" {hours % 24} h" if hours % 24 else "")


def since_text(since: str | None, at: str | None) -> str:
    """When something started and how long before `at` that was; '–' when not started.

    >>> since_text("2026-11-21T22:00:00Z", "2026-11-22T00:00:00Z")
    '2026-11-21 22:00 UTC (2 h)'
    """
    if not since or not at:
        return MISSING
    hours = round((_instant(at) - _instant(since)).total_seconds() / 3600)
    return f"{instant(since)} ({duration(hours)})"
