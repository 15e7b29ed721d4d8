"""``mlkpi slo``: per-endpoint SLO figures, burn rates and alert state; ``mlkpi slo notify``
tells people when a state changes; ``mlkpi slo rules`` writes the same objectives as
Prometheus rules or Sloth specs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrics.cli.common import backend, emit, load_org_config, print_json, tier, timestamp
from metrics.events import TIERS_TEXT

ORDER = 30


def add(sub) -> dict:
    c = sub.add_parser("slo", help="per-endpoint SLO figures, burn rates and alert state",
                       description="Availability, latency compliance, error budget, burn "
                       "rates for every look-back and the alert state of each endpoint "
                       "(multiwindow, multi-burn-rate), worst first. 'mlkpi slo notify' and "
                       "'mlkpi slo rules' are sub-commands (see their --help).")
    _scope(c)
    c.add_argument("--endpoint", metavar="E", help="only this endpoint")
    c.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="table for people (default), json or csv")
    more = c.add_subparsers(dest="slo_command", metavar="{notify,rules}",
                            parser_class=type(c),
                            help="optional: 'notify' sends a message for each alert-state "
                                 "change, 'rules' writes Prometheus rules or Sloth specs")
    _add_notify(more)
    _add_rules(more)
    return {"slo": run}


def _scope(c: argparse.ArgumentParser) -> None:
    c.add_argument("--at", metavar="TS", type=timestamp,
                   help="evaluate at this ISO-8601 instant with offset (default: the end "
                        "of the newest SLI window)")
    c.add_argument("--team", metavar="T", help="only this team's endpoints")
    c.add_argument("--tier", metavar="N", type=tier, help=f"only tier N ({TIERS_TEXT})")


def _add_notify(more) -> None:
    n = more.add_parser(
        "notify", help="send a message for each alert-state change since the last run",
        description="Compare each endpoint's alert state with the last one notified (kept in "
        "the store) and send one message per change (ok -> ticket, ticket -> page, page -> "
        "ok resolved, ...) to every target. Deliveries that failed on an earlier run are "
        "retried first. Run it from a scheduler after each SLI import. Exit status: 0 "
        "everything delivered (or nothing to send), 1 some delivery failed (it is retried "
        "on the next run and shown by 'mlkpi status'), 2 bad options.")
    _scope(n)
    n.add_argument("--to", metavar="URL", nargs="+", required=True,
                   help="apprise notification URLs: json://host/path (a JSON webhook), "
                        "https://hooks.slack.com/services/... (Slack), mmost://host/token "
                        "(Mattermost, Slack-compatible), workflows://... or a Teams "
                        "workflow https URL (Microsoft Teams), mailto://user:pass@host?to=... "
                        "(email); several may follow one --to")
    n.add_argument("--format", choices=("text", "json"), default="text",
                   help="text for people (default) or one JSON object")


def _add_rules(more) -> None:
    r = more.add_parser(
        "rules", help="the objectives as Prometheus alerting rules or Sloth specs",
        description="Write every endpoint's objective (tier defaults and the config's "
        "overrides, windows included) as Prometheus recording rules and multiwindow, "
        "multi-burn-rate alerting rules (thresholds scaled to each window), or as Sloth "
        "specs, over the request and error series of the import map's [prometheus] section.")
    r.add_argument("--format", choices=("prometheus", "sloth"), default="prometheus",
                   help="prometheus rule file (default) or Sloth prometheus/v1 specs")
    r.add_argument("--map", metavar="MAP.toml", type=Path,
                   help="the import map whose [prometheus] section names the series "
                        "(endpoint label, requests and errors queries)")
    r.add_argument("--at", metavar="TS", type=timestamp,
                   help="take endpoints and tiers as of this instant (default: the end of "
                        "the newest SLI window)")
    r.add_argument("--out", metavar="FILE", type=Path,
                   help="write to FILE instead of standard output")


def run(args: argparse.Namespace, db: Path) -> int:
    if args.slo_command == "notify":
        return run_notify(args, db)
    if args.slo_command == "rules":
        return run_rules(args, db)
    from metrics.cli import output
    from metrics.slo.report import slo_report
    from metrics.store.health import check_scope

    config = load_org_config(args)
    url = backend(args)
    if url is None:  # the store's events say which teams and tiers exist
        check_scope(db, args.team, args.tier)
    report = slo_report(db, at=args.at, team=args.team, tier=args.tier,
                        endpoint=args.endpoint, config=config, backend=url)
    emit(report, args.format, output.slo_table, output.slo_csv)
    for warning in report.get("warnings", []):
        print(f"mlkpi: warning: {warning}", file=sys.stderr)
    return 0


def run_notify(args: argparse.Namespace, db: Path) -> int:
    from metrics.slo.notify import notify, summary, to_json
    from metrics.store.health import check_scope

    config = load_org_config(args)
    check_scope(db, args.team, args.tier)
    result = notify(db, args.to, at=args.at, team=args.team, tier=args.tier, config=config)
    if args.format == "json":
        print_json(to_json(result))
    else:
        print(summary(result))
    if result.changes and config.public_url is None:
        print("mlkpi: warning: the messages link to /slo without a host; set [dashboard] url "
              "in the config for a full link.", file=sys.stderr)
    return 1 if result.failed else 0


def run_rules(args: argparse.Namespace, db: Path) -> int:
    from metrics.slo.rules import endpoints, load_series, render

    config = load_org_config(args)
    series = load_series(args.map)
    text = render(args.format, endpoints(db, args.at, config), series, config.public_url)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        what = "Prometheus rules" if args.format == "prometheus" else "Sloth specs"
        print(f"wrote {what} for the objectives to {args.out}", file=sys.stderr)
    return 0
