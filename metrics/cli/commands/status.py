"""``mlkpi status``: data health per kind."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from metrics.cli.common import print_json

ORDER = 40


def add(sub) -> dict:
    c = sub.add_parser("status", help="data health: rows, newest event, staleness, quarantine",
                       description="Rows, newest event and staleness per kind, and the "
                       "rows held back in quarantine.")
    c.add_argument("--format", choices=("table", "json"), default="table",
                   help="table for people (default) or one JSON object")
    return {"status": run}


def run(args: argparse.Namespace, db: Path) -> int:
    from metrics.cli import output
    from metrics.store.health import status_report

    report = status_report(db, datetime.now(UTC))
    if report.get("exists") is False:
        print(f"mlkpi: there is no store at {db} yet; every kind is empty. Run 'mlkpi ingest "
              "KIND FILE' to start one.", file=sys.stderr)
    if args.format == "json":
        print_json(report)
    else:
        print(output.status_table(report))
    return 0
