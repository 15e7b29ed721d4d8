"""`mlkpi import mlflow`: registry and run search responses → model_inventory,
training_run, model_performance; from saved pages, and from a real MLflow server.

By hand from the fixtures (snapshot 2026-03-06, the map in ``map.toml``):

    ranker   alias "champion"            → in production; tags cicd, drift_monitoring true
    churn    stage "Production" (no alias) → in production
    fraud-v0 alias "challenger"          → not in production; tag monitoring "yes"
    orphan   no tags                     → quarantined: team (and tier) name [team]/[tier]

    run …0001 FINISHED 1772409600000 ms (2026-03-02 00:00Z), tag cost_usd "12.50",
              made ranker v3 → ranker; auc 0.83 at 2026-03-02 01:00Z, baseline 0.80 (map)
    run …b4c5 FAILED, no cost anywhere   → quarantined naming [training_run] cost_usd
    run …f9a0 RUNNING                    → skipped
    run …d5e6 KILLED, tag " cost_usd " 3 (stray spaces), tag model churn → cancelled
    old server: run_uuid only, times as strings, made churn v2; rmse 11.2, baseline from
              its tag baseline_rmse 12.0, lower is better
"""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
from live_servers import mlflow_server

from metrics.cli.main import main

FIX = Path(__file__).parent / "fixtures" / "import" / "mlflow"
FILES = [str(FIX / n) for n in ("registered-models.json", "model-versions.json", "runs.json",
                                "runs-old-server.json")]
SNAPSHOT = date(2026, 3, 6)


def table(db: Path, name: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        cols = [c for c, *_ in con.execute(f"DESCRIBE {name}").fetchall()][:-1]  # not ingest_id
        return con.execute(f"SELECT {', '.join(cols)} FROM {name} ORDER BY ALL").fetchall()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_registry_runs_and_metrics_from_saved_pages(tmp_path: Path, capsys) -> None:
    db = tmp_path / "s.duckdb"
    code = main(["--db", str(db), "import", "mlflow", *FILES, "--map", str(FIX / "map.toml"),
                 "--snapshot-date", "2026-03-06", "--format", "json"])
    assert code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["skipped"] == {"run running": 1}
    assert table(db, "model_inventory") == [
        (SNAPSHOT, "churn", "ads", 2, True, False, False, False, False, False),
        (SNAPSHOT, "fraud-v0", "risk", 1, False, False, False, True, False, False),
        (SNAPSHOT, "ranker", "search", 1, True, True, False, False, True, False)]
    assert table(db, "training_run") == [
        ("9f1c2d3e4f5a40b1a2b3c4d5e6f70001", "search", "ranker", utc(2026, 3, 2),
         "succeeded", 12.5),
        ("b7e5a1c0d9f84e2a8c6b4d2e0f1a3c5e", "ads", "churn", utc(2026, 3, 4), "succeeded",
         40.0),
        ("c1d2e3f4a5b647c8d9e0f1a2b3c4d5e6", "ads", "churn", utc(2026, 3, 2, 12),
         "cancelled", 3.0)]
    assert table(db, "model_performance") == [
        ("churn", "ads", "rmse", utc(2026, 3, 4, 1), 11.2, 12.0, False),
        ("ranker", "search", "auc", utc(2026, 3, 2, 1), 0.83, 0.8, True)]
    errors = {(e["column"], e["reason"]) for k in out["kinds"].values() for e in k["errors"]}
    assert errors == {("team", "team: no value; set [team] in the map"),
                      ("tier", "tier: no value; set [tier] in the map"),
                      ("cost_usd", "cost_usd: no value; set [training_run] cost_usd in the map")}


def test_cost_rule_and_missing_direction_name_their_keys(tmp_path: Path, capsys) -> None:
    map_ = tmp_path / "map.toml"
    map_.write_text('team = "search"\nmodel = "ranker"\n[training_run]\ncost_usd = { from = '
                    '["tag:cost_usd"], default = 0 }\n[model_performance]\nmetrics = '
                    '{ auc = { baseline = 0.8 } }\n')
    code = main(["--db", str(tmp_path / "s.duckdb"), "import", "mlflow", FILES[2], "--map",
                 str(map_), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out["kinds"]["training_run"]["inserted"] == 3  # the failed run costs 0 (default)
    [error] = out["kinds"]["model_performance"]["errors"]
    assert error["reason"] == ("higher_is_better: no value; set [model_performance] metrics = "
                               "{ auc = { higher_is_better = … } } in the map")


def test_not_mlflow_is_one_sentence(tmp_path: Path, capsys) -> None:
    other = tmp_path / "x.json"
    other.write_text('{"items": []}')
    assert main(["--db", str(tmp_path / "s.duckdb"), "import", "mlflow", str(other)]) == 2
    err = capsys.readouterr().err
    assert "not an MLflow search response" in err and "Traceback" not in err


# --- a real MLflow tracking server ------------------------------------------------------

def call(url: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(f"{url}/api/2.0/mlflow/{path}", json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def mlflow(tmp_path_factory) -> str:
    """A server holding two registered models and three runs, made over its REST API."""
    with mlflow_server(tmp_path_factory.mktemp("mlflow")) as url:
        exp = call(url, "experiments/create", {"name": "ranker"})["experiment_id"]
        runs = []
        for start, status, tags, auc in (
                (1772409600000, "FINISHED", {"team": "search", "cost_usd": "12.5"}, 0.83),
                (1772496000000, "FAILED", {"team": "search", "cost_usd": "4",
                                           "model": "ranker"}, None),
                (1772582400000, "FINISHED", {"team": "ads", "cost_usd": "7.25"}, 0.71)):
            run = call(url, "runs/create", {"experiment_id": exp, "start_time": start,
                                            "tags": [{"key": k, "value": v}
                                                     for k, v in tags.items()]})
            run_id = run["run"]["info"]["run_id"]
            if auc is not None:
                call(url, "runs/log-metric", {"run_id": run_id, "key": "auc", "value": auc,
                                              "timestamp": start + 3_600_000, "step": 0})
            call(url, "runs/update", {"run_id": run_id, "status": status,
                                      "end_time": start + 3_600_000})
            runs.append(run_id)
        for name, team, run_id in (("ranker", "search", runs[0]), ("ctr", "ads", runs[2])):
            call(url, "registered-models/create",
                 {"name": name, "tags": [{"key": "team", "value": team}]})
            call(url, "model-versions/create", {"name": name, "source": f"runs:/{run_id}/m",
                                                "run_id": run_id})
        call(url, "registered-models/alias", {"name": "ranker", "alias": "champion",
                                              "version": "1"})
        call(url, "registered-models/alias", {"name": "ctr", "alias": "challenger",
                                              "version": "1"})
        yield url


def test_live_tracking_server(mlflow: str, tmp_path: Path, capsys) -> None:
    map_ = tmp_path / "map.toml"
    map_.write_text('[team]\nfrom = ["tag:team"]\n[model]\nfrom = ["tag:model"]\n'
                    '[tier]\nfrom = ["team"]\nmap = { search = 1, ads = 2 }\n'
                    '[model_inventory]\nautomated_cicd = false\nfull_lineage = '
                    'true\nperformance_monitoring = false\ndrift_monitoring = false\n'
                    'data_quality_monitoring = false\n[model_performance]\nmetrics = { auc = '
                    '{ higher_is_better = true, baseline = 0.75 } }\n')
    db = tmp_path / "s.duckdb"
    code = main(["--db", str(db), "import", "mlflow", "--tracking-uri", mlflow, "--map",
                 str(map_), "--snapshot-date", "2026-03-06"])
    assert code == 0, capsys.readouterr()
    assert table(db, "model_inventory") == [
        (SNAPSHOT, "ctr", "ads", 2, False, False, True, False, False, False),
        (SNAPSHOT, "ranker", "search", 1, True, False, True, False, False, False)]
    # the failed run made no version: its model is the map's [model] (its tag)
    assert sorted(r[1:] for r in table(db, "training_run")) == [
        ("ads", "ctr", utc(2026, 3, 4), "succeeded", 7.25),
        ("search", "ranker", utc(2026, 3, 2), "succeeded", 12.5),
        ("search", "ranker", utc(2026, 3, 3), "failed", 4.0)]
    assert table(db, "model_performance") == [
        ("ctr", "ads", "auc", utc(2026, 3, 4, 1), 0.71, 0.75, True),
        ("ranker", "search", "auc", utc(2026, 3, 2, 1), 0.83, 0.75, True)]
