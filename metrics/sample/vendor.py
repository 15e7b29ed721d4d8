"""The sample's deployments and incidents as the tools would export them, to try
``mlkpi import`` on:

* ``github_deployments.jsonl`` — ``GET /repos/{o}/{r}/deployments`` pages (100 a line, as
  ``gh api --paginate`` writes them); ``github_deployment_statuses.jsonl`` — each
  deployment's statuses, newest first (queued, in_progress, success);
* ``pagerduty_incidents.json`` — one ``GET /incidents`` page of the REST v2 shape;
* ``import-map.toml`` — the map that gives what those tools do not say.

Deployments carry team, model, automated and the approval time in their ``payload`` (the
free-form field teams fill from CI); incidents name the team and service (= model). The
tiers are the map's table, and PagerDuty has no impact start: ``onset_at`` is the
detection time. Importing both gives the sample's rows under the vendors' ids.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from metrics.sample.common import COLUMNS, Ctx
from metrics.sample.delivery import deployment_rows, incident_rows

API = "https://api.github.com/repos"
BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot", "site_admin": False}
TITLES = {"drift": "prediction drift", "data_quality": "data quality check failed",
          "pipeline": "feature pipeline late", "infrastructure": "infrastructure outage",
          "code": "code regression in scoring", "other": "unexplained metric dip"}
KEYWORDS = {"drift": "drift", "data quality": "data_quality", "pipeline": "pipeline",
            "infrastructure": "infrastructure", "code": "code"}
PRIORITY = {"SEV1": "P1", "SEV2": "P2", "SEV3": "P3", "SEV4": "P4"}
FIRST_DEPLOYMENT_ID = 100_000_000


def write_vendor_files(ctx: Ctx, out_dir: Path) -> list[Path]:
    """Write the four files into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    deps = [dict(zip(COLUMNS["deployment"], r, strict=True)) for r in deployment_rows(ctx)]
    incs = [dict(zip(COLUMNS["incident"], r, strict=True)) for r in incident_rows(ctx)]
    paths = [out_dir / "github_deployments.jsonl", out_dir / "github_deployment_statuses.jsonl",
             out_dir / "pagerduty_incidents.json", out_dir / "import-map.toml"]
    with open(paths[0], "w") as d_out, open(paths[1], "w") as s_out:
        for start in range(0, len(deps), 100):
            page = [github_deployment(n, row) for n, row in enumerate(deps[start:start + 100],
                                                                      start + 1)]
            d_out.write(json.dumps(page) + "\n")
            for n, row in enumerate(deps[start:start + 100], start + 1):
                s_out.write(json.dumps(github_statuses(n, row)) + "\n")
    page = {"incidents": [pagerduty_incident(n, row) for n, row in enumerate(incs, 1)],
            "limit": len(incs), "offset": 0, "total": None, "more": False}
    paths[2].write_text(json.dumps(page, indent=1) + "\n")
    paths[3].write_text(import_map(ctx))
    return paths


def github_deployment(n: int, row: dict) -> dict:
    dep_id, repo = FIRST_DEPLOYMENT_ID + n, f"{API}/acme/{row['model']}"
    created = row["spec_approved_at"]
    return {"url": f"{repo}/deployments/{dep_id}", "id": dep_id, "node_id": f"DE_{dep_id}",
            "task": "deploy:rollback" if row["rollback"] == "true" else "deploy",
            "original_environment": "production", "environment": "production",
            "description": None, "created_at": created, "updated_at": row["deployed_at"],
            "statuses_url": f"{repo}/deployments/{dep_id}/statuses", "repository_url": repo,
            "creator": BOT, "sha": f"{dep_id:040x}", "ref": "main",
            "payload": {"team": row["team"], "model": row["model"],
                        "approved_at": row["spec_approved_at"],
                        "automated": row["automated"] == "true"},
            "transient_environment": False, "production_environment": True,
            "performed_via_github_app": None}


def github_statuses(n: int, row: dict) -> list[dict]:
    """Newest first, as the API lists them: success at deployed_at, earlier steps before."""
    dep_id, repo = FIRST_DEPLOYMENT_ID + n, f"{API}/acme/{row['model']}"
    done = datetime.fromisoformat(row["deployed_at"])
    steps = [("success", done), ("in_progress", done - timedelta(minutes=3)),
             ("queued", done - timedelta(minutes=4))]
    return [{"url": f"{repo}/deployments/{dep_id}/statuses/{dep_id * 10 + k}",
             "id": dep_id * 10 + k, "state": state, "creator": BOT, "description": "",
             "environment": "production", "target_url": "", "log_url": "",
             "created_at": _iso(at), "updated_at": _iso(at),
             "deployment_url": f"{repo}/deployments/{dep_id}", "repository_url": repo,
             "environment_url": "", "performed_via_github_app": None}
            for k, (state, at) in enumerate(steps)]


def pagerduty_incident(n: int, row: dict) -> dict:
    inc_id = f"Q{n:013d}"
    resolved = row["mitigated_at"] or None
    service = {"id": f"PS{n:05d}", "type": "service_reference", "summary": row["model"]}
    return {"id": inc_id, "type": "incident", "summary": f"[#{n}] {row['model']}: "
            f"{TITLES[row['cause']]}", "incident_number": n,
            "title": f"{row['model']}: {TITLES[row['cause']]}", "created_at": row["detected_at"],
            "updated_at": resolved or row["detected_at"],
            "status": "resolved" if resolved else "triggered",
            "incident_key": row["incident_id"], "service": service, "assignments": [],
            "last_status_change_at": resolved or row["detected_at"],
            "teams": [{"id": f"PT{row['team'][:5].upper()}", "type": "team_reference",
                       "summary": row["team"]}],
            "urgency": "high" if row["severity"] in ("SEV1", "SEV2") else "low",
            "priority": {"id": f"PP{row['severity'][-1]}", "type": "priority",
                         "summary": PRIORITY[row["severity"]],
                         "name": PRIORITY[row["severity"]]},
            "resolved_at": resolved}


def import_map(ctx: Ctx) -> str:
    tiers = "\n".join(f'"{m.name}" = {m.tier}' for m in ctx.org.models)
    keywords = "\n".join(f'"{k}" = "{v}"' for k, v in KEYWORDS.items())
    return f"""# What GitHub and PagerDuty do not say, for the sample's exports.
[team]
from = ["payload:team", "teams.0.summary"]

[model]
from = ["payload:model", "service.summary"]

[tier]
from = ["model"]

[tier.map]
{tiers}

[deployment]
production = ["production"]
spec_approved_at = "payload:approved_at"
automated = {{ from = ["payload:automated"] }}
rollback = {{ task = "deploy:rollback" }}

[incident]
onset_at = "detected_at"   # PagerDuty records no impact start

[incident.cause]
from = ["title"]
default = "other"

[incident.cause.keywords]
{keywords}
"""


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")
