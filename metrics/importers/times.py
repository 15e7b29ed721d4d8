"""Timestamps as the tools write them → aware UTC datetimes; never guessed.

    parse_time("2024-01-05T10:00:00.000+0100")      # Jira: an offset without a colon
    parse_time("2021-04-28 21:50:00 +0200")         # GitLab webhooks
    parse_time("2016-08-12 15:23:28 UTC")           # GitLab webhooks, older style
    parse_time(1714000000, epoch="s")               # Prometheus (also "1714000000.5")
    parse_time("1714000000123", epoch="ms")         # MLflow (strings on old servers)
    parse_time("2024-05-01T10:00:00", zone="Europe/Berlin")  # PagerDuty analytics

A naive time is read in ``zone`` (the document's own, else the map's ``timezone``); with
no zone it is a ``TimeProblem``, as is a local time that a daylight-saving change skips or
repeats. Epoch numbers are read only when the source says which unit it writes.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from functools import lru_cache

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_ZONE_WORD = re.compile(r"\s*(UTC|GMT|Z)$", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
_EPOCH_DIVISOR = {"s": 1, "ms": 1000}


class TimeProblem(ValueError):
    """Why a value is not a usable timestamp, in words that fit after the column name."""


@lru_cache(maxsize=64)
def zone_info(name: str) -> zoneinfo.ZoneInfo:
    """``Europe/Berlin`` → its ZoneInfo; an unknown name raises TimeProblem."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise TimeProblem(f"'{name}' is not an IANA time zone such as UTC or Europe/Berlin"
                          ) from None


def parse_time(value: object, zone: str | None = None, epoch: str | None = None) -> datetime:
    """The UTC instant ``value`` names; see the module docstring for the styles."""
    if isinstance(value, bool) or value is None:
        raise TimeProblem(f"{value!r} is not a timestamp")
    if isinstance(value, int | float):
        return _from_epoch(float(value), epoch, value)
    if not isinstance(value, str):
        raise TimeProblem(f"{value!r} is not a timestamp")
    try:  # the common case first: ISO 8601 with an offset or Z
        ts = datetime.fromisoformat(value)
    except ValueError:
        pass
    else:
        if ts.tzinfo is not None and EARLIEST <= ts < LATEST:
            return ts.astimezone(UTC)
    text = value.strip()
    if epoch and _NUMBER.fullmatch(text):
        return _from_epoch(float(text), epoch, value)
    aware = _ZONE_WORD.search(text)
    if aware:  # "2016-08-12 15:23:28 UTC"
        text = text[: aware.start()] + "+00:00"
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        raise TimeProblem(f"'{value}' is not a timestamp this source writes") from None
    if ts.tzinfo is None:
        ts = _place(ts, zone, value)
    return _in_range(ts.astimezone(UTC), value)


def _from_epoch(number: float, epoch: str | None, shown: object) -> datetime:
    if epoch not in _EPOCH_DIVISOR:
        raise TimeProblem(f"{shown!r} is a number, not a timestamp this source writes")
    try:
        ts = EARLIEST + timedelta(seconds=number / _EPOCH_DIVISOR[epoch])
    except OverflowError:
        raise TimeProblem(f"{shown!r} is out of range") from None
    return _in_range(ts, shown)


def _place(naive: datetime, zone: str | None, shown: object) -> datetime:
    """A naive wall-clock time in ``zone``; a skipped or repeated local time is refused."""
    if not zone:
        raise TimeProblem(f"'{shown}' has no time-zone offset and no time zone is given; "
                          "set timezone in the map")
    tz = zone_info(zone)
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        back = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        what = "does not exist" if back != naive else "happens twice"
        raise TimeProblem(f"'{shown}' {what} in {zone} (a daylight-saving change)")
    return first


def _in_range(ts: datetime, shown: object) -> datetime:
    if not EARLIEST <= ts < LATEST:
        raise TimeProblem(f"{shown!r} is outside 1970-2199")
    return ts


def iso(ts: datetime) -> str:
    """An aware datetime as ``2026-07-01T09:30:00Z``."""
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")
