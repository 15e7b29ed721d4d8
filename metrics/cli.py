"""``mlkpi``: a thin command line over the library (``cli.md`` is its contract).

Parsing and printing only; the work happens in ingest, kpis, slo, sample, serve.
Every error is one plain sentence on stderr; a traceback is a bug.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, date, datetime

from metrics.events import KINDS, describe

EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """A bad option value, said in one sentence."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one sentence, exit 2, like every other error
        self.exit(EXIT_BAD_INPUT, f"mlkpi: {message}; see '{self.prog} --help'.\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="mlkpi",
        description="KPI dashboard for ML organisations: ingest events, compute KPIs and "
        "SLOs against targets, serve the dashboard.",
        epilog="Start here: 'mlkpi demo' builds a sample store and opens the dashboard.",
    )
    p.add_argument("--db", metavar="PATH",
                   help="the DuckDB store (default: $MLKPI_DB, else mlkpi.duckdb here)")
    p.add_argument("--config", metavar="PATH",
                   help="TOML file of target and SLO overrides (default: $MLKPI_CONFIG, "
                        "else the catalog's defaults)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    _add_ingest(sub)
    _add_kpis(sub)
    _add_slo(sub)
    _add_status(sub)
    _add_sample(sub)
    _add_serve(sub)
    return p


def _add_ingest(sub) -> None:
    kinds = "\n\n".join(describe(k) for k in KINDS.values())
    c = sub.add_parser(
        "ingest", help="validate and store events of one kind",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Validate and store events of one kind. Rows that break a rule are "
        "quarantined with their reason; the good rows are stored in the same transaction. "
        "Exit status: 0 all rows stored or skipped as duplicates; 1 some rows quarantined "
        "(with --strict: nothing stored); 2 a file error (nothing of that file stored).",
        epilog="Kinds and their columns (opt = optional):\n\n" + kinds,
    )
    c.add_argument("kind", metavar="KIND", help=f"one of: {', '.join(KINDS)}")
    c.add_argument("files", metavar="FILE", nargs="+",
                   help="CSV, Parquet, JSON Lines (.jsonl/.ndjson) or JSON array (.json) "
                        "files; '-' reads CSV from standard input")
    c.add_argument("--assume-timezone", metavar="TZ",
                   help="IANA zone (e.g. UTC, Europe/Berlin) for timestamps written without "
                        "an offset; without it such timestamps are row errors")
    c.add_argument("--strict", action="store_true",
                   help="store nothing if any row is quarantined")
    c.add_argument("--format", choices=("text", "json"), default="text",
                   help="text for people (default) or one JSON object")


def _add_kpis(sub) -> None:
    c = sub.add_parser("kpis", help="every KPI of the catalog for one period and scope",
                       description="Compute every KPI of the catalog for one period and "
                       "scope, with target, status, baseline and change.")
    c.add_argument("--period", required=True, metavar="P",
                   help="a quarter (2026Q3), month (2026-08) or ISO week (2026-W32), in UTC")
    c.add_argument("--team", metavar="T", help="only this team's events")
    c.add_argument("--tier", metavar="N", type=_tier,
                   help="only tier N (1, 2 or 3) where the events have a tier")
    c.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="table for people (default; rounded), json or csv (unrounded)")


def _add_slo(sub) -> None:
    c = sub.add_parser("slo", help="per-endpoint SLO figures, burn rates and alert state",
                       description="Availability, latency compliance, error budget, burn "
                       "rates for every look-back and the alert state of each endpoint "
                       "(multiwindow, multi-burn-rate), worst first.")
    c.add_argument("--at", metavar="TS", type=_timestamp,
                   help="evaluate at this ISO-8601 instant with offset (default: the end "
                        "of the newest SLI window)")
    c.add_argument("--team", metavar="T", help="only this team's endpoints")
    c.add_argument("--tier", metavar="N", type=_tier, help="only tier N (1, 2 or 3)")
    c.add_argument("--endpoint", metavar="E", help="only this endpoint")
    c.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="table for people (default), json or csv")


def _add_status(sub) -> None:
    c = sub.add_parser("status", help="data health: rows, newest event, staleness, quarantine",
                       description="Rows, newest event and staleness per kind, and the "
                       "rows held back in quarantine.")
    c.add_argument("--format", choices=("table", "json"), default="table",
                   help="table for people (default) or one JSON object")


def _add_sample(sub) -> None:
    c = sub.add_parser("sample", help="write realistic, deterministic sample events",
                       description="Write realistic sample events, one file per kind, "
                       "deterministic for a seed and an end date.")
    c.add_argument("--out", required=True, metavar="DIR", help="folder to write the files to")
    c.add_argument("--seed", type=int, default=42, metavar="N", help="random seed (default 42)")
    c.add_argument("--scale", choices=("small", "large"), default="small",
                   help="small (demo, a few MB) or large (benchmarks, ~30M SLI rows)")
    c.add_argument("--as-of", type=_date, metavar="DATE",
                   help="the data ends at this date, YYYY-MM-DD (default: today, UTC)")


def _add_serve(sub) -> None:
    for name, text in (
        ("serve", "serve the dashboard over the store"),
        ("demo", "build a sample store if none exists, then serve it"),
    ):
        c = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        c.add_argument("--port", type=int, default=8501, metavar="N",
                       help="port to listen on (default 8501)")
        c.add_argument("--address", default="localhost", metavar="HOST",
                       help="address to listen on (default localhost; 0.0.0.0 for all)")
        c.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                       help="a host name browsers may use to reach the server, besides "
                            "localhost (repeatable); needed when serving behind a name")


def _tier(text: str) -> int:
    if text.strip() not in ("1", "2", "3"):
        raise argparse.ArgumentTypeError(f"tier must be 1, 2 or 3, not '{text}'")
    return int(text)


def _timestamp(text: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an ISO-8601 timestamp like 2026-09-30T23:55:00Z") from None
    if ts.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"'{text}' has no time-zone offset; add one, e.g. {text}Z")
    return ts.astimezone(UTC)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-22") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from metrics import commands  # imported late: `mlkpi --help` stays instant

    try:
        return commands.run(args)
    except BrokenPipeError:  # `mlkpi kpis | head`: the reader left, that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except commands.known_errors() as exc:
        print(f"mlkpi: {_sentence(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("mlkpi: interrupted; nothing half-written was kept.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one sentence; MLKPI_DEBUG=1 shows the traceback
        if os.environ.get("MLKPI_DEBUG"):
            raise
        print(f"mlkpi: unexpected error ({type(exc).__name__}: {_sentence(exc)}) This is a "
              "bug; run again with MLKPI_DEBUG=1 and report the traceback.", file=sys.stderr)
        return 70


def _sentence(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if text.endswith((".", "?", "!")) else text + "."


def print_json(obj: object) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    sys.exit(main())
