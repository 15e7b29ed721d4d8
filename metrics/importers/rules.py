"""Rule resolution: where a value comes from when the source does not say it.

    [team]
    from = ["label:team", "tag:team", "service", "repo"]   # first that yields a value wins
    map = { "acme/ranker" = "search" }                      # found value → this (else as is)
    default = "platform"                                    # when nothing yields a value

``from`` entries: ``label:NAME``, ``tag:NAME`` (names compared trimmed, ignoring case),
``payload:PATH`` (a GitHub deployment's payload), or a bare name: a column the row already
has (``team`` for ``[tier]``), a fact the source names (``repo``, ``service``), else a
dotted path into the record (``repository.full_name``). ``keywords`` (for ``cause``)
searches the found text for each keyword, ignoring case: ``{ drift = "drift" }``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from metrics.importers.base import Rec, Row, path_get
from metrics.importers.mapfile import ImportMap, Key
from metrics.importers.times import TimeProblem, parse_time


def find(entry: str, rec: Rec, values: Mapping[str, object]) -> object:
    """The value one ``from`` entry names in ``rec`` (None when absent or empty)."""
    scheme, sep, name = entry.partition(":")
    if sep and scheme in ("label", "tag"):
        found = _fold_get(rec.labels if scheme == "label" else rec.tags, name)
    elif sep and scheme == "payload":
        found = path_get(rec.payload, name) if rec.payload else None
    elif entry in values:
        found = values[entry]
    elif entry in rec.fields:
        found = rec.fields[entry]
    else:
        found = path_get(rec.data, entry)
    if isinstance(found, str):
        found = found.strip()
    return None if found in (None, "") or isinstance(found, dict | list) else found


def _fold_get(table: Mapping | None, name: str) -> object:
    if not table:
        return None
    if name in table:
        return table[name]
    wanted = name.strip().lower()
    for key, value in table.items():
        if str(key).strip().lower() == wanted:
            return value
    return None


def resolve(rule: object, rec: Rec, values: Mapping[str, object]) -> object:
    """The value a map rule (fixed value or table) gives for ``rec``, or None."""
    if not isinstance(rule, dict):
        return rule
    mapping = rule.get("map") or {}
    keywords = rule.get("keywords")
    for entry in rule.get("from", ()):
        found = find(entry, rec, values)
        if found is None:
            continue
        if keywords:
            found = _keyword(str(found), keywords)
            if found is None:
                continue
        return mapping.get(str(found), mapping.get(found, found))  # type: ignore[arg-type]
    return rule.get("default")


def _keyword(text: str, keywords: Mapping[str, object]) -> object:
    lower = text.lower()
    for word, value in keywords.items():
        if word.lower() in lower:
            return value
    return None


def no_value(column: str, key: Key) -> str:
    """``team: no value; set [team] in the map``."""
    return f"{column}: no value; set {key.shown} in the map"


class Event:
    """One row being built from one record; problems are kept, never raised.

        ev = mapper.event("deployment", rec, record_id="42")
        ev.set("deployment_id", "42")
        ev.time("deployed_at", status["created_at"])
        ev.rule("team")                       # [team] in the map, else a row problem
        ev.rule("spec_approved_at", "deployment.spec_approved_at", time=True)
        rows.append(ev.row())
    """

    __slots__ = ("kind", "rec", "mapper", "record", "values", "problems")

    def __init__(self, kind: str, rec: Rec, mapper: Mapper, record: str) -> None:
        self.kind, self.rec, self.mapper, self.record = kind, rec, mapper, record
        self.values: dict[str, object] = {}
        self.problems: dict[str, str] = {}

    def set(self, column: str, value: object) -> None:
        self.values[column] = value

    def time(self, column: str, raw: object, epoch: str | None = None) -> datetime | None:
        """Parse ``raw`` into ``column`` (None stays None); a bad time is a row problem."""
        if raw is None or raw == "":
            self.values[column] = None
            return None
        try:
            ts = parse_time(raw, self.rec.zone or self.mapper.map.timezone, epoch)
        except TimeProblem as exc:
            self.values[column] = None
            self.problems[column] = f"{column}: {exc}"
            return None
        self.values[column] = ts
        return ts

    def rule(self, column: str, key: str | None = None, fallback: object = None,
             time: bool = False, epoch: str | None = None) -> object:
        """``column`` from the map's rule ``key`` (default: the column's name), else the
        source's ``fallback``; with neither, a row problem naming the key."""
        name = key or column
        rule = self.mapper.map.get(name)
        if time and isinstance(rule, str):
            rule = {"from": [rule]}
        value = resolve(rule, self.rec, self.values) if rule is not None else None
        if value is None:
            value = fallback
        if value is None:
            self.values[column] = None
            self.problems[column] = no_value(column, self.mapper.key(name))
            return None
        if time and not isinstance(value, datetime):
            return self.time(column, value, epoch)
        self.values[column] = value
        return value

    def row(self) -> Row:
        return Row(self.kind, self.values, self.rec.file, self.rec.line, self.record,
                   self.problems)


class Mapper:
    """The map as one source sees it: its rules, vocabularies and key names."""

    def __init__(self, import_map: ImportMap, keys: Mapping[str, Key],
                 options: Mapping[str, object] | None = None) -> None:
        self.map = import_map
        self.keys = keys
        self.options = dict(options or {})  # a source's own command-line options

    def key(self, name: str) -> Key:
        return self.keys.get(name) or Key(name, "rule", "")

    def event(self, kind: str, rec: Rec, record_id: str) -> Event:
        return Event(kind, rec, self, record_id)
