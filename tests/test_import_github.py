"""`mlkpi import github-deployments` and `github-workflow-runs` on hand-written pages."""

from __future__ import annotations

import json
from pathlib import Path

from fixtures.importing import fixture, pipeline_run, query, run_import, stored, utc

DEPLOYMENT_FILES = ["github_deployments.jsonl", "github_deployment_statuses.jsonl"]
MAP = """
[team]
from = ["payload:team"]

[tier]
from = ["team"]
map = { search = 1, ads = 2 }

[model]
from = ["payload:model"]

[deployment]
production = ["prod*", "live"]
spec_approved_at = "created_at"
automated = true
rollback = { task = "deploy:rollback" }
"""


def deployment(dep_id, team, model, tier, approved, deployed, rollback=False):
    return {"deployment_id": dep_id, "team": team, "model": model, "tier": tier,
            "spec_approved_at": utc(approved), "deployed_at": utc(deployed),
            "automated": True, "rollback": rollback}


EXPECTED = [
    # first success of three statuses given newest first (queued, in_progress, success,
    # then inactive two days later)
    deployment("1001", "search", "ranker", 1, "2026-08-03 09:00", "2026-08-03 09:20"),
    # prod-eu matches prod*; two successes: the first counts; task deploy:rollback;
    # the payload is a JSON string, as older API clients wrote it
    deployment("1004", "search", "ranker", 1, "2026-08-04 12:00", "2026-08-04 12:10",
               rollback=True),
    # "live" is production by the map; production_environment false is not trusted
    deployment("1005", "ads", "ctr", 2, "2026-08-05 08:00", "2026-08-05 08:15"),
]


def test_deployments_count_at_their_first_success_in_production(tmp_path):
    db, result = run_import(tmp_path, "github-deployments", DEPLOYMENT_FILES, MAP)
    assert stored(db, "deployment") == EXPECTED
    assert dict(result.skipped) == {"not a production environment": 1,  # 1002 staging
                                    "never successful": 1,              # 1003 failure
                                    "not successful yet": 1}            # 1007 queued
    assert result.records == 7 + 13  # 7 deployments and 13 statuses


def test_statuses_read_lean_give_what_reading_them_whole_gives(tmp_path, monkeypatch):
    """Statuses lists are read for their four used fields only (simdjson): the rows,
    skips and counts are those of reading every field (orjson), as they always were."""
    from metrics.importers import reading
    from metrics.importers.sources import github_deployments as gh

    (tmp_path / "lean").mkdir()
    (tmp_path / "whole").mkdir()
    lean = run_import(tmp_path / "lean", "github-deployments", DEPLOYMENT_FILES, MAP)
    monkeypatch.setattr(gh, "read", reading.json_documents)
    whole = run_import(tmp_path / "whole", "github-deployments", DEPLOYMENT_FILES, MAP)
    for db, _ in (lean, whole):
        assert stored(db, "deployment") == EXPECTED
    assert (lean[1].records, dict(lean[1].skipped), lean[1].kinds["deployment"].errors) == \
        (whole[1].records, dict(whole[1].skipped), whole[1].kinds["deployment"].errors)


def test_statuses_of_several_deployments_in_one_list_or_with_odd_fields(tmp_path):
    """A list mixing deployments is one record per status; a status whose environment
    is an object (no API writes that) is read whole, and is no production environment."""
    first = {"url": "u", "id": 1, "state": "success", "environment": "production",
             "created_at": "2026-08-03T09:20:00Z",
             "deployment_url": "https://api.github.com/repos/acme/ranker/deployments/1001"}
    other = {**first, "created_at": "2026-08-04T12:10:00Z",
             "deployment_url": "https://api.github.com/repos/acme/ranker/deployments/1004"}
    odd = {**first, "environment": {"name": "production"},
           "deployment_url": "https://api.github.com/repos/acme/ranker/deployments/1005"}
    statuses = tmp_path / "statuses.jsonl"
    statuses.write_text(json.dumps([first, other]) + "\n" + json.dumps([odd]) + "\n")
    db, result = run_import(tmp_path, "github-deployments",
                            [DEPLOYMENT_FILES[0], str(statuses)], MAP)
    assert [row["deployment_id"] for row in stored(db, "deployment")] == ["1001", "1004"]
    assert result.records == 7 + 3
    # 1005's deployment environment is "live", but its one status names no environment
    # this map calls production, so it is not taken; 1002, 1003, 1006, 1007 have none
    assert sum(result.skipped.values()) == 5


def test_missing_team_is_quarantined_with_the_map_key(tmp_path):
    db, result = run_import(tmp_path, "github-deployments", DEPLOYMENT_FILES, MAP)
    dep = result.kinds["deployment"]
    assert result.exit_code == 1
    assert (dep.inserted, dep.quarantined) == (3, 1)
    assert [(e["file"].rsplit("/", 1)[-1], e["line"], e["column"], e["reason"], e["record"])
            for e in dep.errors] == [
        ("github_deployments.jsonl", 2, "team", "team: no value; set [team] in the map",
         "1006"),
        # the tier comes from the team, so it has none either
        ("github_deployments.jsonl", 2, "tier", "tier: no value; set [tier] in the map",
         "1006")]
    rows = query(db, "SELECT kind, file, line, \"column\", reason, raw FROM quarantine "
                     "ORDER BY \"column\"")
    assert [r[:5] for r in rows] == [
        ("deployment", dep.errors[0]["file"], 2, "team",
         "team: no value; set [team] in the map"),
        ("deployment", dep.errors[0]["file"], 2, "tier",
         "tier: no value; set [tier] in the map")]
    assert json.loads(rows[0][5])["deployment_id"] == "1006"
    assert query(db, "SELECT files FROM ingest_log") == [(json.dumps(result.files),)]


def test_without_a_map_every_deployment_names_what_it_lacks(tmp_path):
    db, result = run_import(tmp_path, "github-deployments", DEPLOYMENT_FILES)
    reasons = {e["reason"] for e in result.kinds["deployment"].errors}
    assert reasons == {"team: no value; set [team] in the map",
                       "model: no value; set [model] in the map",
                       "tier: no value; set [tier] in the map",
                       "spec_approved_at: no value; set [deployment] spec_approved_at in "
                       "the map",
                       "automated: no value; set [deployment] automated in the map"}
    # without the map's "live", deployment 1005 is not production: only 1001, 1004, 1006
    assert result.kinds["deployment"].quarantined == 3
    assert stored(db, "deployment") == []


def test_reimport_is_idempotent(tmp_path):
    db, _ = run_import(tmp_path, "github-deployments", DEPLOYMENT_FILES, MAP)
    _, again = run_import(tmp_path, "github-deployments", DEPLOYMENT_FILES, MAP, db=db)
    dep = again.kinds["deployment"]
    assert (dep.inserted, dep.updated, dep.duplicates, dep.quarantined) == (0, 0, 3, 1)
    assert stored(db, "deployment") == EXPECTED
    assert query(db, "SELECT count(*) FROM deployment_history") == [(0,)]


def test_a_changed_deployment_updates_the_row_and_keeps_history(tmp_path):
    db, _ = run_import(tmp_path, "github-deployments", DEPLOYMENT_FILES, MAP)
    lines = Path(fixture("github_deployments.jsonl")).read_text().splitlines()
    first = json.loads(lines[0])
    first[0]["payload"]["model"] = "ranker-v2"  # the deployment was re-labelled
    changed = tmp_path / "deployments.jsonl"
    changed.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    _, again = run_import(tmp_path, "github-deployments",
                          [str(changed), DEPLOYMENT_FILES[1]], MAP, db=db)
    dep = again.kinds["deployment"]
    assert (dep.inserted, dep.updated, dep.duplicates) == (0, 1, 2)
    assert stored(db, "deployment")[0]["model"] == "ranker-v2"
    assert query(db, "SELECT deployment_id, model FROM deployment_history") == [
        ("1001", "ranker")]


def test_deployment_status_webhooks(tmp_path):
    db, result = run_import(tmp_path, "github-deployments",
                            ["github_deployment_status_webhooks.jsonl"], MAP)
    assert result.exit_code == 0
    # "Production" matches prod* whatever its case; in_progress then success, in order
    assert stored(db, "deployment") == [
        deployment("2001", "search", "ranker", 1, "2026-08-06 14:00", "2026-08-06 14:07:30")]


def test_statuses_without_their_deployment_are_skipped(tmp_path):
    db, result = run_import(tmp_path, "github-deployments", [DEPLOYMENT_FILES[1]], MAP)
    assert dict(result.skipped) == {"statuses without their deployment": 7}
    assert result.exit_code == 0


RUN_MAP = """
[team]
default = "search"
[tier]
from = ["team"]
map = { search = 1 }
"""


def run_row(run_id, pipeline, scheduled, status):
    return pipeline_run(run_id, pipeline, scheduled, status, team="search", tier=1)


def test_workflow_runs_keep_every_attempt_of_a_rerun(tmp_path):
    db, result = run_import(tmp_path, "github-workflow-runs",
                            ["github_workflow_runs.jsonl", "github_workflow_run_webhook.json"],
                            RUN_MAP)
    assert stored(db, "pipeline_run") == [
        run_row("501#1", "acme/ranker/Nightly features", "2026-08-03 02:00:05", "failed"),
        run_row("501#2", "acme/ranker/Nightly features", "2026-08-03 02:45:00", "success"),
        run_row("504#1", "acme/ranker/Nightly features", "2026-08-06 02:00:02", "failed"),
        run_row("600#1", "acme/ranker/Train ranker", "2026-08-07 06:00:10", "success"),
    ]
    assert dict(result.skipped) == {"state cancelled": 1, "not finished yet": 1}
    assert result.exit_code == 0
