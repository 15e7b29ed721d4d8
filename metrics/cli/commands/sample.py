"""``mlkpi sample --out DIR``: realistic, deterministic sample events."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrics.cli.common import day

ORDER = 50


def add(sub) -> dict:
    c = sub.add_parser("sample", help="write realistic, deterministic sample events",
                       description="Write realistic sample events, one file per kind, "
                       "deterministic for a seed and an end date.")
    c.add_argument("--out", required=True, metavar="DIR", help="folder to write the files to")
    c.add_argument("--seed", type=int, default=42, metavar="N", help="random seed (default 42)")
    c.add_argument("--scale", choices=("small", "large"), default="small",
                   help="small (demo, a few MB) or large (benchmarks, ~30M SLI rows)")
    c.add_argument("--as-of", type=day, metavar="DATE",
                   help="the data ends at this date, YYYY-MM-DD (default: today, UTC)")
    c.add_argument("--vendor-files", action="store_true",
                   help="also write the deployments and incidents as GitHub deployments "
                        "(with statuses) and a PagerDuty incidents page, plus an import map, "
                        "in DIR/vendor, to try 'mlkpi import' on")
    return {"sample": run}


def run(args: argparse.Namespace, db: Path) -> int:
    from metrics.sample import generate

    out = Path(args.out)
    files = generate(out, seed=args.seed, scale=args.scale, as_of=args.as_of,
                     progress=lambda msg: print(msg, file=sys.stderr))
    print(f"wrote {len(files)} files to {out}")
    if args.vendor_files:
        write_vendor(args, out / "vendor")
    return 0


def write_vendor(args: argparse.Namespace, folder: Path) -> None:
    from datetime import UTC, datetime

    from metrics.sample import make_context
    from metrics.sample.vendor import write_vendor_files

    ctx = make_context(args.seed, args.scale, args.as_of or datetime.now(UTC).date())
    paths = write_vendor_files(ctx, folder)
    print(f"wrote {len(paths)} files to {folder}; try: mlkpi import github-deployments "
          f"{paths[0]} {paths[1]} --map {paths[3]}")
