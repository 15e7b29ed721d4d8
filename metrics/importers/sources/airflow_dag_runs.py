"""Airflow DAG runs → pipeline_run.

Reads ``GET /api/v1/dags/{dag_id}/dagRuns`` (Airflow 2) and ``GET /api/v2/dags/{dag_id}/
dagRuns`` (Airflow 3) lists (``{"dag_runs": [...], "total_entries"}``; ``~`` as the DAG
id lists every DAG's runs), or a single DAG run. Run ids are unique per DAG only, so the
key is ``{dag_id}/{dag_run_id}``. ``scheduled_at`` is when the run was due: ``run_after``
(v2), else ``data_interval_end``, else ``logical_date`` / ``execution_date``. ``success``
is success and ``failed`` failed; ``queued`` and ``running`` runs are skipped. The
pipeline defaults to the ``dag_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from metrics.importers import keys
from metrics.importers.base import Doc, Rec, Row, ShapeError, Skip, each_record, record_list
from metrics.importers.rules import Mapper
from metrics.importers.runs import state_rows

NAME = "airflow-dag-runs"
WRITES = ("pipeline_run",)
READS = "REST /api/v1 or /api/v2 dagRuns lists"
EXAMPLE = ("curl -s -u \"$AIRFLOW_USER:$AIRFLOW_PASSWORD\" "
           "\"$AIRFLOW/api/v1/dags/~/dagRuns?limit=100\" > dag_runs.json")
MAP_KEYS = keys.PIPELINE_KEYS
DUE = ("run_after", "data_interval_end", "logical_date", "execution_date")


def records(doc: Doc) -> Iterator[Rec]:
    data = doc.data
    runs = record_list(data, "dag_runs", single="dag_run_id")
    if runs is None:
        raise ShapeError("this is not an Airflow dagRuns list or DAG run")
    for run in each_record(runs, "a DAG run", "dag_id", "dag_run_id"):
        yield Rec(run, doc.file, doc.line, fields={"dag": run["dag_id"],
                                                  "run_type": run.get("run_type")})


def events(recs: Iterable[Rec], mapper: Mapper) -> Iterator[Row | Skip]:
    return state_rows(recs, mapper, lambda rec: (
        f"{rec.data['dag_id']}/{rec.data['dag_run_id']}", rec.data["dag_id"],
        next((rec.data[k] for k in DUE if rec.data.get(k)), None)))
