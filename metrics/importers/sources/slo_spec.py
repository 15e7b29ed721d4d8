"""Sloth prometheus/v1 and OpenSLO v1/v1alpha SLO documents → the [slo] section of the
organisation config (printed, or written with --out); no events.

Each SLO's service is the endpoint. Sloth objectives are percents (99.9); OpenSLO targets
are fractions (0.999) or targetPercent. An OpenSLO rolling window of whole days becomes
window_days; an OpenSLO threshold objective (op lte, target 0.95) becomes latency_p95_ms
in the unit --latency-unit names. What mlkpi cannot express is named, one sentence each,
on standard error and as comments in the output; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "slo-spec"
WRITES: tuple[str, ...] = ()
READS = "Sloth prometheus/v1 and OpenSLO v1/v1alpha SLO documents (YAML or JSON)"
EXAMPLE = "mlkpi import slo-spec slos/*.yaml --out slo.toml"
MAP_KEYS = ()


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="FILE", help="write the [slo] section to FILE (a "
                        "new file, to paste or to use as --config); default: print it")
    parser.add_argument("--latency-unit", choices=("s", "ms"),
                        help="the unit of OpenSLO latency thresholds (value:) in these "
                             "documents; without it they are not kept")


def run(args: argparse.Namespace, db: Path) -> int:
    import yaml

    from metrics.config import ConfigError, load_config
    from metrics.importers.reading import ReadError, read_bytes
    from metrics.importers.slo_spec import SloSection, SpecError, read_documents, to_toml

    section = SloSection()
    try:
        for name in args.files:
            try:
                docs = list(yaml.safe_load_all(read_bytes(name)))
            except yaml.YAMLError as exc:
                raise SpecError(f"{name} is not YAML or JSON ({_first_line(exc)})") from None
            except ReadError as exc:
                raise SpecError(f"{name}: {exc}") from None
            read_documents(docs, name, section, args.latency_unit)
    except SpecError as exc:
        print(f"mlkpi: {str(exc).rstrip('.')}.", file=sys.stderr)
        return 2
    text = to_toml(section)
    if args.out:
        out = Path(args.out)
        if out.exists():
            print(f"mlkpi: {out} exists; give a new file (then copy its tables into your "
                  "config) so nothing of yours is overwritten.", file=sys.stderr)
            return 2
        out.write_text(text)
        try:
            load_config(out)
        except ConfigError as exc:  # an objective the config refuses: say which
            out.unlink()
            print(f"mlkpi: the section would not load as a config ({exc}).", file=sys.stderr)
            return 2
        print(f"wrote {len(section.endpoints)} endpoint(s) to {out}")
    else:
        print(text, end="")
    for sentence in section.unsupported:
        print(f"mlkpi: not kept: {sentence}", file=sys.stderr)
    return 1 if section.unsupported else 0


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
