"""``mlkpi kpis --period P``: every KPI of the catalog for one period and scope."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrics.cli.common import backend, emit, load_org_config, tier
from metrics.events import TIERS_TEXT

ORDER = 20


def add(sub) -> dict:
    c = sub.add_parser("kpis", help="every KPI of the catalog for one period and scope",
                       description="Compute every KPI of the catalog for one period and "
                       "scope, with target, status, baseline and change.")
    c.add_argument("--period", required=True, metavar="P",
                   help="a quarter (2026Q3), month (2026-08), ISO week (2026-W32), in UTC, "
                        "or latest (the latest complete quarter)")
    c.add_argument("--team", metavar="T", help="only this team's events")
    c.add_argument("--tier", metavar="N", type=tier,
                   help=f"only tier N ({TIERS_TEXT}) where the events have a tier")
    c.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="table for people (default; rounded), json or csv (unrounded)")
    return {"kpis": run}


def run(args: argparse.Namespace, db: Path) -> int:
    from metrics.cli import output
    from metrics.kpi.report import kpi_report
    from metrics.periods import parse_period
    from metrics.review.closing import with_closed
    from metrics.store.health import check_scope

    period = parse_period(args.period)
    config = load_org_config(args)
    url = backend(args)
    if url is None:  # the store's events say which teams and tiers exist
        check_scope(db, args.team, args.tier)
    report = kpi_report(db, period, team=args.team, tier=args.tier, config=config,
                        backend=url)
    for kpi in report["kpis"]:
        if kpi.get("refused"):
            print(f"mlkpi: warning: {kpi['refused']}", file=sys.stderr)
    report = with_closed(report, db)  # a closed quarter's frozen figures and restatements
    emit(report, args.format, output.kpis_table, output.kpis_csv)
    return 0
