"""Every other part-1 source on its hand-written fixtures, with the expected event rows."""

from __future__ import annotations

import json
from pathlib import Path

from fixtures.importing import fixture, pipeline_run, query, run_import, stored, utc


def deployment(dep_id, approved, deployed, rollback=False):
    return {"deployment_id": dep_id, "team": "retention", "model": "churn", "tier": 2,
            "spec_approved_at": utc(approved), "deployed_at": utc(deployed),
            "automated": True, "rollback": rollback}


GITLAB_DEPLOY_MAP = """
team = "retention"
model = "churn"
tier = 2
[deployment]
spec_approved_at = "deployable.commit.created_at"
automated = true
"""


def test_gitlab_deployments_rest(tmp_path):
    db, result = run_import(tmp_path, "gitlab-deployments", ["gitlab_deployments.json"],
                            GITLAB_DEPLOY_MAP)
    assert stored(db, "deployment") == [
        # the deploy job's finished_at; the commit's time as the approval
        deployment("41", "2026-08-10 07:36:40.222", "2026-08-10 07:38:11.851")]
    assert dict(result.skipped) == {"never successful": 1, "not a production environment": 1,
                                    "not successful yet": 1}


def test_gitlab_deployment_webhooks_with_offset_times_and_a_rollback(tmp_path):
    db, result = run_import(tmp_path, "gitlab-deployments", ["gitlab_deployment_webhooks.jsonl"],
                            GITLAB_DEPLOY_MAP.replace("deployable.commit.created_at",
                                                      "status_changed_at")
                            + 'rollback = { commit_title = "roll back*" }\n')
    # running, then success at "2021-04-28 21:50:00 +0200"
    assert stored(db, "deployment") == [
        deployment("15", "2021-04-28 19:50", "2021-04-28 19:50", rollback=True)]
    assert result.exit_code == 0


PIPELINE_MAP = """
[team]
default = "retention"
[tier]
from = ["team"]
map = { retention = 2 }
"""


def test_gitlab_pipelines_rest_and_webhooks(tmp_path):
    db, result = run_import(tmp_path, "gitlab-pipelines",
                            ["gitlab_pipelines.json", "gitlab_pipeline_webhooks.jsonl"],
                            PIPELINE_MAP)
    assert stored(db, "pipeline_run") == [
        # the webhook's last word (success), at "2016-08-12 15:23:28 UTC"
        pipeline_run("31", "ml/features", "2016-08-12 15:23:28", "success"),
        pipeline_run("47", "project 30", "2026-08-10 02:00:01.085", "success"),
        pipeline_run("48", "project 30", "2026-08-11 02:00:02.100", "failed"),
    ]
    assert dict(result.skipped) == {"state canceled": 1, "state running": 1}


def test_airflow_v1_and_v2_runs_are_keyed_by_dag_and_run_id(tmp_path):
    db, result = run_import(tmp_path, "airflow-dag-runs",
                            ["airflow_dag_runs_v1.json", "airflow_dag_runs_v2.json"],
                            PIPELINE_MAP)
    assert stored(db, "pipeline_run") == [
        pipeline_run("churn_features/manual__2026-08-05T13:20:11.123456+00:00",
                     "churn_features", "2026-08-05 13:20:11.123456", "success"),  # run_after
        pipeline_run("churn_features/scheduled__2026-08-01T00:00:00+00:00",
                     "churn_features", "2026-08-02 00:00", "success"),  # data_interval_end
        pipeline_run("churn_features/scheduled__2026-08-02T00:00:00+00:00",
                     "churn_features", "2026-08-03 00:00", "failed"),
        pipeline_run("ranker_features/scheduled__2026-08-02T00:00:00+00:00",
                     "ranker_features", "2026-08-03 00:00", "success"),
    ]
    assert dict(result.skipped) == {"state running": 1, "state queued": 1}


def test_kubeflow_runs(tmp_path):
    map_text = """
[team]
from = ["pipeline_id"]
map = { churn-features = "retention", ranker-train = "search" }
[tier]
from = ["team"]
map = { retention = 2, search = 1 }
"""
    db, result = run_import(tmp_path, "kubeflow-runs", ["kubeflow_runs.json"], map_text)
    assert stored(db, "pipeline_run") == [
        pipeline_run("0b1c2d3e-0001-4f00-8000-000000000001", "churn-features",
                     "2026-08-03 02:00", "success"),
        pipeline_run("0b1c2d3e-0002-4f00-8000-000000000002", "churn-features",
                     "2026-08-04 02:00", "failed"),
    ]
    assert dict(result.skipped) == {"state canceled": 1, "state running": 1}


def test_kubeflow_paused_and_skipped_are_not_runs_unless_the_map_says(tmp_path):
    doc = json.loads(Path(fixture("kubeflow_runs.json")).read_text())
    doc["runs"][2]["state"] = "PAUSED"
    doc["runs"][3]["state"] = "SKIPPED"
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(doc))
    _, result = run_import(tmp_path, "kubeflow-runs", [str(path)], PIPELINE_MAP)
    assert dict(result.skipped) == {"state paused": 1, "state skipped": 1}
    _, result = run_import(tmp_path, "kubeflow-runs", [str(path)], PIPELINE_MAP
                           + '[pipeline_run]\nstatus = { SKIPPED = "failed" }\n')
    assert dict(result.skipped) == {"state paused": 1}
    # the SKIPPED run is new; the two others were stored by the first import
    pr = result.kinds["pipeline_run"]
    assert (pr.inserted, pr.duplicates) == (1, 2)


INCIDENT_MAP = """
[team]
from = ["pd_team"]
map = { Search = "search", Ads = "ads" }
[model]
from = ["service"]
map = { ranker-svc = "ranker", ctr-model = "ctr" }
[tier]
from = ["team"]
map = { search = 1, ads = 2 }
[incident]
onset_at = "detected_at"

[incident.cause]
from = ["title"]
default = "other"

[incident.cause.keywords]
drift = "drift"
"data quality" = "data_quality"
latency = "infrastructure"
pipeline = "pipeline"
outage = "infrastructure"
"""


def incident(inc_id, team, model, tier, severity, cause, detected, mitigated, onset=None):
    return {"incident_id": inc_id, "team": team, "model": model, "tier": tier,
            "severity": severity, "cause": cause, "onset_at": utc(onset or detected),
            "detected_at": utc(detected), "mitigated_at": mitigated and utc(mitigated)}


def test_pagerduty_new_and_old_shapes(tmp_path):
    db, result = run_import(tmp_path, "pagerduty-incidents",
                            ["pagerduty_incidents.json", "pagerduty_incidents_old.json"],
                            INCIDENT_MAP)
    assert result.exit_code == 0
    assert stored(db, "incident") == [
        # old shape, resolved, no resolved_at: its last status change; priority null → urgency
        incident("PT4KHLK", "search", "ranker", 1, "SEV2", "pipeline", "2026-07-20 06:00",
                 "2026-07-20 07:45"),
        incident("PT4KHLM", "ads", "ctr", 2, "SEV1", "infrastructure", "2026-07-21 06:00", None),
        incident("Q0RIJJZL24RC6W", "ads", "ctr", 2, "SEV4", "data_quality", "2026-08-04 08:00",
                 "2026-08-04 09:30"),  # priority null, urgency low
        # acknowledged is not mitigated
        incident("Q14VNOVUGM2FHQ", "search", "ranker", 1, "SEV1", "drift", "2026-08-03 10:05",
                 "2026-08-03 12:35"),
        incident("Q1M8OK2MGOYEY1", "search", "ranker", 1, "SEV3", "infrastructure",
                 "2026-08-05 16:00", None),
    ]


def test_pagerduty_analytics_naive_times_are_read_in_its_time_zone(tmp_path):
    db, _ = run_import(tmp_path, "pagerduty-incidents", ["pagerduty_analytics_raw.json"],
                       INCIDENT_MAP)
    # 09:00 and 10:30 in Europe/Berlin (summer time) are 07:00 and 08:30 UTC
    assert stored(db, "incident") == [
        incident("Q2KXZDMRO2MNS1", "search", "ranker", 1, "SEV2", "drift", "2026-08-06 07:00",
                 "2026-08-06 08:30")]


def test_a_naive_time_with_no_zone_anywhere_is_a_row_error(tmp_path):
    doc = json.loads(Path(fixture("pagerduty_analytics_raw.json")).read_text())
    del doc["time_zone"]
    path = tmp_path / "raw.json"
    path.write_text(json.dumps(doc))
    db, result = run_import(tmp_path, "pagerduty-incidents", [str(path)], INCIDENT_MAP)
    errors = {(e["column"], e["reason"]) for e in result.kinds["incident"].errors}
    assert ("detected_at", "detected_at: '2026-08-06T09:00:00' has no time-zone offset and no "
            "time zone is given; set timezone in the map") in errors
    assert result.exit_code == 1 and stored(db, "incident") == []
    # the map's timezone places it
    db2, again = run_import(tmp_path, "pagerduty-incidents", [str(path)],
                            'timezone = "UTC"\n' + INCIDENT_MAP, db=tmp_path / "b.duckdb")
    assert again.exit_code == 0
    assert stored(db2, "incident")[0]["detected_at"] == utc("2026-08-06 09:00")


OPSGENIE_MAP = """
tier = 2
[team]
from = ["label:team"]
[model]
from = ["tag:Model"]
[incident.cause]
from = ["label:cause", "title"]
keywords = { drift = "drift", lag = "pipeline" }
default = "other"
"""


def test_opsgenie_impact_dates_and_a_missing_onset(tmp_path):
    db, result = run_import(tmp_path, "opsgenie-incidents", ["opsgenie_incidents.json"],
                            OPSGENIE_MAP)
    assert stored(db, "incident") == [
        incident("70413a06-38d6-4c85-92b8-5ebc900d42e2", "retention", "churn", 2, "SEV2",
                 "drift", "2026-08-07 11:00", "2026-08-07 13:00", onset="2026-08-07 09:30")]
    # no impactStartDate and no [incident] onset_at: quarantined, the key named
    assert [(e["column"], e["reason"]) for e in result.kinds["incident"].errors] == [
        ("onset_at", "onset_at: no value; set [incident] onset_at in the map")]


JIRA_MAP = """
[team]
from = ["label:team"]
[model]
from = ["component"]
[tier]
from = ["team"]
map = { search = 1, ads = 2 }
[defect]
stage = { from = ["label:stage"] }
[incident]
onset_at = "detected_at"
cause = { from = ["label:cause"], default = "other" }
"""


def test_jira_bugs_are_defects_and_incidents_incidents(tmp_path):
    db, result = run_import(tmp_path, "jira-issues", ["jira_search_v2.json", "jira_issue_v3.json"],
                            JIRA_MAP)
    assert result.exit_code == 0
    assert stored(db, "defect") == [
        # created 10:15 at +0100
        {"defect_id": "ML-12", "team": "search", "model": "ranker",
         "found_at": utc("2026-08-03 09:15"), "stage": "post_release", "severity": "SEV2"},
        {"defect_id": "ML-13", "team": "ads", "model": "ranker",
         "found_at": utc("2026-08-05 13:00"), "stage": "pre_release", "severity": "SEV1"}]
    # 22:30 at -0700 is 05:30 UTC the next day
    assert stored(db, "incident") == [
        incident("OPS-7", "search", "ranker", 1, "SEV1", "drift", "2026-08-10 05:30",
                 "2026-08-10 08:15")]
    assert dict(result.skipped) == {"issue type Story is not a defect or incident": 1}
    assert set(result.kinds) == {"defect", "incident"}


def test_jira_kind_from_the_map(tmp_path):
    db, result = run_import(tmp_path, "jira-issues", ["jira_search_v2.json"],
                            '[jira]\nkind = "defect"\n' + JIRA_MAP)
    # the Story is a defect now, and has no stage label: the key is named
    assert [(e["record"], e["reason"]) for e in result.kinds["defect"].errors] == [
        ("ML-14", "stage: no value; set [defect] stage in the map")]


def test_an_incident_resolved_later_updates_the_row_and_keeps_history(tmp_path):
    db, _ = run_import(tmp_path, "pagerduty-incidents", ["pagerduty_incidents.json"],
                       INCIDENT_MAP)
    page = json.loads(Path(fixture("pagerduty_incidents.json")).read_text())
    open_one = page["incidents"][2]
    assert open_one["status"] == "acknowledged"
    open_one.update(status="resolved", resolved_at="2026-08-05T18:30:00Z",
                    last_status_change_at="2026-08-05T18:30:00Z")
    later = tmp_path / "later.json"
    later.write_text(json.dumps(page))
    _, again = run_import(tmp_path, "pagerduty-incidents", [str(later)], INCIDENT_MAP, db=db)
    inc = again.kinds["incident"]
    assert (inc.inserted, inc.updated, inc.duplicates) == (0, 1, 2)
    row = next(r for r in stored(db, "incident") if r["incident_id"] == "Q1M8OK2MGOYEY1")
    assert row["mitigated_at"] == utc("2026-08-05 18:30")
    assert query(db, "SELECT incident_id, mitigated_at FROM incident_history") == [
        ("Q1M8OK2MGOYEY1", None)]


def test_an_empty_page_stores_nothing_and_an_empty_file_is_a_file_error(tmp_path):
    empty_page = tmp_path / "page.json"
    empty_page.write_text("[]\n")
    _, result = run_import(tmp_path, "github-deployments", [str(empty_page)])
    assert result.exit_code == 0 and result.records == 0
    assert result.kinds["deployment"].inserted == 0
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    _, result = run_import(tmp_path, "github-deployments", [str(empty)])
    assert result.exit_code == 2
    assert result.file_errors == [f"{empty}: the file is empty."]


def test_a_bad_line_in_json_lines_names_it_and_keeps_the_other_files(tmp_path):
    lines = Path(fixture("github_workflow_runs.jsonl")).read_text().splitlines()
    broken = tmp_path / "runs.jsonl"
    broken.write_text(lines[0] + "\n" + lines[1][:50] + "\n")
    db, result = run_import(tmp_path, "github-workflow-runs",
                            [str(broken), "github_workflow_run_webhook.json"], RUN_MAP)
    assert result.file_errors == [f"{broken}: line 2 is not JSON Lines (one JSON document "
                                  "per line)."]
    assert result.exit_code == 2
    assert [r["run_id"] for r in stored(db, "pipeline_run")] == ["600#1"]


RUN_MAP = """
team = "search"
tier = 1
"""


def test_records_of_another_shape_are_a_file_error_not_a_crash(tmp_path):
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"incidents": [{"id": "P1", "created_at": "2026-08-01T00:00:00Z",
                                              "service": "ranker-svc", "teams": "Search"}]}))
    dep = tmp_path / "dep.json"
    dep.write_text(json.dumps([{"id": [1], "sha": "a", "environment": "production"}]))
    _, result = run_import(tmp_path, "pagerduty-incidents", [str(odd)], INCIDENT_MAP)
    assert result.file_errors == [f"{odd}: a record is not shaped as pagerduty-incidents "
                                  "exports are; is this the right source?"]
    _, result = run_import(tmp_path, "github-deployments", [str(dep)])
    assert result.file_errors == [f"{dep}: a deployment has no usable id ([1])."]


def test_freshness_and_pipeline_name_from_the_map(tmp_path):
    map_text = PIPELINE_MAP + """
[pipeline_run]
pipeline = { from = ["dag"], map = { churn_features = "churn features" } }
freshness_met = { from = ["run_type"], map = { scheduled = true, manual = false } }
"""
    db, _ = run_import(tmp_path, "airflow-dag-runs", ["airflow_dag_runs_v2.json"], map_text)
    assert [(r["pipeline"], r["freshness_met"]) for r in stored(db, "pipeline_run")] == [
        ("churn features", False)]
