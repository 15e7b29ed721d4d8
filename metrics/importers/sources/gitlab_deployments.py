"""GitLab deployments → deployment.

Reads ``GET /projects/:id/deployments`` lists (JSON, or JSON Lines of pages) or deployment
webhook payloads (``"object_kind": "deployment"``, times like ``2021-04-28 21:50:00
+0200``). A deployment counts when its ``status`` is ``success`` in an environment
matching the map's ``[deployment] production`` patterns (default ``prod*``); its
``deployed_at`` is the webhook's ``status_changed_at``, else the REST ``finished_at``, the
job's ``deployable.finished_at`` or ``updated_at``. ``created``, ``running`` and
``blocked`` are skipped as not successful yet, ``failed`` and ``canceled`` as never
successful. The key is the deployment ``id`` (``deployment_id`` in webhooks).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from metrics.importers import keys
from metrics.importers.base import Doc, Rec, Row, ShapeError, Skip, each_record, ident, record_list
from metrics.importers.deploys import deployment_row, is_production, production_patterns
from metrics.importers.rules import Mapper
from metrics.importers.times import TimeProblem, parse_time

NAME = "gitlab-deployments"
WRITES = ("deployment",)
READS = "REST /projects/:id/deployments lists, or deployment webhook payloads"
EXAMPLE = ("curl -s -H \"PRIVATE-TOKEN: $TOKEN\" "
           "\"$GITLAB/api/v4/projects/ID/deployments?environment=production&per_page=100\" "
           "> deployments.json")
MAP_KEYS = keys.DEPLOYMENT_KEYS
NOT_YET = {"created", "running", "blocked", "waiting"}


def records(doc: Doc) -> Iterator[Rec]:
    data = doc.data
    if isinstance(data, dict) and data.get("object_kind") == "deployment":
        project = data.get("project") or {}
        yield Rec(data, doc.file, doc.line, fields={
            "id": ident(data.get("deployment_id"), "a deployment webhook"),
            "environment": data.get("environment"),
            "repo": project.get("path_with_namespace"), "project": project.get("name"),
            "at": data.get("status_changed_at")})
        return
    items = record_list(data)
    if items is None:
        raise ShapeError("this is not a GitLab deployments list or deployment webhook payload")
    for item in each_record(items, "a deployment", "id", "status"):
        env = item.get("environment") or {}
        job = item.get("deployable") or {}
        yield Rec(item, doc.file, doc.line, fields={
            "id": ident(item["id"], "a deployment"), "environment": env.get("name"),
            "at": item.get("finished_at") or job.get("finished_at") or item.get("updated_at")})


def events(recs: Iterable[Rec], mapper: Mapper) -> Iterator[Row | Skip]:
    patterns = production_patterns(mapper)
    latest: dict[object, Rec] = {}
    for rec in recs:  # a webhook per status change: a success wins over what came before
        old = latest.get(rec.fields["id"])
        if old is None or old.data.get("status") != "success":
            latest[rec.fields["id"]] = rec
    for rec in latest.values():
        status = rec.data.get("status")
        if not is_production(rec.fields["environment"], patterns):
            yield Skip("not a production environment")
        elif status != "success":
            yield Skip("not successful yet" if status in NOT_YET else "never successful")
        else:
            yield _row(rec, mapper)


def _row(rec: Rec, mapper: Mapper) -> Row:
    dep_id = str(rec.fields["id"])
    try:
        at = parse_time(rec.fields["at"], mapper.map.timezone)
    except TimeProblem as exc:
        row = deployment_row(rec, mapper, dep_id, None)  # type: ignore[arg-type]
        row.problems["deployed_at"] = f"deployed_at: {exc}"
        return row
    return deployment_row(rec, mapper, dep_id, at)
