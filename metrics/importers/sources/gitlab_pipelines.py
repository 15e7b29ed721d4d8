"""GitLab pipelines → pipeline_run.

Reads ``GET /projects/:id/pipelines`` lists (JSON, or JSON Lines of pages) or pipeline
webhook payloads (``"object_kind": "pipeline"``, times like ``2016-08-12 15:23:28 UTC``).
The key is the pipeline ``id``; ``scheduled_at`` its ``created_at``. ``success`` is
success and ``failed`` failed; ``canceled``, ``skipped``, ``manual`` and unfinished
pipelines are skipped. The pipeline defaults to the project's path (webhooks) or
``project {project_id}`` (REST lists, which carry only the project's id).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from metrics.importers import keys
from metrics.importers.base import (
    Doc,
    Rec,
    Row,
    ShapeError,
    Skip,
    each_record,
    ident,
    labels_from_list,
    record_list,
)
from metrics.importers.rules import Mapper
from metrics.importers.runs import pipeline_row, run_status

NAME = "gitlab-pipelines"
WRITES = ("pipeline_run",)
READS = "REST /projects/:id/pipelines lists, or pipeline webhook payloads"
EXAMPLE = ("curl -s -H \"PRIVATE-TOKEN: $TOKEN\" "
           "\"$GITLAB/api/v4/projects/ID/pipelines?per_page=100\" > pipelines.json")
MAP_KEYS = keys.PIPELINE_KEYS


def records(doc: Doc) -> Iterator[Rec]:
    data = doc.data
    if isinstance(data, dict) and data.get("object_kind") == "pipeline":
        attrs = data.get("object_attributes")
        if not isinstance(attrs, dict) or "id" not in attrs:
            raise ShapeError("a pipeline webhook payload has no object_attributes.id")
        ident(attrs["id"], "a pipeline")
        project = data.get("project") or {}
        yield Rec(attrs, doc.file, doc.line, labels=labels_from_list(data.get("labels")),
                  fields={"repo": project.get("path_with_namespace"),
                          "project": project.get("name"), "source": attrs.get("source")})
        return
    items = record_list(data)
    if items is None:
        raise ShapeError("this is not a GitLab pipelines list or pipeline webhook payload")
    for item in each_record(items, "a pipeline", "id", "status"):
        ident(item["id"], "a pipeline")
        yield Rec(item, doc.file, doc.line,
                  fields={"repo": None, "project_id": item.get("project_id"),
                          "source": item.get("source")})


def events(recs: Iterable[Rec], mapper: Mapper) -> Iterator[Row | Skip]:
    latest: dict[object, Rec] = {}
    for rec in recs:  # webhooks repeat a pipeline at each status; keep its last word
        latest[rec.data["id"]] = rec
    for rec in latest.values():
        status = run_status(mapper, rec.data.get("status"))
        if isinstance(status, Skip):
            yield status
            continue
        project = rec.fields.get("repo") or (
            f"project {rec.fields['project_id']}" if rec.fields.get("project_id") else None)
        yield pipeline_row(rec, mapper, str(rec.data["id"]), project,
                           rec.data.get("created_at"), status)
