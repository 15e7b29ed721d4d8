"""``mlkpi close --period P [--reopen]``: freeze a quarter's figures (spec: review.md)."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

from metrics.cli.commands.report import add_scope
from metrics.cli.common import load_org_config

ORDER = 26


def add(sub) -> dict:
    c = sub.add_parser(
        "close", help="freeze a quarter's figures (or --reopen it)",
        description="Freeze, for one quarter and scope, every KPI's value, sample size, "
        "target and status and the notes as they stand, with who and when, in the store. "
        "Later reports show the frozen figures, and beside them any figure that late "
        "events have since changed. Closing a closed quarter changes nothing.")
    add_scope(c, "to close")
    c.add_argument("--reopen", action="store_true",
                   help="open a closed quarter again (recorded, with who and when)")
    c.add_argument("--by", metavar="NAME",
                   help="who closes or reopens (default: the operating-system user)")
    return {"close": run}


def who(args: argparse.Namespace) -> str:
    if args.by and args.by.strip():
        return args.by.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def run(args: argparse.Namespace, db: Path) -> int:
    from metrics.kpi.report import kpi_report
    from metrics.periods import parse_period
    from metrics.review import closing
    from metrics.review.figures import report_notes
    from metrics.store.health import check_scope

    period = closing.closable(parse_period(args.period).label)
    check_scope(db, args.team, args.tier)
    scope = f"{period.label} ({_scope_words(args)})"
    if args.reopen:
        if closing.reopen(db, period.label, args.team, args.tier, who(args)):
            print(f"reopened {scope}; its figures are computed afresh again.")
        else:
            print(f"{scope} is not closed; nothing to reopen.")
        return 0
    report = kpi_report(db, period, args.team, args.tier, load_org_config(args))
    notes = report_notes(db, report, args.team, args.tier)
    if closing.close(db, report, notes, who(args)):
        print(f"closed {scope}: {len(report['kpis'])} KPIs and {len(notes)} notes frozen.")
    else:
        print(f"{scope} is already closed; reopen it first with --reopen.")
    return 0


def _scope_words(args: argparse.Namespace) -> str:
    parts = [f"team {args.team}"] if args.team else []
    if args.tier is not None:
        parts.append(f"tier {args.tier}")
    return ", ".join(parts) or "whole organisation"
