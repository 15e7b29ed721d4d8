"""``mlkpi report --period P --out FILE``: the quarterly review pack (spec: review.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from metrics.cli.common import backend, load_org_config, tier
from metrics.events import TIERS_TEXT

ORDER = 25
SUFFIXES = ".pdf, .html, .md or .csv"


def add_scope(c: argparse.ArgumentParser, what: str) -> None:
    c.add_argument("--period", required=True, metavar="P",
                   help=f"the quarter {what} (2026Q3), or latest (the latest complete "
                        "quarter)")
    c.add_argument("--team", metavar="T", help="only this team's events")
    c.add_argument("--tier", metavar="N", type=tier,
                   help=f"only tier N ({TIERS_TEXT}) where the events have a tier")


def add(sub) -> dict:
    c = sub.add_parser(
        "report", help="the quarterly review pack as PDF, HTML, Markdown or CSV",
        description="Write the quarterly review of one quarter and scope: a summary written "
        "from the figures, every KPI against its target and the quarters before, a trend "
        "chart per KPI, the notes, and for a closed quarter its restatements.")
    add_scope(c, "to review")
    c.add_argument("--out", required=True, metavar="FILE",
                   help=f"the file to write; its ending ({SUFFIXES}) picks the format")
    c.add_argument("--paper", choices=("a4", "letter"), default="a4",
                   help="the page size of a PDF (default a4; HTML uses it when printed)")
    return {"report": run}


def output_format(out: str) -> str:
    from metrics.errors import MlkpiError
    from metrics.review import FORMATS

    fmt = FORMATS.get(Path(out).suffix.lower())
    if fmt is None:
        raise MlkpiError(f"cannot tell the format of '{out}': end the file name with "
                         f"{SUFFIXES}.")
    folder = Path(out).parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise MlkpiError(f"cannot write '{out}': the folder {folder} does not exist or is "
                         "not writable.")
    return fmt


def run(args: argparse.Namespace, db: Path) -> int:
    from metrics.cli.progress import StageReporter
    from metrics.periods import parse_period
    from metrics.review import render
    from metrics.review.figures import build_pack
    from metrics.store.health import check_scope

    fmt = output_format(args.out)
    period = parse_period(args.period)
    config = load_org_config(args)
    url = backend(args)
    if url is None:  # the store's events say which teams and tiers exist
        check_scope(db, args.team, args.tier)
    progress = StageReporter(sys.stderr.isatty())
    try:
        progress("computing the KPIs" + (f" on {url}" if url else ""))
        pack = build_pack(db, period, args.team, args.tier, config, backend=url)
        progress(f"drawing the {fmt.upper()}")
        data = render(pack, fmt, args.paper)
    finally:
        progress.done()
    write_atomically(Path(args.out), data)
    print(f"wrote {args.out}: the {pack.label} review ({pack.scope_text}, "
          f"{len(pack.rows)} KPIs).", file=sys.stderr)
    return 0


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target, then rename: a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
