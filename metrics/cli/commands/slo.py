"""``mlkpi slo``: per-endpoint SLO figures, burn rates and alert state."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrics.cli.commands.kpis import warn_unknown_team
from metrics.cli.common import backend, load_org_config, print_json, tier, timestamp

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
    c.add_argument("--tier", metavar="N", type=tier, help="only tier N (1, 2 or 3)")
    c.add_argument("--endpoint", metavar="E", help="only this endpoint")
    c.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="table for people (default), json or csv")
    return {"slo": run}


def run(args: argparse.Namespace, db: Path) -> int:
    from metrics.cli import output
    from metrics.slo.report import slo_report

    url = backend(args)
    report = slo_report(db, at=args.at, team=args.team, tier=args.tier,
                        endpoint=args.endpoint, config=load_org_config(args), backend=url)
    if url is None:
        warn_unknown_team(db, args.team)
    if args.format == "json":
        print_json(report)
    elif args.format == "csv":
        sys.stdout.write(output.slo_csv(report))
    else:
        print(output.slo_table(report, color=sys.stdout.isatty()))
    for warning in report.get("warnings", []):
        print(f"mlkpi: warning: {warning}", file=sys.stderr)
    return 0
