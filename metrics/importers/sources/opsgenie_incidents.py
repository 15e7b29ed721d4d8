"""Opsgenie incidents → incident.

Reads ``GET /v1/incidents`` list responses (``{"data": [...], "paging"}``, or JSON Lines
of pages) and single ``GET /v1/incidents/{id}`` responses (``{"data": {...}}``). The key
is the incident ``id``; ``detected_at`` is ``createdAt``; ``onset_at`` is
``impactStartDate`` (else the map's ``[incident] onset_at``); ``mitigated_at`` is
``impactEndDate`` (an open incident has none). Severity is the ``priority`` (P1 … P5).
Tags like ``team:search`` serve ``label:team`` and ``tag:team``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from metrics.importers import keys
from metrics.importers.base import Doc, Rec, Row, ShapeError, Skip, each_record, labels_from_list
from metrics.importers.incidents import incident_event, severity
from metrics.importers.rules import Mapper

NAME = "opsgenie-incidents"
WRITES = ("incident",)
READS = "REST /v1/incidents list and get responses"
EXAMPLE = ("curl -s -H \"Authorization: GenieKey $OPSGENIE_KEY\" "
           "\"https://api.opsgenie.com/v1/incidents?query=createdAt>1719792000000"
           "&limit=100\" > incidents.json")
MAP_KEYS = keys.INCIDENT_KEYS


def records(doc: Doc) -> Iterator[Rec]:
    data = doc.data
    body = data.get("data") if isinstance(data, dict) else None
    items = [body] if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise ShapeError("this is not an Opsgenie /v1/incidents response")
    for item in each_record(items, "an incident", "id", "createdAt"):
        tags = labels_from_list(item.get("tags"))
        yield Rec(item, doc.file, doc.line, labels=tags, tags=tags,
                  fields={"service": (item.get("impactedServices") or [None])[0],
                          "owner_team": item.get("ownerTeam"), "title": item.get("message")})


def events(recs: Iterable[Rec], mapper: Mapper) -> Iterator[Row | Skip]:
    for rec in recs:
        item = rec.data
        ev = incident_event(rec, mapper, str(item["id"]), item["createdAt"],
                            item.get("impactEndDate"), item.get("impactStartDate"))
        severity(ev, item.get("priority"))
        yield ev.row()
