"""What each ``mlkpi`` sub-command does, given parsed arguments.

Kept apart from ``cli.py`` so that ``mlkpi --help`` imports nothing heavy.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from metrics import formatting, progress
from metrics.cli import print_json
from metrics.config import ConfigError, config_path_from_env, load_config
from metrics.periods import PeriodError, parse_period
from metrics.store import StoreError, db_path_from_env


def known_errors() -> tuple[type[Exception], ...]:
    """The errors said in one sentence. IngestError only once metrics.ingest is loaded
    (nothing else raises it): `mlkpi kpis` never imports the ingest path and pyarrow."""
    errors: list[type[Exception]] = [StoreError, ConfigError, PeriodError, duckdb.Error,
                                     OSError]
    if "metrics.ingest" in sys.modules:
        errors.append(sys.modules["metrics.ingest"].IngestError)
    return tuple(errors)


def run(args: argparse.Namespace) -> int:
    db = db_path_from_env(args.db)
    handler = {
        "ingest": _ingest, "kpis": _kpis, "slo": _slo, "status": _status,
        "sample": _sample, "serve": _serve, "demo": _demo,
    }[args.command]
    return handler(args, db)


def _config(args: argparse.Namespace):
    return load_config(config_path_from_env(args.config))


def _ingest(args: argparse.Namespace, db: Path) -> int:
    from metrics.ingest import ingest

    say = progress.stage_reporter(sum(_size(f) for f in args.files))
    result = ingest(db, args.kind, args.files, assume_tz=args.assume_timezone,
                    strict=args.strict, progress=say)
    if result.inserted + result.updated and not result.strict_rejected:
        _prepare(args, db, say)
    say.done()
    if args.format == "json":
        print_json(result.to_json())
    elif len(result.file_errors) < len(args.files):
        print(formatting.ingest_summary(result))
    for problem in result.file_errors:
        print(f"mlkpi: {problem}", file=sys.stderr)
    return result.exit_code


def _prepare(args: argparse.Namespace, db: Path, say: progress.StageReporter) -> None:
    """Compile the first-asked queries on the new data (``metrics.prepare``); a config
    that does not load is left for ``mlkpi kpis`` to report."""
    from metrics.prepare import prepare

    try:
        config = _config(args)
    except ConfigError:
        return
    say("preparing the KPI and SLO queries")
    prepare(db, config)


def _size(name: str) -> int:
    try:
        return Path(name).stat().st_size if name != "-" else 0
    except OSError:
        return 0


def _kpis(args: argparse.Namespace, db: Path) -> int:
    from metrics.kpis import kpi_report

    period = parse_period(args.period)
    report = kpi_report(db, period, team=args.team, tier=args.tier, config=_config(args))
    _warn_unknown_team(db, args.team)
    if args.format == "json":
        print_json(report)
    elif args.format == "csv":
        sys.stdout.write(formatting.kpis_csv(report))
    else:
        print(formatting.kpis_table(report, color=sys.stdout.isatty()))
    return 0


def _slo(args: argparse.Namespace, db: Path) -> int:
    from metrics.slo import slo_report

    report = slo_report(db, at=args.at, team=args.team, tier=args.tier,
                        endpoint=args.endpoint, config=_config(args))
    _warn_unknown_team(db, args.team)
    if args.format == "json":
        print_json(report)
    elif args.format == "csv":
        sys.stdout.write(formatting.slo_csv(report))
    else:
        print(formatting.slo_table(report, color=sys.stdout.isatty()))
    for warning in report.get("warnings", []):
        print(f"mlkpi: warning: {warning}", file=sys.stderr)
    return 0


def _warn_unknown_team(db: Path, team: str | None) -> None:
    """A filter on a team no event mentions is allowed (it shows no data) but said."""
    if team is None:
        return
    from metrics.health import team_names

    if team not in (known := team_names(db)):
        shown = ", ".join(known[:12]) or "none yet"
        print(f"mlkpi: warning: no event mentions team '{team}'; known teams: {shown}.",
              file=sys.stderr)


def _status(args: argparse.Namespace, db: Path) -> int:
    from metrics.status import status_report

    report = status_report(db, datetime.now(UTC))
    if report.get("exists") is False:
        print(f"mlkpi: there is no store at {db} yet; every kind is empty. Run 'mlkpi ingest "
              "KIND FILE' to start one.", file=sys.stderr)
    if args.format == "json":
        print_json(report)
    else:
        print(formatting.status_table(report))
    return 0


def _sample(args: argparse.Namespace, db: Path) -> int:
    from metrics.sample import generate

    out = Path(args.out)
    files = generate(out, seed=args.seed, scale=args.scale, as_of=args.as_of,
                     progress=lambda msg: print(msg, file=sys.stderr))
    print(f"wrote {len(files)} files to {out}")
    return 0


def _serve(args: argparse.Namespace, db: Path) -> int:
    from metrics.serve import serve

    if not db.exists():
        raise StoreError(f"there is no store at {db}; run 'mlkpi demo' or 'mlkpi ingest' first")
    return serve(db, config=config_path_from_env(args.config), port=args.port,
                 address=args.address, allow_hosts=args.allow_host)


def _demo(args: argparse.Namespace, db: Path) -> int:
    from metrics.serve import build_demo_store, serve

    if not db.exists():
        print(f"No store at {db}: building one from sample data ending today…", file=sys.stderr)
        build_demo_store(db, say=lambda msg: print(msg, file=sys.stderr))
    return serve(db, config=config_path_from_env(args.config), port=args.port,
                 address=args.address, allow_hosts=args.allow_host)
