"""Jira issues → defect or incident.

Reads ``/rest/api/2/search`` and ``/rest/api/3/search`` (or ``/search/jql``) results
(``{"issues": [...]}``) and single ``/rest/api/{2,3}/issue/{key}`` results. Times carry
offsets without a colon (``2026-08-03T10:15:00.000+0100``). Whether an issue is a defect
or an incident is the map's ``[jira] kind`` (a fixed word or a rule, e.g. from
``issuetype``); without it a ``Bug`` is a defect, an ``Incident`` an incident and any
other type is skipped. The key is the issue ``key``. A defect is found at ``created``
with the priority as severity and ``[defect] stage`` from the map; an incident is
detected at ``created`` and mitigated at ``resolutiondate``. Labels like ``team:search``
serve ``label:team``; ``issuetype``, ``priority``, ``project`` and ``component`` name the
fields of the same names.
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
    labels_from_list,
    record_list,
)
from metrics.importers.incidents import incident_event, severity
from metrics.importers.mapfile import Key
from metrics.importers.rules import Mapper, resolve

NAME = "jira-issues"
WRITES = ("defect", "incident")
READS = "REST /rest/api/{2,3}/search or /issue results"
EXAMPLE = ("curl -s -u \"$JIRA_USER:$JIRA_TOKEN\" \"$JIRA/rest/api/2/search?jql="
           "project%3DML%20AND%20issuetype%3DBug&maxResults=100\" > issues.json")
KIND = Key("jira.kind", "rule", "defect or incident, fixed or e.g. "
           "{ from = [\"issuetype\"], map = { Bug = \"defect\" } }")
MAP_KEYS = (KIND, keys.TEAM, keys.TIER, keys.MODEL, keys.STAGE, keys.DEFECT_SEVERITY,
            keys.CAUSE, keys.ONSET_AT, keys.SEVERITY, keys.TIMEZONE)
DEFAULT_KINDS = {"bug": "defect", "incident": "incident"}


def records(doc: Doc) -> Iterator[Rec]:
    data = doc.data
    issues = record_list(data, "issues", single="fields")
    if issues is None:
        raise ShapeError("this is not a Jira search or issue result")
    for issue in each_record(issues, "an issue", "key", "fields"):
        if not isinstance(issue["fields"], dict):
            raise ShapeError("an issue has no key or fields")
        f = issue["fields"]
        yield Rec(issue, doc.file, doc.line, labels=labels_from_list(f.get("labels")), fields={
            "issuetype": _name(f.get("issuetype")), "priority": _name(f.get("priority")),
            "project": (f.get("project") or {}).get("key"), "title": f.get("summary"),
            "component": _name((f.get("components") or [None])[0]),
            "status": _name(f.get("status"))})


def _name(obj: object) -> object:
    return obj.get("name") if isinstance(obj, dict) else None


def events(recs: Iterable[Rec], mapper: Mapper) -> Iterator[Row | Skip]:
    rule = mapper.map.get("jira.kind")
    for rec in recs:
        kind = resolve(rule, rec, {}) if rule is not None else DEFAULT_KINDS.get(
            str(rec.fields["issuetype"]).lower())
        if kind not in ("defect", "incident"):
            yield Skip(f"issue type {rec.fields['issuetype']} is not a defect or incident")
        elif kind == "defect":
            yield _defect(rec, mapper)
        else:
            yield _incident(rec, mapper)


def _defect(rec: Rec, mapper: Mapper) -> Row:
    f = rec.data["fields"]
    ev = mapper.event("defect", rec, rec.data["key"])
    ev.set("defect_id", rec.data["key"])
    ev.rule("team")
    ev.rule("model")
    ev.time("found_at", f.get("created"))
    ev.rule("stage", "defect.stage")
    severity(ev, rec.fields["priority"])
    return ev.row()


def _incident(rec: Rec, mapper: Mapper) -> Row:
    f = rec.data["fields"]
    ev = incident_event(rec, mapper, rec.data["key"], f.get("created"), f.get("resolutiondate"))
    severity(ev, rec.fields["priority"])
    return ev.row()
