"""Prometheus request counters and latency quantiles → inference_sli.

From files: ``query_range`` responses of request counters split by status code (FILE…,
``[prometheus] values = "counter"``: cumulative, differenced per window with resets
counted; or ``"increase"``: already per window), plus ``--latency-p95``/``--latency-p99``
files of quantile series in seconds. The step is the files' sample spacing unless
``--step`` says it. From a live server (``--url``): the map's ``requests``, ``errors`` and
``latency_p95_ms``/``latency_p99_ms`` queries, ``{{step}}`` replaced by the window length,
asked in pages of at most 11,000 points.

A sample at t covers the window (t − step, t]. Errors are the status codes matching
``[prometheus] error_codes`` (default 5..). "NaN" and "+Inf" quantiles (no traffic) leave
the latency empty. Endpoints are named by ``[prometheus] endpoint`` (default
label:service); team and tier come from the map (label:NAME reads the series' labels).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrics.importers import keys
from metrics.importers.mapfile import Key

NAME = "prometheus"
WRITES = ("inference_sli",)
READS = "query_range responses of request counters and latency quantiles, or a live server"
EXAMPLE = ("curl -s $PROM/api/v1/query_range --data-urlencode 'query=sum by (service, code) "
           "(http_requests_total)' -d start=2026-03-01T00:00:00Z -d end=2026-03-02T00:00:00Z "
           "-d step=300 > requests.json")
FILES = "*"

ENDPOINT = Key("prometheus.endpoint", "text",
               "the label that names the endpoint, e.g. label:destination_service "
               "(default label:service)")
STATUS_LABEL = Key("prometheus.status_label", "text",
                   "files: the label holding the status code (default code)")
ERROR_CODES = Key("prometheus.error_codes", "text",
                  "regex of the status codes that count as errors (default 5..)")
VALUES = Key("prometheus.values", "text",
             'files: "counter" (cumulative, the default) or "increase" (per window)')
REQUESTS = Key("prometheus.requests", "text",
               "--url: the query of requests per window, e.g. sum by (service) "
               "(increase(http_requests_total[{{step}}]))")
ERRORS = Key("prometheus.errors", "text", "--url: the query of errors per window")
P95 = Key("prometheus.latency_p95_ms", "text", "--url: the query of p95 latency in ms")
P99 = Key("prometheus.latency_p99_ms", "text", "--url: the query of p99 latency in ms")
MAP_KEYS = (keys.TEAM, keys.TIER, ENDPOINT, STATUS_LABEL, ERROR_CODES, VALUES, REQUESTS,
            ERRORS, P95, P99)


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--latency-p95", metavar="FILE",
                        help="files: a query_range response of p95 latency in seconds")
    parser.add_argument("--latency-p99", metavar="FILE",
                        help="files: a query_range response of p99 latency in seconds")
    parser.add_argument("--url", help="a live Prometheus (e.g. http://localhost:9090): run "
                        "the map's queries instead of reading files")
    parser.add_argument("--since", metavar="TS", help="--url: the first window's start, "
                        "e.g. 2026-03-01 or 2026-03-01T00:00:00Z (aligned down to a step)")
    parser.add_argument("--until", metavar="TS", help="--url: the end of the last window "
                        "(default now; only whole windows are imported)")
    parser.add_argument("--step", metavar="DURATION", help="the window length: 30s, 5m, 1h "
                        "(--url: default 5m; files: default their sample spacing)")
    parser.add_argument("--max-points", type=int, default=11_000, metavar="N",
                        help="--url: samples per series per request (default 11000, "
                             "Prometheus' limit); longer ranges are asked in pages")


def run(args: argparse.Namespace, db: Path) -> int:
    from metrics.cli import progress
    from metrics.cli.commands.import_ import report
    from metrics.cli.common import file_size
    from metrics.importers.prom_import import ImportProblem, import_prometheus
    from metrics.importers.run import make_mapper

    files = [*args.files, *(f for f in (args.latency_p95, args.latency_p99) if f)]
    say = progress.stage_reporter(progress.LARGE_BYTES if args.url else
                                  sum(file_size(f) for f in files))
    try:
        mapper = make_mapper(args.map, vars(args))
        result = import_prometheus(db, args, mapper, say)
    except ImportProblem as exc:
        say.done()
        print(f"mlkpi: {str(exc).rstrip('.')}.", file=sys.stderr)
        return 2
    say.done()
    report(args, result)
    if not args.dry_run and any(r.inserted + r.updated for r in result.kinds.values()):
        from metrics.cli.commands.ingest import prepare_queries

        prepare_queries(args, db, say)
    return result.exit_code

