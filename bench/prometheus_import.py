"""``python -m bench.prometheus_import``: a year of 5-minute SLI windows from Prometheus.

Writes what ``query_range`` returns for a year at a 300 s step, paged as a live import
asks for it (11,000 points a page, every endpoint's series in each page, one page per
JSON Lines line): request counters of each endpoint split by status code (200 and 503,
cumulative, with a counter reset every 30 days) and a p95 latency series in seconds.
Then runs ``mlkpi import prometheus`` as its own process (read, window, ingest, snapshot)
and prints windows/s and the process' peak memory. The goal's scale, 200 endpoints (about
21M windows), is ``--endpoints 200``; the default, 20 endpoints (2.1M windows), runs in a
few minutes on a shared 2-core machine. Prints figures, asserts none.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench.measure import run_measured

STEP = 300
PAGE = 11_000
START = 1767225600  # 2026-01-01T00:00:00Z
MAP = """
tier = 2
[team]
from = ["label:team"]
[prometheus]
endpoint = "label:service"
status_label = "code"
"""


def write_files(folder: Path, endpoints: int, days: int) -> tuple[Path, Path, int]:
    """The requests and p95 files (JSON Lines of pages); returns them and the samples."""
    points = days * 86400 // STEP + 1
    t = START + STEP * np.arange(points, dtype=np.int64)
    requests, latency = folder / "requests.jsonl", folder / "latency_p95.jsonl"
    rng = np.random.default_rng(42)
    counters = {}
    for e in range(endpoints):
        per_window = rng.poisson(300 + 10 * e, points)
        errors = rng.binomial(per_window, 0.001)
        for code, inc in (("200", per_window - errors), ("503", errors)):
            total = np.cumsum(inc)
            for reset in range(8640, points, 8640):  # a restart every 30 days
                total[reset:] -= total[reset - 1]
            counters[(e, code)] = total
    p95 = {e: np.round(0.08 + 0.02 * rng.random(points), 4) for e in range(endpoints)}
    with open(requests, "w") as req_out, open(latency, "w") as lat_out:
        for first in range(0, points, PAGE):
            page = slice(first, min(first + PAGE, points))
            req_out.write(_page([(_labels(e, code), t[page], counters[(e, code)][page])
                                 for e in range(endpoints) for code in ("200", "503")]))
            lat_out.write(_page([({"service": f"endpoint-{e:03d}"}, t[page], p95[e][page])
                                 for e in range(endpoints)]))
    return requests, latency, points * endpoints * 3


def _labels(e: int, code: str) -> dict:
    return {"__name__": "http_requests_total", "service": f"endpoint-{e:03d}", "code": code,
            "team": ("search", "ads", "risk", "growth")[e % 4], "job": "serving"}


def _page(series: list[tuple[dict, np.ndarray, np.ndarray]]) -> str:
    result = [{"metric": labels, "values": [[int(a), str(b)] for a, b in zip(
        times.tolist(), values.tolist(), strict=True)]} for labels, times, values in series]
    return json.dumps({"status": "success", "data": {"resultType": "matrix",
                                                     "result": result}}) + "\n"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.prometheus_import",
                                description=__doc__.split("\n")[0])
    p.add_argument("--endpoints", type=int, default=20,
                   help="endpoints (default 20; the goal's scale is 200)")
    p.add_argument("--days", type=int, default=365, help="days of 5-minute windows (365)")
    p.add_argument("--repeat", type=int, default=1, help="runs; the best is reported")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mlkpi-bench-prom-") as tmp:
        folder = Path(tmp)
        requests, latency, samples = write_files(folder, args.endpoints, args.days)
        (folder / "map.toml").write_text(MAP)
        size = (requests.stat().st_size + latency.stat().st_size) / 2**20
        print(f"[bench] {args.endpoints} endpoints × {args.days} days: {samples:,} samples, "
              f"{size:.0f} MB of query_range pages", file=sys.stderr)
        runs, cpu = [], []
        for n in range(args.repeat):
            cmd = [sys.executable, "-m", "metrics.cli", "--db", str(folder / f"s{n}.duckdb"),
                   "import", "prometheus", str(requests), "--latency-p95", str(latency),
                   "--map", str(folder / "map.toml"), "--format", "json"]
            before = _children_cpu()
            runs.append(run_measured(cmd, env=dict(os.environ)))
            cpu.append(_children_cpu() - before)
        best = min(runs, key=lambda r: r.seconds)
        stored = json.loads(best.stdout)["kinds"]["inference_sli"]
        windows = stored["inserted"] + stored["updated"] + stored["duplicates"]
        print(json.dumps({
            "endpoints": args.endpoints, "days": args.days, "windows": windows,
            "quarantined": stored["quarantined"], "input_mb": round(size),
            "seconds": round(best.seconds, 2), "windows_per_s": round(windows / best.seconds),
            "cpu_seconds": round(min(cpu), 2),
            "windows_per_cpu_s": round(windows / min(cpu)),
            "peak_gb": round(best.peak_gb, 3),
            "load_average": [round(x, 1) for x in os.getloadavg()],
            "all_runs_s": [round(r.seconds, 2) for r in runs]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
