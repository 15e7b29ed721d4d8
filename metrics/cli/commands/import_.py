"""``mlkpi import SOURCE FILE...``: map the exports of the tools an org runs, then ingest.

Each source is a sub-command of its own (``mlkpi import github-deployments --help`` lists
the map keys it reads); the sources are discovered from ``metrics.importers.sources``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrics.cli.common import file_size, print_json

ORDER = 15
EXIT_STATUS = ("Exit status: 0 all rows stored or skipped; 1 some rows quarantined, the good "
               "ones stored; 2 a file or map error (nothing of that file stored).")


def add(sub) -> dict:
    from metrics.importers import all_sources

    found = all_sources()
    c = sub.add_parser(
        "import", help="map the exports of GitHub, PagerDuty, Jira, Airflow … and ingest them",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Read the files a tool's API or webhooks give (JSON, or JSON Lines of "
        "pages/payloads as 'gh api --paginate' writes them, or '-'), map their records to "
        "events and store them through the same path as 'mlkpi ingest'. What the tool does "
        "not say (team, tier, model, …) comes from a map file (--map); a row that still "
        "lacks a required value is quarantined with the map key that would supply it. "
        "Records the tool itself says are not events (a deployment not yet successful, a "
        "run still running) are skipped and counted. " + EXIT_STATUS,
        epilog="Sources and the kinds they write:\n" + "\n".join(
            f"  {name:<22} {', '.join(m.WRITES) or '(no events)':<18} {m.READS}"
            for name, m in found.items()) + "\n\nSee 'mlkpi import SOURCE --help' for the "
            "map keys a source reads.")
    per = c.add_subparsers(dest="source", required=True, metavar="SOURCE",
                           help="the tool whose export the files are (listed below)")
    for name, module in found.items():
        add_source(per, name, module)
    return {"import": run}


def add_source(per, name: str, module) -> None:
    keys = "\n".join(f"  {k.shown:<30} {k.help}" for k in module.MAP_KEYS)
    example = f"\n\nGet the file:\n  {module.EXAMPLE}" if getattr(module, "EXAMPLE", "") else ""
    s = per.add_parser(
        name, help=f"{module.READS} → {', '.join(module.WRITES) or 'no events'}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"{(module.__doc__ or '').strip().replace('``', '')}\n\n{EXIT_STATUS}",
        epilog=f"Map keys it reads:\n{keys}{example}")
    files = getattr(module, "FILES", "+")
    s.add_argument("files", metavar="FILE", nargs=files,
                   help="JSON documents or JSON Lines files (one page or payload per line); "
                        "'-' reads standard input")
    s.add_argument("--map", metavar="MAP.toml",
                   help="TOML map giving what the source lacks (team, tier, model, …)")
    s.add_argument("--dry-run", action="store_true",
                   help="map and validate, print what would be stored, store nothing")
    s.add_argument("--format", choices=("text", "json"), default="text",
                   help="text for people (default) or one JSON object")
    if hasattr(module, "add_options"):
        module.add_options(s)


def run(args: argparse.Namespace, db: Path) -> int:
    from metrics.importers import UnknownSource, source
    from metrics.importers.mapfile import MapError

    try:
        module = source(args.source)
        if hasattr(module, "run"):
            return module.run(args, db)
        return run_files(args, db)
    except (MapError, UnknownSource) as exc:
        print(f"mlkpi: {str(exc).rstrip('.')}.", file=sys.stderr)
        return 2


def run_files(args: argparse.Namespace, db: Path) -> int:
    from metrics.cli import progress
    from metrics.cli.commands.ingest import prepare_queries
    from metrics.importers.run import import_files

    say = progress.stage_reporter(sum(file_size(f) for f in args.files))
    result = import_files(db, args.source, args.files, map_path=args.map,
                          dry_run=args.dry_run, progress=say, options=vars(args))
    if not args.dry_run and any(r.inserted + r.updated for r in result.kinds.values()):
        prepare_queries(args, db, say)
    say.done()
    report(args, result)
    return result.exit_code


def report(args: argparse.Namespace, result) -> None:
    """Print the result: JSON, or text for people; file errors on standard error."""
    if args.format == "json":
        print_json(result.to_json())
    else:
        print(summary(result))
    for problem in result.file_errors:
        print(f"mlkpi: {problem}", file=sys.stderr)


def summary(result) -> str:
    from metrics.cli import output

    skipped = sum(result.skipped.values())
    head = f"{result.source}: {result.records:,} records read, {skipped:,} skipped"
    if skipped:
        head += " (" + ", ".join(f"{why}: {n:,}" for why, n in result.skipped.most_common()) + ")"
    lines = [head + (" — dry run, nothing stored" if result.dry_run else "")]
    for kind, r in result.kinds.items():
        head = output.ingest_summary(r).splitlines()[0]
        lines.append(head.replace(" inserted", " would be inserted", 1) if result.dry_run
                     else head)
        lines.extend(error_lines(r.errors))
        for row in result.preview.get(kind, []):
            lines.append("  " + ", ".join(f"{k}={v}" for k, v in row.items()))
    return "\n".join(lines)


def error_lines(errors: list[dict]) -> list[str]:
    """``deployments.jsonl, line 2 (record 1006): team: no value; set [team] in the map``."""
    from metrics.cli.output import MAX_ERRORS_SHOWN

    lines = []
    for e in errors[:MAX_ERRORS_SHOWN]:
        record = f" (record {e['record']})" if e.get("record") else ""
        reason = e["reason"] if e["reason"].startswith(e["column"] + ":") else \
            f"{e['column']}: {e['reason']}"
        lines.append(f"  {e['file']}, line {e['line']}{record}: {reason}")
    if len(errors) > MAX_ERRORS_SHOWN:
        lines.append(f"  … and {len(errors) - MAX_ERRORS_SHOWN} more (use --format json)")
    return lines
