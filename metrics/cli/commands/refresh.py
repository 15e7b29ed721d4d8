"""``mlkpi refresh``: compute the dashboard's reports on an engine and store them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrics.cli.common import backend, load_org_config

ORDER = 65


def positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"--periods must be a whole number from 1, not '{text}'")
    return int(text)


def add(sub) -> dict:
    c = sub.add_parser(
        "refresh", help="compute the dashboard's reports on the --backend engine and store them",
        description="Compute, on the engine of --backend (or $MLKPI_BACKEND), the KPI "
        "reports the dashboard shows (the latest N quarters, months and ISO weeks, each for "
        "the whole org, each team of the roster and each tier) and the SLO report, and store "
        "them in the local store stamped with when and on which engine they were computed. "
        "'mlkpi serve --backend URL' then serves them without waiting for the engine. Run "
        "it on a schedule, after the engine's tables are loaded.")
    c.add_argument("--backend", metavar="URL", default=argparse.SUPPRESS,
                   help="the engine (same as the global --backend)")
    c.add_argument("--periods", type=positive, default=2, metavar="N",
                   help="how many recent periods of each grain, up to the current one "
                        "(default 2)")
    return {"refresh": run}


def run(args: argparse.Namespace, db: Path) -> int:
    from metrics.cli.progress import StageReporter
    from metrics.store.refresh import refresh

    say = StageReporter(sys.stderr.isatty())
    done = refresh(db, backend(args), periods=args.periods, config=load_org_config(args),
                   say=say)
    say.done()
    print(f"Stored {done['reports']} reports computed on {done['engine']} in "
          f"{done['seconds']:.1f} s.", file=sys.stderr)
    return 0
