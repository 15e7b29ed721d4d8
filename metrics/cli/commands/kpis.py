"""``mlkpi kpis --period P``: every KPI of the catalog for one period and scope."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrics.cli.common import backend, load_org_config, print_json, tier

ORDER = 20


def add(sub) -> dict:
    c = sub.add_parser("kpis", help="every KPI of the catalog for one period and scope",
                       description="Compute every KPI of the catalog for one period and "
                       "scope, with target, status, baseline and change.")
    c.add_argument("--period", required=True, metavar="P",
                   help="a quarter (2026Q3), month (2026-08) or ISO week (2026-W32), in UTC")
    c.add_argument("--team", metavar="T", help="only this team's events")
    c.add_argument("--tier", metavar="N", type=tier,
                   help="only tier N (1, 2 or 3) where the events have a tier")
    c.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="table for people (default; rounded), json or csv (unrounded)")
    return {"kpis": run}


def run(args: argparse.Namespace, db: Path) -> int:
    from metrics.cli import output
    from metrics.kpi.report import kpi_report
    from metrics.periods import parse_period

    period = parse_period(args.period)
    url = backend(args)
    report = kpi_report(db, period, team=args.team, tier=args.tier,
                        config=load_org_config(args), backend=url)
    if url is None:
        warn_unknown_team(db, args.team)
    for kpi in report["kpis"]:
        if kpi.get("refused"):
            print(f"mlkpi: warning: {kpi['refused']}", file=sys.stderr)
    if args.format == "json":
        print_json(report)
    elif args.format == "csv":
        sys.stdout.write(output.kpis_csv(report))
    else:
        print(output.kpis_table(report, color=sys.stdout.isatty()))
    return 0


def warn_unknown_team(db: Path, team: str | None) -> None:
    """A filter on a team no event mentions is allowed (it shows no data) but said."""
    if team is None:
        return
    from metrics.store.health import team_names

    if team not in (known := team_names(db)):
        shown = ", ".join(known[:12]) or "none yet"
        print(f"mlkpi: warning: no event mentions team '{team}'; known teams: {shown}.",
              file=sys.stderr)
