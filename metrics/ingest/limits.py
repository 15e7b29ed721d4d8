"""The bounds an ingest keeps, so that one hostile file cannot hurt the store's other users.

Each bound has its own sentence. Files past a bound are refused (a file error) or their
rows held back (a row error); nothing past a bound reaches the store:

* ``MAX_COLUMNS`` columns in a file's header (a file error);
* ``MAX_LINE_BYTES`` bytes in one CSV line (a file error, naming the line);
* ``MAX_FIELD_CHARS`` characters in one text value (a row error, naming the column);
* timestamps and dates in ``[EARLIEST, END)`` UTC, offsets within ±18:00 (``events.md``;
  row errors): a year-10000 instant would break every reader of the store;
* ``$MLKPI_INGEST_TIMEOUT`` seconds for one ingest (default ``DEFAULT_TIMEOUT``): past it the
  ingest stops, stores nothing and lets go of the writer lock.
"""

from __future__ import annotations

from metrics import settings
from metrics.events import EARLIEST, END, MAX_OFFSET_HOURS

__all__ = ["EARLIEST", "END", "MAX_OFFSET_HOURS"]  # from the event contract

MAX_COLUMNS = 1_000
MAX_LINE_BYTES = 2 * 2**20  # DuckDB's own default for a CSV line
MAX_FIELD_CHARS = 65_536
DEFAULT_TIMEOUT = 3600.0


class TimeoutSetting(ValueError):
    """``$MLKPI_INGEST_TIMEOUT`` is not a number of seconds."""


def too_many_columns(shown: str, count: int) -> str:
    return (f"{shown}: the file has {count:,} columns, more than the {MAX_COLUMNS:,} an "
            "ingest reads; keep the event's columns and drop the rest.")


def field_too_long(column: str) -> str:
    return f"{column} is longer than {MAX_FIELD_CHARS:,} characters"


def out_of_range(column: str) -> str:
    return f"{column} must lie between {EARLIEST} and {END} (UTC)"


def offset_too_far(column: str) -> str:
    return f"{column} has a time-zone offset beyond ±{MAX_OFFSET_HOURS}:00"


def timeout_seconds() -> float:
    """``$MLKPI_INGEST_TIMEOUT`` (seconds, > 0), else ``DEFAULT_TIMEOUT``."""
    text = settings.ingest_timeout()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0 or seconds == float("inf"):
        raise TimeoutSetting(
            f"MLKPI_INGEST_TIMEOUT={text!r} is not a number of seconds above 0 (e.g. 3600).")
    return seconds
