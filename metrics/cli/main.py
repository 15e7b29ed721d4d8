"""``mlkpi``: a thin command line over the library.

Parsing and printing only; each sub-command is a module of ``metrics.cli.commands`` and the
work happens in the library (ingest, kpi, slo, sample, serve). Every error is one plain
sentence on stderr; a traceback is a bug.
"""

from __future__ import annotations

import argparse
import os
import sys

from metrics import settings
from metrics.cli import commands
from metrics.cli.common import EXIT_BAD_INPUT, known_errors, print_json

__all__ = ["build_parser", "main", "print_json"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one sentence, exit 2, like every other error
        self.exit(EXIT_BAD_INPUT, f"mlkpi: {message}; see '{self.prog} --help'.\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every sub-command; ``parser.handlers`` maps a name to its function."""
    p = _Parser(
        prog="mlkpi",
        description="KPI dashboard for ML organisations: ingest events, compute KPIs and "
        "SLOs against targets, serve the dashboard.",
        epilog="Start here: 'mlkpi demo' builds a sample store and opens the dashboard.",
    )
    p.add_argument("--db", metavar="PATH",
                   help="the DuckDB store (default: $MLKPI_DB, else mlkpi.duckdb here)")
    p.add_argument("--config", metavar="PATH",
                   help="TOML file of target and SLO overrides (default: $MLKPI_CONFIG, "
                        "else the catalog's defaults)")
    p.add_argument("--backend", metavar="URL",
                   help="the engine that computes KPIs and SLOs for kpis, slo, report, refresh, "
                        "serve and check-backend (default: $MLKPI_BACKEND, else the store): "
                        "duckdb:///PATH, spark://local[N]?path=DIR (Parquet from 'mlkpi "
                        "export'), sc://HOST:PORT[?database=DB] (Spark Connect) or another "
                        "ibis URL (trino://, postgres://, snowflake://, bigquery://)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    handlers: dict = {}
    for module in commands.modules():
        handlers.update(module.add(sub))
    p.set_defaults(_handlers=handlers)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from metrics.store.db import db_path_from_env

    try:
        return args._handlers[args.command](args, db_path_from_env(args.db))
    except BrokenPipeError:  # `mlkpi kpis | head`: the reader left, that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except known_errors() as exc:
        print(f"mlkpi: {_sentence(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("mlkpi: interrupted; nothing half-written was kept.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one sentence; MLKPI_DEBUG=1 shows the traceback
        if settings.debug():
            raise
        print(f"mlkpi: unexpected error ({type(exc).__name__}: {_sentence(exc)}) This is a "
              "bug; run again with MLKPI_DEBUG=1 and report the traceback.", file=sys.stderr)
        return 70


def _sentence(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if text.endswith((".", "?", "!")) else text + "."


if __name__ == "__main__":
    sys.exit(main())
