"""MLflow registry and runs (REST search responses, or a live --tracking-uri) →
model_inventory, training_run and model_performance.

Reads ``registered-models/search`` pages (one model_inventory snapshot per model, dated
--snapshot-date, default today in UTC), ``model-versions/search`` pages (which run made
which model) and ``runs/search`` pages. Times are epoch milliseconds (strings on old
servers). A model is in production when a version is in stage Production (deprecated) or
carries an alias matching [mlflow] production (default champion, prod*, production).

training_run: FINISHED → succeeded, FAILED → failed, KILLED → cancelled; RUNNING and
SCHEDULED runs are skipped. The model is the registered model a version of which the run
produced, else [model]. MLflow has no cost: cost_usd is [training_run] cost_usd, else
the run tag cost_usd, else a row error naming the key. model_performance: one row per run
and metric named in [model_performance] metrics, e.g. { auc = { higher_is_better = true,
baseline = 0.80 } } (baseline may be "tag:NAME"), at the metric's timestamp.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from metrics.cli.common import day
from metrics.importers import keys, vocab
from metrics.importers.base import Doc, Rec, Row, ShapeError, Skip
from metrics.importers.mapfile import Key
from metrics.importers.rules import Mapper, find

NAME = "mlflow"
WRITES = ("model_inventory", "training_run", "model_performance")
READS = "MLflow registered-model, model-version and run search responses, or a live server"
EXAMPLE = ("curl -s \"$MLFLOW/api/2.0/mlflow/registered-models/search?max_results=1000\" "
           "> models.json")
FILES = "*"

PRODUCTION = Key("mlflow.production", "patterns",
                 "aliases (or stages) that mean production (default champion, prod*, "
                 "production)")
CONTROLS = ("automated_cicd", "full_lineage", "performance_monitoring", "drift_monitoring",
            "data_quality_monitoring")
CONTROL_KEYS = tuple(Key(f"model_inventory.{c}", "rule",
                         f"whether the model has {c.replace('_', ' ')} (e.g. from "
                         f"tag:{c}; default = false)") for c in CONTROLS)
COST = Key("training_run.cost_usd", "rule", "a run's cost in USD (default: the run tag "
           "cost_usd)")
METRICS = Key("model_performance.metrics", "table", "the metrics to record: { auc = { "
              "higher_is_better = true, baseline = 0.80 } }")
MAP_KEYS = (keys.TEAM, keys.TIER, keys.MODEL, PRODUCTION, *CONTROL_KEYS, COST, METRICS)
DEFAULT_PRODUCTION = ("champion", "prod*", "production")


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tracking-uri", metavar="URI", help="a live MLflow tracking "
                        "server (e.g. http://localhost:5000): read its registry and runs "
                        "over the REST API instead of files")
    parser.add_argument("--snapshot-date", metavar="DATE", type=day,
                        help="the model_inventory snapshot's date, YYYY-MM-DD (default: "
                             "today in UTC)")


def records(doc: Doc) -> Iterator[Rec]:
    data = doc.data
    if not isinstance(data, dict):
        raise ShapeError("this is not an MLflow search response")
    found = False
    for name, what in (("registered_models", "model"), ("model_versions", "version"),
                       ("runs", "run")):
        for item in data.get(name) or []:
            found = True
            yield _record(item, what, doc)
    if not found and not set(data) <= {"next_page_token"}:
        raise ShapeError("this is not an MLflow search response (no registered_models, "
                         "model_versions or runs)")


def _record(item: dict, what: str, doc: Doc) -> Rec:
    if what == "run":
        info, data = item.get("info") or {}, item.get("data") or {}
        tags = _pairs(data.get("tags"))
        metrics = {m.get("key"): m for m in data.get("metrics") or [] if isinstance(m, dict)}
        fields = {"_what": what, "run_id": info.get("run_id") or info.get("run_uuid"),
                  "run_name": info.get("run_name") or tags.get("mlflow.runName"),
                  "experiment_id": info.get("experiment_id"), "_metrics": metrics}
        fields.update({f"metric:{k}": m.get("value") for k, m in metrics.items()})
        fields.update({f"param:{k}": v for k, v in _pairs(data.get("params")).items()})
        return Rec(item, doc.file, doc.line, tags=tags, fields=fields)
    fields = {"_what": what, "name": item.get("name"), "run_id": item.get("run_id")}
    return Rec(item, doc.file, doc.line, tags=_pairs(item.get("tags")), fields=fields)


def _pairs(items: object) -> dict:
    """MLflow's ``[{"key": "team", "value": "search"}]`` → ``{"team": "search"}``."""
    if isinstance(items, dict):
        return items
    return {p.get("key"): p.get("value") for p in items or [] if isinstance(p, dict)}


def events(recs: Iterable[Rec], mapper: Mapper) -> Iterator[Row | Skip]:
    recs = list(recs)
    versions = [r for r in recs if r.fields["_what"] == "version"]
    model_of_run = {r.fields["run_id"]: r.fields["name"] for r in versions
                    if r.fields.get("run_id")}
    production = _production_models(recs, versions, mapper)
    day = _snapshot_day(mapper)
    for rec in recs:
        what = rec.fields["_what"]
        if what == "model":
            yield inventory(rec, mapper, day, rec.fields["name"] in production)
        elif what == "run":
            yield from run_rows(rec, mapper, model_of_run)


def _snapshot_day(mapper: Mapper) -> str:
    given = mapper.options.get("snapshot_date")
    return (given or datetime.now(UTC).date()).isoformat()


def _production_models(recs: list[Rec], versions: list[Rec], mapper: Mapper) -> set[str]:
    patterns = mapper.map.get("mlflow.production", DEFAULT_PRODUCTION)
    patterns = [patterns] if isinstance(patterns, str) else list(patterns)

    def matches(word: object) -> bool:
        return isinstance(word, str) and any(fnmatch.fnmatch(word.strip().lower(),
                                                             p.lower()) for p in patterns)

    out = set()
    for rec in recs:
        if rec.fields["_what"] != "model":
            continue
        aliases = [a.get("alias") if isinstance(a, dict) else a
                   for a in rec.data.get("aliases") or []]
        stages = [v.get("current_stage") for v in rec.data.get("latest_versions") or []]
        if any(matches(w) for w in aliases + stages):
            out.add(rec.fields["name"])
    for rec in versions:
        words = list(rec.data.get("aliases") or []) + [rec.data.get("current_stage")]
        if any(matches(w) for w in words):
            out.add(rec.fields["name"])
    return out


def inventory(rec: Rec, mapper: Mapper, day: str, in_production: bool) -> Row:
    name = str(rec.fields["name"])
    ev = mapper.event("model_inventory", rec, name)
    ev.set("snapshot_date", day)
    ev.set("model", name)
    ev.rule("team")
    ev.rule("tier")
    ev.set("in_production", in_production)
    for control in CONTROLS:
        ev.rule(control, f"model_inventory.{control}")
    return ev.row()


def run_rows(rec: Rec, mapper: Mapper, model_of_run: dict) -> Iterator[Row | Skip]:
    info = rec.data.get("info") or {}
    status = vocab.look_up(vocab.TRAINING_STATUS, info.get("status"))
    if status is None:
        yield Skip(f"run {str(info.get('status') or 'without status').lower()}")
        return
    run_id = str(rec.fields["run_id"])
    ev = mapper.event("training_run", rec, run_id)
    ev.set("run_id", run_id)
    ev.rule("team")
    model = model_of_run.get(run_id)
    if model is None:  # no registered version came from this run
        model = ev.rule("model")
    else:
        ev.set("model", model)
    ev.time("started_at", info.get("start_time"), epoch="ms")
    ev.set("status", status)
    ev.rule("cost_usd", "training_run.cost_usd", fallback=find("tag:cost_usd", rec, {}))
    yield ev.row()
    for metric, spec in (mapper.map.get("model_performance.metrics") or {}).items():
        logged = rec.fields["_metrics"].get(metric)
        if logged is not None:
            yield performance(rec, mapper, metric, spec, logged, model, ev.values.get("team"))


def performance(rec: Rec, mapper: Mapper, metric: str, spec: object, logged: dict,
                model: object, team: object) -> Row:
    run_id = str(rec.fields["run_id"])
    ev = mapper.event("model_performance", rec, f"{run_id} {metric}")
    spec = spec if isinstance(spec, dict) else {}
    ev.set("model", model)
    ev.set("team", team)
    ev.set("metric", metric)
    ev.time("measured_at", logged.get("timestamp"), epoch="ms")
    ev.set("value", logged.get("value"))
    baseline = spec.get("baseline")
    if isinstance(baseline, str):
        baseline = find(baseline, rec, {})
    direction = spec.get("higher_is_better")
    for column, value in (("baseline", baseline), ("higher_is_better", direction)):
        ev.set(column, value)
        if value is None:
            ev.problems[column] = (f"{column}: no value; set [model_performance] metrics = "
                                   f"{{ {metric} = {{ {column} = … }} }} in the map")
    for column in ("model", "team"):
        if ev.values[column] is None:
            ev.problems[column] = f"{column}: no value; set [{column}] in the map"
    return ev.row()


def run(args: argparse.Namespace, db) -> int:
    """Files go the common way; ``--tracking-uri`` asks the server for the same pages."""
    from metrics.cli.commands.import_ import run_files

    if not args.tracking_uri:
        if not args.files:
            print("mlkpi: give MLflow search responses to read, or --tracking-uri.",
                  file=sys.stderr)
            return 2
        return run_files(args, db)
    from metrics.importers.mlflow_live import run_live

    return run_live(args, db)
