"""Kubeflow Pipelines runs (API v2beta1) → pipeline_run.

Reads a ``Run`` object or a ``ListRuns`` response (``{"runs": [...], "next_page_token"}``).
The key is ``run_id``; ``scheduled_at`` is the run's ``scheduled_at`` (else its
``created_at``). ``SUCCEEDED`` is success and ``FAILED`` failed; ``CANCELED``,
``SKIPPED``, ``PAUSED`` and runs not finished yet (``PENDING``, ``RUNNING``,
``CANCELING``) are skipped. The pipeline is the map's ``[pipeline_run] pipeline``, else
the run's ``pipeline_version_reference.pipeline_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from metrics.importers import keys
from metrics.importers.base import Doc, Rec, Row, ShapeError, Skip, each_record, record_list
from metrics.importers.rules import Mapper
from metrics.importers.runs import state_rows

NAME = "kubeflow-runs"
WRITES = ("pipeline_run",)
READS = "KFP v2beta1 Run JSON and ListRuns responses"
EXAMPLE = "curl -s \"$KFP_HOST/apis/v2beta1/runs?page_size=100\" > runs.json"
MAP_KEYS = keys.PIPELINE_KEYS


def records(doc: Doc) -> Iterator[Rec]:
    data = doc.data
    runs = record_list(data, "runs", single="run_id")
    if runs is None and isinstance(data, dict) and set(data) <= {"total_size",
                                                                 "next_page_token"}:
        runs = []  # an empty page
    if runs is None:
        raise ShapeError("this is not a Kubeflow Pipelines v2beta1 Run or ListRuns response")
    for run in each_record(runs, "a run", "run_id", hint="; is this a KFP v2beta1 response?"):
        ref = run.get("pipeline_version_reference") or {}
        yield Rec(run, doc.file, doc.line,
                  fields={"pipeline_id": ref.get("pipeline_id"),
                          "experiment_id": run.get("experiment_id")})


def events(recs: Iterable[Rec], mapper: Mapper) -> Iterator[Row | Skip]:
    return state_rows(recs, mapper, lambda rec: (
        str(rec.data["run_id"]), rec.fields["pipeline_id"],
        rec.data.get("scheduled_at") or rec.data.get("created_at")))
