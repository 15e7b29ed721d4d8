"""GitHub deployments and their statuses → deployment.

Reads ``GET /repos/{owner}/{repo}/deployments`` pages and the
``/deployments/{id}/statuses`` lists (a file per call, or ``gh api --paginate`` JSON
Lines), or ``deployment_status`` (and ``deployment``) webhook payloads. A deployment
counts at its first ``success`` status in a production environment: the status's own
``environment`` (else the deployment's) matching the map's ``[deployment] production``
patterns (default ``prod*``; ``production_environment`` is not trusted); ``deployed_at`` is
that status's ``created_at``. A deployment with no such status is skipped (never
successful, not successful yet, or not a production environment). The key is the
deployment's ``id``. team, model, tier, spec_approved_at and automated come from the map;
``payload:PATH`` reads the deployment's ``payload``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import lru_cache

import simdjson

from metrics.importers import keys
from metrics.importers.base import Doc, Rec, Row, ShapeError, Skip, ident
from metrics.importers.deploys import deployment_row, is_production, production_patterns
from metrics.importers.reading import json_documents
from metrics.importers.rules import Mapper
from metrics.importers.times import TimeProblem, parse_time

NAME = "github-deployments"
WRITES = ("deployment",)
READS = "REST deployments pages plus their statuses, or deployment_status webhook payloads"
EXAMPLE = ("gh api --paginate repos/OWNER/REPO/deployments > deployments.jsonl; "
           "for id in $(jq -r '.[].id' deployments.jsonl); do gh api --paginate "
           "repos/OWNER/REPO/deployments/$id/statuses; done > statuses.jsonl")
MAP_KEYS = keys.DEPLOYMENT_KEYS
FAILED_STATES = {"failure", "error", "inactive"}


def records(doc: Doc) -> Iterator[Rec]:
    data = doc.data
    if type(data) is _Lean:  # a statuses list read lean: checked while it was read
        yield Rec({"statuses": data}, doc.file, doc.line, None,
                  {"type": "statuses", "id": _tail_id(data.url)}, count=len(data))
        return
    items = data if isinstance(data, list) else [data]
    if items and isinstance(items[0], dict) and "deployment_url" in items[0]:
        yield from _statuses(items, doc)
        return
    for item in items:
        if not isinstance(item, dict):
            raise ShapeError(_NOT_OURS)
        if "deployment_status" in item or ("deployment" in item and "repository" in item):
            yield from _webhook(item, doc)
        elif "deployment_url" in item and "state" in item:
            yield _status(item, doc, _tail_id(item["deployment_url"]))
        elif "statuses_url" in item or ("sha" in item and "environment" in item):
            yield _deployment(item, doc, None)
        else:
            raise ShapeError(_NOT_OURS)


def read(name: str, data: bytes) -> list[Doc]:
    """Pages, payloads and statuses lists; of a status only what ``_event`` reads."""
    return json_documents(name, data, lean=_lean_statuses)


class _Lean(list):
    """A statuses list of one deployment, read lean: its ``Status`` tuples and its URL."""

    __slots__ = ("url",)

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url


def _lean_statuses(doc: object) -> _Lean | None:
    """A statuses list of one deployment (as the API gives them) as ``Status`` tuples;
    None for anything else (a page of deployments, a payload, a list mixing deployments),
    or where a value ``_event`` reads is not a plain one (it is then read whole)."""
    if type(doc) is not simdjson.Array or not len(doc):
        return None
    out = None
    for item in doc:
        if type(item) is not simdjson.Object:
            return None
        get = item.get
        url, state, env, at = (get("deployment_url"), get("state"), get("environment"),
                               get("created_at"))
        if out is None:
            if type(url) is not str:
                return None
            out = _Lean(url)
        if url != out.url or not (type(state) in _PLAIN and type(env) in _PLAIN
                                  and type(at) in _PLAIN):
            return None
        out.append((state, env, at))
    return out


_PLAIN = {str, int, float, bool, type(None)}
Status = tuple[object, object, object]  # a deployment status's state, environment, created_at


def _statuses(items: list, doc: Doc) -> Iterator[Rec]:
    """A ``/deployments/{id}/statuses`` list: one record standing for its statuses when
    all are of one deployment (as the API gives them), else one record per status."""
    for item in items:
        if not isinstance(item, dict) or "deployment_url" not in item or "state" not in item:
            raise ShapeError(_NOT_OURS)
    url = items[0]["deployment_url"]
    if all(item["deployment_url"] == url for item in items):
        yield Rec({"statuses": [_as_status(item) for item in items]}, doc.file, doc.line,
                  None, {"type": "statuses", "id": _tail_id(url)}, count=len(items))
        return
    for item in items:
        yield Rec(item, doc.file, doc.line, None, {"type": "status",
                                                   "id": _tail_id(item["deployment_url"])})


def _as_status(item: dict) -> Status:
    return item.get("state"), item.get("environment"), item.get("created_at")


_NOT_OURS = ("this is not a GitHub deployments page, statuses list or deployment_status "
             "webhook payload")


def _webhook(payload: dict, doc: Doc) -> Iterator[Rec]:
    deployment = payload.get("deployment")
    if not isinstance(deployment, dict) or "id" not in deployment:
        raise ShapeError("a webhook payload has no deployment object")
    full_name = (payload.get("repository") or {}).get("full_name")
    yield _deployment(deployment, doc, full_name)
    if isinstance(payload.get("deployment_status"), dict):
        yield _status(payload["deployment_status"], doc, ident(deployment["id"], "a deployment"))


def _deployment(item: dict, doc: Doc, full_name: str | None) -> Rec:
    if "id" not in item:
        raise ShapeError("a deployment has no id")
    payload = item.get("payload")
    if isinstance(payload, str) and payload.strip().startswith("{"):
        try:
            payload = json.loads(payload)
        except ValueError:
            payload = None
    return Rec(item, doc.file, doc.line, payload=payload if isinstance(payload, dict) else None,
               fields={"type": "deployment", "id": ident(item["id"], "a deployment"),
                       "repo": full_name or _repo(item.get("repository_url") or item.get("url")),
                       "environment": item.get("environment")})


def _status(item: dict, doc: Doc, deployment_id: object) -> Rec:
    return Rec(item, doc.file, doc.line, fields={"type": "status", "id": deployment_id})


def _tail_id(url: object) -> object:
    """``…/deployments/42`` → 42 (a URL of another shape is kept as its text)."""
    if not isinstance(url, str):
        raise ShapeError("a deployment status has no deployment_url")
    return int(url.rsplit("/", 1)[-1]) if url[-1:].isdigit() else url


def _repo(url: object) -> str | None:
    """``https://api.github.com/repos/acme/ranker/deployments/1`` → ``acme/ranker``."""
    return _repo_of(url) if isinstance(url, str) else None


@lru_cache(maxsize=4096)  # a few repositories, a URL per deployment
def _repo_of(url: str) -> str | None:
    if "/repos/" not in url:
        return None
    parts = url.split("/repos/", 1)[1].split("/")
    return "/".join(parts[:2]) if len(parts) >= 2 else None


def events(recs: Iterable[Rec], mapper: Mapper) -> Iterator[Row | Skip]:
    deployments: dict[object, Rec] = {}
    statuses: dict[object, list[Status]] = {}
    for rec in recs:
        kind, dep_id = rec.fields["type"], rec.fields["id"]
        if kind == "deployment":
            deployments[dep_id] = rec
            continue
        more = rec.data["statuses"] if kind == "statuses" else [_as_status(rec.data)]
        known = statuses.get(dep_id)
        statuses[dep_id] = more if known is None else known + more
    patterns = production_patterns(mapper)
    for dep_id, rec in deployments.items():
        yield _event(rec, statuses.get(dep_id, ()), patterns, mapper)
    for _ in statuses.keys() - deployments.keys():
        yield Skip("statuses without their deployment")


def _event(rec: Rec, statuses: Iterable[Status], patterns: tuple[str, ...],
           mapper: Mapper) -> Row | Skip:
    env = rec.data.get("environment")
    first = None
    for state, status_env, created_at in statuses:
        if state == "success" and is_production(status_env or env, patterns):
            at = _time(created_at)
            if at is not None and (first is None or at < first):
                first = at
    if first is not None:
        return deployment_row(rec, mapper, str(rec.fields["id"]), first)
    if not is_production(env, patterns) and not any(
            is_production(status_env, patterns) for _, status_env, _ in statuses):
        return Skip("not a production environment")
    timed = [(at, state) for state, _, created_at in statuses
             if (at := _time(created_at)) is not None]
    ended = bool(timed) and max(timed, key=lambda t: t[0])[1] in FAILED_STATES
    return Skip("never successful" if ended else "not successful yet")


def _time(created_at: object) -> datetime | None:
    try:
        return parse_time(created_at)
    except TimeProblem:
        return None
