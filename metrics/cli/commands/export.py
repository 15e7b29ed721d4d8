"""``mlkpi export --out DIR``: the store as Parquet, one folder per kind."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ORDER = 70


def add(sub) -> dict:
    c = sub.add_parser(
        "export", help="write the store as Parquet, one folder per kind, for Spark or a lakehouse",
        description="Write every kind of the store as Parquet under DIR/<kind>/ (the large "
        "kinds in one folder per month of their timestamp, month=YYYY-MM), with the event "
        "contract's columns and types and timestamps in UTC. 'mlkpi --backend "
        "spark://local[2]?path=DIR' reads the folder as it is; a lakehouse table can point "
        "at each kind's folder. A kind's folder is replaced only once it is complete.")
    c.add_argument("--out", required=True, metavar="DIR", type=Path,
                   help="the folder to write (created if missing; each kind's folder in it "
                        "is replaced)")
    return {"export": run}


def run(args: argparse.Namespace, db: Path) -> int:
    from metrics.cli.progress import StageReporter
    from metrics.store.export import export_store

    say = StageReporter(sys.stderr.isatty())
    counts = export_store(db, args.out, say=say)
    say.done()
    total = sum(counts.values())
    print(f"Exported {total:,} rows of {len(counts)} kinds to {args.out}.", file=sys.stderr)
    return 0
