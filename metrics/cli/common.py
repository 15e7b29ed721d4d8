"""What every sub-command shares: option types, JSON output, the config and the errors
said in one sentence. Light on purpose: ``mlkpi --help`` imports this and nothing heavy."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

EXIT_BAD_INPUT = 2


def tier(text: str) -> int:
    """``--tier 2`` → 2; anything but a tier of the event contract is refused in a sentence."""
    from metrics.events import TIERS, TIERS_TEXT

    if text.strip() not in {str(t) for t in TIERS}:
        raise argparse.ArgumentTypeError(f"tier must be {TIERS_TEXT}, not '{text}'")
    return int(text)


def timestamp(text: str) -> datetime:
    """``2026-09-30T23:55:00+02:00`` → 2026-09-30 21:55 UTC; an offset is required."""
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an ISO-8601 timestamp like 2026-09-30T23:55:00Z") from None
    if ts.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"'{text}' has no time-zone offset; add one, e.g. {text}Z")
    return ts.astimezone(UTC)


def day(text: str) -> date:
    """``2026-11-22`` → date(2026, 11, 22)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-22") from None


def print_json(obj: object) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


def emit(report: dict, fmt: str, table, csv) -> None:
    """Print a report as JSON (unrounded), CSV, or a table for people (coloured on a
    terminal): ``table(report, color)`` and ``csv(report)`` render the latter two."""
    if fmt == "json":
        print_json(report)
    elif fmt == "csv":
        sys.stdout.write(csv(report))
    else:
        print(table(report, color=sys.stdout.isatty()))


def load_org_config(args: argparse.Namespace):
    """The organisation config named by ``--config`` or ``$MLKPI_CONFIG`` (else defaults)."""
    from metrics.config import config_path_from_env, load_config

    return load_config(config_path_from_env(args.config))


def backend(args: argparse.Namespace) -> str | None:
    """The engine URL of ``--backend`` or ``$MLKPI_BACKEND``; None: the store."""
    from metrics.sql.engine import backend_url

    return backend_url(getattr(args, "backend", None))


def known_errors() -> tuple[type[Exception], ...]:
    """The errors said in one sentence with exit 2: mlkpi's own, the store's, the system's."""
    import duckdb

    from metrics.errors import MlkpiError

    return (MlkpiError, duckdb.Error, OSError)


def file_size(name: str) -> int:
    """The size of a named input file in bytes; 0 for ``-`` or a file that cannot be read."""
    try:
        return Path(name).stat().st_size if name != "-" else 0
    except OSError:
        return 0
