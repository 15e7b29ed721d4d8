"""``mlkpi serve`` and ``mlkpi demo``: the dashboard over the store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrics.cli.common import backend

ORDER = 60


def add(sub) -> dict:
    for name, text in (
        ("serve", "serve the dashboard over the store"),
        ("demo", "build a sample store if none exists, then serve it"),
    ):
        c = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        c.add_argument("--port", type=int, default=8501, metavar="N",
                       help="port to listen on (default 8501)")
        c.add_argument("--address", default="localhost", metavar="HOST",
                       help="address to listen on (default localhost; 0.0.0.0 for all)")
        if name == "serve":
            c.add_argument("--backend", metavar="URL", default=argparse.SUPPRESS,
                           help="serve the reports 'mlkpi refresh --backend URL' stored "
                                "from this engine (same as the global --backend), with "
                                "their age; pages never wait for the engine")
        c.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                       help="a host name browsers may use to reach the server, besides "
                            "localhost (repeatable); needed when serving behind a name")
    return {"serve": run_serve, "demo": run_demo}


def run_serve(args: argparse.Namespace, db: Path) -> int:
    from metrics.cli.serve import serve
    from metrics.config import config_path_from_env
    from metrics.store.db import StoreError

    url = backend(args)
    if not db.exists():
        first = f"'mlkpi refresh --backend {url}'" if url else "'mlkpi demo' or 'mlkpi ingest'"
        raise StoreError(f"there is no store at {db}; run {first} first")
    if url:
        from metrics.store.results import freshness

        if freshness(db) is None:
            print(f"mlkpi: warning: no reports refreshed into {db} yet; run 'mlkpi refresh "
                  f"--backend {url}' (on a schedule) so the dashboard has figures.",
                  file=sys.stderr)
    return serve(db, config=config_path_from_env(args.config), port=args.port,
                 address=args.address, allow_hosts=args.allow_host, backend=url)


def run_demo(args: argparse.Namespace, db: Path) -> int:
    from metrics.cli.serve import build_demo_store, serve
    from metrics.config import config_path_from_env

    if not db.exists():
        print(f"No store at {db}: building one from sample data ending today…", file=sys.stderr)
        build_demo_store(db, say=lambda msg: print(msg, file=sys.stderr))
    return serve(db, config=config_path_from_env(args.config), port=args.port,
                 address=args.address, allow_hosts=args.allow_host)
