"""What incident and defect sources share: severity words, and the incident columns."""

from __future__ import annotations

from metrics.importers import vocab
from metrics.importers.base import Rec
from metrics.importers.rules import Event, Mapper

SEVERITY_KEYS = {"incident": "incident.severity", "defect": "defect.severity"}


def severity(ev: Event, *words: object, urgency: object = None) -> None:
    """The first of ``words`` the severity table knows (P1…P5, Highest…Lowest, SEV1…SEV4,
    plus the map's ``[incident] severity``), else PagerDuty ``urgency``; else a problem."""
    mapper = ev.mapper
    key = SEVERITY_KEYS[ev.kind]
    table = vocab.merged(vocab.SEVERITY, mapper.map.get(key))
    for word in words:
        found = vocab.look_up(table, word)
        if found:
            ev.set("severity", found)
            return
    if urgency is not None:
        found = vocab.look_up(vocab.merged(vocab.URGENCY, mapper.map.get(key)), urgency)
        if found:
            ev.set("severity", found)
            return
    given = next((w for w in (*words, urgency) if w not in (None, "")), None)
    ev.set("severity", None)
    ev.problems["severity"] = (
        f"severity: '{given}' is not a known priority; add it to {mapper.key(key).shown}"
        if given is not None else
        f"severity: no priority given; set {mapper.key(key).shown} or a default")


def incident_event(rec: Rec, mapper: Mapper, incident_id: str, detected_at: object,
                   mitigated_at: object = None, onset_at: object = None,
                   epoch: str | None = None) -> Event:
    """An incident row but for severity: the source gives id and times (``onset_at`` only
    where the tool records an impact start); team, model, tier, cause (and onset) the map."""
    ev = mapper.event("incident", rec, incident_id)
    ev.set("incident_id", incident_id)
    ev.rule("team")
    ev.rule("model")
    ev.rule("tier")
    ev.rule("cause", "incident.cause")
    ev.time("detected_at", detected_at, epoch)
    if onset_at not in (None, ""):
        ev.time("onset_at", onset_at, epoch)
    else:
        ev.rule("onset_at", "incident.onset_at", time=True, epoch=epoch)
    ev.time("mitigated_at", mitigated_at, epoch)
    return ev
