"""``mlkpi check-backend``: does the engine hold the tables the KPIs read?"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrics.cli.common import EXIT_BAD_INPUT, backend

ORDER = 72


def add(sub) -> dict:
    c = sub.add_parser(
        "check-backend", help="check that the --backend engine has every table and column",
        description="Check the engine of --backend (or $MLKPI_BACKEND): one table per kind, "
        "named as the kind, with the event contract's columns and types. Prints one "
        "sentence per missing table, missing column or wrong type and exits 2 if there is "
        "any; exits 0 when every table fits. Extra tables and columns are fine.")
    c.add_argument("--backend", metavar="URL", default=argparse.SUPPRESS,
                   help="the engine to check (same as the global --backend)")
    return {"check-backend": run}


def run(args: argparse.Namespace, db: Path) -> int:
    from metrics.events import KINDS
    from metrics.sql.check import check_backend
    from metrics.sql.engine import public_name

    url = backend(args)
    problems = check_backend(db, url)
    for sentence in problems:
        print(f"mlkpi: {sentence}", file=sys.stderr)
    if problems:
        return EXIT_BAD_INPUT
    where = public_name(url) if url else db
    print(f"{where}: all {len(KINDS)} tables have the event contract's columns and types.")
    return 0
