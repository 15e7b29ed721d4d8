"""``mlkpi ingest KIND FILE...``: validate and store events of one kind."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrics.cli.common import file_size, load_org_config, print_json
from metrics.events import KINDS, describe

ORDER = 10


def add(sub) -> dict:
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
    return {"ingest": run}


def run(args: argparse.Namespace, db: Path) -> int:
    from metrics.cli import output, progress
    from metrics.ingest.run import ingest

    say = progress.stage_reporter(sum(file_size(f) for f in args.files))
    result = ingest(db, args.kind, args.files, assume_tz=args.assume_timezone,
                    strict=args.strict, progress=say)
    if result.inserted + result.updated and not result.strict_rejected:
        prepare_queries(args, db, say)
    say.done()
    if args.format == "json":
        print_json(result.to_json())
    elif len(result.file_errors) < len(args.files):
        print(output.ingest_summary(result))
    for problem in result.file_errors:
        print(f"mlkpi: {problem}", file=sys.stderr)
    return result.exit_code


def prepare_queries(args: argparse.Namespace, db: Path, say) -> None:
    """Compile the first-asked queries on the new data (``metrics.sql.prepare``); a config
    that does not load is left for ``mlkpi kpis`` to report."""
    from metrics.config import ConfigError
    from metrics.sql.prepare import prepare

    try:
        config = load_org_config(args)
    except ConfigError:
        return
    say("preparing the KPI and SLO queries")
    prepare(db, config)
