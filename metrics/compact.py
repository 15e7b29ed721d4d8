"""Compact figures for scorecard tiles and chart labels, built on ``present``'s numbers.

A tile (4 per row, ~200 px at 1400 px) shows at most ~10 characters of value: units
shorten to a few characters, longer ones go under the tile; USD is a "$" in front.

    >>> compact(123456.7, "minutes"), change_delta(1.25, "%")
    ('123.5k min', '+1.25 pp')
"""

from __future__ import annotations

import math
from numbers import Real

from metrics.present import MISSING, NO_TARGET, OP_SYMBOLS, fixed, missing, number, quantity

SHORT_UNITS = {"%": " %", "% per year": " %", "hours": " h", "minutes": " min", "days": " d",
               "score (1–5)": " /5", "USD": "", "releases/team/quarter": ""}
SHORT_UNIT_MAX = 4  # a unit outside SHORT_UNITS this short or shorter shows as it is


def short_unit(unit: str) -> str:
    """' h' for 'hours', '' for 'releases/team/quarter' (too long for a tile)."""
    if unit in SHORT_UNITS:
        return SHORT_UNITS[unit]
    return f" {unit}" if unit and len(unit) <= SHORT_UNIT_MAX else ""


def compact(value: object, unit: str = "") -> str:
    """A tile's value.

    >>> compact(8.667, "releases/team/quarter"), compact(41.5, "hours")
    ('8.67', '41.5 h')
    >>> compact(0.0412, "USD"), compact(123456.7, "minutes"), compact(None)
    ('$0.0412', '123.5k min', '–')
    """
    text = number(value, unit)
    if text == MISSING or not isinstance(value, Real):
        return text
    if abs(value) >= 100_000:
        big = abs(value) >= 1e6
        text = f"{value / (1e6 if big else 1e3):,.{2 if big else 1}f}{'M' if big else 'k'}"
    if unit == "USD":
        return f"{'-' if value < 0 else ''}${text.lstrip('-')}"
    return text + short_unit(unit)


def compact_delta(delta: float | None, unit: str = "") -> str | None:
    """The change under a tile's value, two significant digits below 1; None if missing.

    >>> compact_delta(0.5, "hours"), compact_delta(-0.01, "USD"), compact_delta(0.0001864, "%")
    ('+0.5 h', '-$0.01', '+0.00019 %')
    """
    if missing(delta):
        return None
    size = abs(delta)
    two_digits = 0 < size < 1
    text = fixed(size, min(6, 1 - math.floor(math.log10(size)))) if two_digits else number(size)
    sign = "-" if delta < 0 else "+"
    return f"{sign}${text}" if unit == "USD" else f"{sign}{text}{short_unit(unit)}"



def is_percentage(unit: str) -> bool:
    """'%' and '% per year' are percentages: their differences are percentage points."""
    return unit.startswith("%")


def change_delta(delta: float | None, unit: str = "", relative: bool = False) -> str | None:
    """A tile's change: a relative change in '%', a difference of percentages in 'pp',
    another difference in the KPI's unit; zero unsigned; None when missing.

    >>> change_delta(-20.0, "hours", relative=True), change_delta(1.25, "%")
    ('-20 %', '+1.25 pp')
    >>> change_delta(-0.5, "hours"), change_delta(0.0, "%"), change_delta(-0.0, "USD", True)
    ('-0.5 h', '0 pp', '0 %')
    """
    if missing(delta):
        return None
    if relative or is_percentage(unit):
        suffix = " %" if relative else " pp"
        text = compact_delta(delta, "") if delta else "0"
        return text + suffix
    if not delta:
        return "0" + (short_unit(unit) if unit != "USD" else " USD")
    return compact_delta(delta, unit)


def change_tone(delta: float | None, direction: str) -> str:
    """'good', 'bad' or 'neutral' (zero or missing) for a change of a KPI whose `direction`
    ('higher' or 'lower') is better.

    >>> change_tone(-3.0, "lower"), change_tone(0.0, "higher"), change_tone(2.0, "lower")
    ('good', 'neutral', 'bad')
    """
    if missing(delta) or not delta:
        return "neutral"
    return "good" if (delta > 0) == (direction == "higher") else "bad"


def compact_target(op: str | None, value: object, unit: str = "",
                   relative: bool = False) -> str:
    """A target for a tile's label; the stretch and baseline are left to its help.

    >>> compact_target(">=", 2.0, "releases/team/quarter"), compact_target("<=", 60, "minutes")
    ('≥ 2', '≤ 60 min')
    >>> compact_target("<=", -20.0, "hours", relative=True)
    'change ≤ -20 %'
    """
    if op is None or missing(value):
        return NO_TARGET
    shown = OP_SYMBOLS.get(op, op)
    if relative:
        return f"change {shown} {quantity(value, '%')}"
    return f"{shown} {compact(value, unit)}"
