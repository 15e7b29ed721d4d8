"""``mlkpi slo``: per-endpoint SLO figures, burn rates and alert state."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrics.cli.common import emit, load_org_config, tier, timestamp
from metrics.events import TIERS_TEXT

ORDER = 30


def add(sub) -> dict:
    c = sub.add_parser("slo", help="per-endpoint SLO figures, burn rates and alert state",
                       description="Availability, latency compliance, error budget, burn "
                       "rates for every look-back and the alert state of each endpoint "
                       "(multiwindow, multi-burn-rate), worst first.")
    c.add_argument("--at", metavar="TS", type=timestamp,
                   help="evaluate at this ISO-8601 instant with offset (default: the end "
                        "of the newest SLI window)")
    c.add_argument("--team", metavar="T", help="only this team's endpoints")
    c.add_argument("--tier", metavar="N", type=tier, help=f"only tier N ({TIERS_TEXT})")
    c.add_argument("--endpoint", metavar="E", help="only this endpoint")
    c.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="table for people (default), json or csv")
    return {"slo": run}


def run(args: argparse.Namespace, db: Path) -> int:
    from metrics.cli import output
    from metrics.slo.report import slo_report
    from metrics.store.health import check_scope

    config = load_org_config(args)
    check_scope(db, args.team, args.tier)
    report = slo_report(db, at=args.at, team=args.team, tier=args.tier,
                        endpoint=args.endpoint, config=config)
    emit(report, args.format, output.slo_table, output.slo_csv)
    for warning in report.get("warnings", []):
        print(f"mlkpi: warning: {warning}", file=sys.stderr)
    return 0
