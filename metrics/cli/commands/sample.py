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
    return {"sample": run}


def run(args: argparse.Namespace, db: Path) -> int:
    from metrics.sample import generate

    out = Path(args.out)
    files = generate(out, seed=args.seed, scale=args.scale, as_of=args.as_of,
                     progress=lambda msg: print(msg, file=sys.stderr))
    print(f"wrote {len(files)} files to {out}")
    return 0
