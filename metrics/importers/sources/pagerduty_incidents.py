"""PagerDuty incidents → incident.

Reads REST v2 ``GET /incidents`` pages (``{"incidents": [...], "more"}``), a single
``{"incident": {...}}``, or analytics raw incidents (``POST /analytics/raw/incidents``:
``{"data": [...], "time_zone": "…"}``, whose naive times are read in that ``time_zone``).
The key is the incident ``id``; ``detected_at`` is ``created_at``. ``mitigated_at`` is
``resolved_at``; the older REST shape has none, so a ``resolved`` incident there is
mitigated at its ``last_status_change_at``. Acknowledgement is not mitigation: an
acknowledged incident is still open. Severity is the priority (``P1`` … ``P5``), else
the urgency (high → SEV2, low → SEV4) when the priority is null. onset_at, cause, team,
model and tier come from the map (``service`` names ``service.summary``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from metrics.importers import keys
from metrics.importers.base import Doc, Rec, Row, ShapeError, Skip, each_record
from metrics.importers.incidents import incident_event, severity
from metrics.importers.rules import Mapper

NAME = "pagerduty-incidents"
WRITES = ("incident",)
READS = "REST v2 /incidents pages (old and new shapes), or analytics raw incidents"
EXAMPLE = ("curl -s -H \"Authorization: Token token=$PD_TOKEN\" "
           "\"https://api.pagerduty.com/incidents?since=2026-07-01&until=2026-10-01"
           "&statuses[]=resolved&limit=100\" > incidents.json")
MAP_KEYS = keys.INCIDENT_KEYS


def records(doc: Doc) -> Iterator[Rec]:
    data = doc.data
    if not isinstance(data, dict):
        raise ShapeError(_NOT_OURS)
    if isinstance(data.get("incidents"), list):
        items, zone, analytics = data["incidents"], None, False
    elif isinstance(data.get("incident"), dict):
        items, zone, analytics = [data["incident"]], None, False
    elif isinstance(data.get("data"), list):
        items, zone, analytics = data["data"], data.get("time_zone"), True
    else:
        raise ShapeError(_NOT_OURS)
    for item in each_record(items, "an incident", "id", "created_at"):
        yield _rec(item, doc, zone, analytics)


_NOT_OURS = "this is not a PagerDuty incidents page or analytics raw incidents response"


def _rec(item: dict, doc: Doc, zone: object, analytics: bool) -> Rec:
    if analytics:
        fields = {"service": item.get("service_name"), "pd_team": item.get("team_name"),
                  "priority": item.get("priority_name"), "title": item.get("description")}
    else:
        teams = item.get("teams") or [{}]
        fields = {"service": (item.get("service") or {}).get("summary"),
                  "pd_team": teams[0].get("summary") if teams else None,
                  "priority": (item.get("priority") or {}).get("summary"),
                  "title": item.get("title") or item.get("summary")}
    fields["analytics"] = analytics
    return Rec(item, doc.file, doc.line, zone=zone if isinstance(zone, str) else None,
               fields=fields)


def events(recs: Iterable[Rec], mapper: Mapper) -> Iterator[Row | Skip]:
    for rec in recs:
        item = rec.data
        resolved = item.get("resolved_at")
        if resolved is None and item.get("status") == "resolved":
            resolved = item.get("last_status_change_at")  # the older shape
        ev = incident_event(rec, mapper, str(item["id"]), item["created_at"], resolved)
        severity(ev, rec.fields["priority"], urgency=item.get("urgency"))
        yield ev.row()
