"""``python -m bench.imports``: ``mlkpi import github-deployments`` on 100k deployments.

Writes N deployments as ``gh api --paginate`` would (JSON Lines, 100 per page, the
fields of the REST API) and their statuses (one list per deployment, newest first:
success, in_progress, queued; every 20th deployment failed, every 10th went to staging),
then runs the whole command as its own process (read, map, ingest, snapshot, query
preparation with a warm template cache) and prints deployments/s and records/s
(deployments plus statuses), per wall second and per CPU second of the command (on a shared
machine the wall time includes waiting for the CPU). Prints figures, asserts none.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.measure import run_measured

MAP = """
[team]
from = ["payload:team"]
[tier]
from = ["team"]
map = { search = 1, ads = 2, retention = 2, platform = 3 }
[model]
from = ["payload:model"]
[deployment]
spec_approved_at = "created_at"
automated = true
rollback = { task = "deploy:rollback" }
"""
TEAMS = ("search", "ads", "retention", "platform")
START = datetime(2025, 1, 1, tzinfo=UTC)


def write_files(folder: Path, n: int) -> tuple[Path, Path, int]:
    """The deployments and statuses files; returns their paths and the statuses written."""
    deps, sts = folder / "deployments.jsonl", folder / "statuses.jsonl"
    statuses = 0
    with open(deps, "w") as d_out, open(sts, "w") as s_out:
        page = []
        for i in range(n):
            dep, st = _deployment(i)
            page.append(dep)
            statuses += len(st)
            s_out.write(json.dumps(st) + "\n")
            if len(page) == 100:
                d_out.write(json.dumps(page) + "\n")
                page = []
        if page:
            d_out.write(json.dumps(page) + "\n")
    return deps, sts, statuses


def _deployment(i: int) -> tuple[dict, list[dict]]:
    repo = f"acme/model-{i % 50}"
    base = f"https://api.github.com/repos/{repo}"
    dep_id = 10_000_000 + i
    created = START + timedelta(minutes=5 * i)
    env = "staging" if i % 10 == 3 else "production"
    user = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot", "site_admin": False}
    dep = {"url": f"{base}/deployments/{dep_id}", "id": dep_id, "node_id": f"DE_{dep_id}",
           "task": "deploy:rollback" if i % 25 == 0 else "deploy", "original_environment": env,
           "environment": env, "description": None, "created_at": _iso(created),
           "updated_at": _iso(created), "statuses_url": f"{base}/deployments/{dep_id}/statuses",
           "repository_url": base, "creator": user, "sha": f"{i:040x}", "ref": "main",
           "payload": {"team": TEAMS[i % 4], "model": f"model-{i % 50}"},
           "transient_environment": False, "production_environment": env == "production",
           "performed_via_github_app": None}
    last = "failure" if i % 20 == 7 else "success"
    states = [(last, 9), ("in_progress", 2), ("queued", 1)]
    st = [{"url": f"{base}/deployments/{dep_id}/statuses/{dep_id * 10 + k}",
           "id": dep_id * 10 + k, "node_id": f"DES_{dep_id}{k}", "state": state,
           "creator": user, "description": "", "environment": env, "target_url": "",
           "log_url": "", "created_at": _iso(created + timedelta(minutes=m)),
           "updated_at": _iso(created + timedelta(minutes=m)),
           "deployment_url": f"{base}/deployments/{dep_id}", "repository_url": base,
           "environment_url": "", "performed_via_github_app": None}
          for k, (state, m) in enumerate(states)]
    return dep, st


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__.split("\n")[0])
    p.add_argument("--deployments", type=int, default=100_000, help="how many (default 100k)")
    p.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mlkpi-bench-imports-") as tmp:
        folder = Path(tmp)
        deps, sts, statuses = write_files(folder, args.deployments)
        (folder / "map.toml").write_text(MAP)
        size = (deps.stat().st_size + sts.stat().st_size) / 2**20
        print(f"[bench] {args.deployments:,} deployments, {statuses:,} statuses, {size:.0f} MB",
              file=sys.stderr)
        # the first import on a machine compiles the KPI and SLO query templates (as the
        # first ingest does; metrics.sql.prepare); a small import fills that cache first
        os.environ.setdefault("MLKPI_CACHE_DIR", str(folder / "cache"))
        small = folder / "small"
        small.mkdir()
        s_deps, s_sts, _ = write_files(small, 200)
        run_measured([sys.executable, "-m", "metrics.cli", "--db", str(small / "s.duckdb"),
                      "import", "github-deployments", str(s_deps), str(s_sts), "--map",
                      str(folder / "map.toml")], env=dict(os.environ))
        runs, cpu = [], []
        for n in range(args.repeat):
            db = folder / f"s{n}.duckdb"
            cmd = [sys.executable, "-m", "metrics.cli", "--db", str(db), "import",
                   "github-deployments", str(deps), str(sts), "--map", str(folder / "map.toml"),
                   "--format", "json"]
            before = _children_cpu()
            runs.append(run_measured(cmd, env=dict(os.environ)))
            cpu.append(_children_cpu() - before)
        best = min(runs, key=lambda r: r.seconds)
        best_cpu = min(cpu)
        out = json.loads(best.stdout)
        dep = out["kinds"]["deployment"]
        records = args.deployments + statuses
        result = {"deployments": args.deployments, "statuses": statuses,
                  "seconds": round(best.seconds, 2), "peak_gb": round(best.peak_gb, 3),
                  "deployments_per_s": round(args.deployments / best.seconds),
                  "records_per_s": round(records / best.seconds),
                  # on a shared machine the wall time waits for other processes' turns;
                  # the command's own CPU time (user + system) says what it costs
                  "cpu_seconds": round(best_cpu, 2),
                  "deployments_per_cpu_s": round(args.deployments / best_cpu),
                  "records_per_cpu_s": round(records / best_cpu),
                  "load_average": [round(x, 1) for x in os.getloadavg()],
                  "stored": dep["inserted"], "skipped": out["skipped"],
                  "all_runs_s": [round(r.seconds, 2) for r in runs],
                  "all_runs_cpu_s": [round(c, 2) for c in cpu],
                  "median_records_per_s": round(records / statistics.median(
                      r.seconds for r in runs))}
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
