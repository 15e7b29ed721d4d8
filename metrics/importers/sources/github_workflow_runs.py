"""GitHub Actions workflow runs → pipeline_run.

Reads ``GET /repos/{owner}/{repo}/actions/runs`` pages (``{"total_count",
"workflow_runs": [...]}``, or ``gh api --paginate`` JSON Lines of them) or ``workflow_run``
webhook payloads. A re-run keeps the run's ``id`` and raises ``run_attempt``, so the key
is ``{id}#{run_attempt}``: every attempt is a run of its own. ``scheduled_at`` is the
attempt's ``run_started_at`` (else ``created_at``); the ``conclusion`` gives the status
(``success``; ``failure``, ``timed_out``, ``startup_failure`` → failed); cancelled,
skipped, neutral and unfinished runs are skipped. The pipeline defaults to
``{repository}/{workflow name}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from metrics.importers import keys
from metrics.importers.base import Doc, Rec, Row, ShapeError, Skip, each_record, record_list
from metrics.importers.rules import Mapper
from metrics.importers.runs import pipeline_row, run_status

NAME = "github-workflow-runs"
WRITES = ("pipeline_run",)
READS = "REST actions/runs pages, or workflow_run webhook payloads"
EXAMPLE = "gh api --paginate 'repos/OWNER/REPO/actions/runs?per_page=100' > runs.jsonl"
MAP_KEYS = keys.PIPELINE_KEYS


def records(doc: Doc) -> Iterator[Rec]:
    data = doc.data
    if isinstance(data, dict) and isinstance(data.get("workflow_run"), dict):
        runs = [data["workflow_run"]]
    elif isinstance(data, dict) and "run_attempt" in data:
        runs = [data]
    else:
        runs = record_list(data, "workflow_runs")
    if runs is None:
        raise ShapeError("this is not a GitHub actions/runs page or workflow_run payload")
    for run in each_record(runs, "a workflow run", "id"):
        repo = (run.get("repository") or {}).get("full_name")
        yield Rec(run, doc.file, doc.line,
                  fields={"repo": repo, "workflow": run.get("name"), "branch":
                          run.get("head_branch"), "event": run.get("event")})


def events(recs: Iterable[Rec], mapper: Mapper) -> Iterator[Row | Skip]:
    for rec in recs:
        run = rec.data
        if run.get("status") != "completed":
            yield Skip("not finished yet")
            continue
        status = run_status(mapper, run.get("conclusion"))
        if isinstance(status, Skip):
            yield status
            continue
        run_id = f"{run['id']}#{run.get('run_attempt') or 1}"
        name = "/".join(str(p) for p in (rec.fields["repo"], run.get("name")) if p)
        yield pipeline_row(rec, mapper, run_id, name or None,
                           run.get("run_started_at") or run.get("created_at"), status)
