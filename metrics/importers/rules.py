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

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from metrics.importers.base import Rec, Row, path_get
from metrics.importers.mapfile import ImportMap, Key
from metrics.importers.times import TimeProblem, parse_time


def find(entry: str, rec: Rec, values: Mapping[str, object]) -> object:
    """The value one ``from`` entry names in ``rec`` (None when absent or empty)."""
    return _getter(entry)(rec, values)


@lru_cache(maxsize=1024)
def _getter(entry: str) -> Callable[[Rec, Mapping[str, object]], object]:
    """``"label:team"`` → a function of (record, row values) giving the cleaned value."""
    scheme, sep, name = entry.partition(":")
    if sep and scheme in ("label", "tag"):
        attr = "labels" if scheme == "label" else "tags"
        return lambda rec, values: _clean(_fold_get(getattr(rec, attr), name))
    if sep and scheme == "payload":
        if "." not in name:  # one key, the usual case
            return lambda rec, values: _clean(rec.payload.get(name)) if rec.payload else None
        return lambda rec, values: _clean(path_get(rec.payload, name) if rec.payload else None)

    def bare(rec: Rec, values: Mapping[str, object]) -> object:
        if entry in values:
            return _clean(values[entry])
        if entry in rec.fields:
            return _clean(rec.fields[entry])
        return _clean(path_get(rec.data, entry))
    return bare


def _clean(found: object) -> object:
    if isinstance(found, str):
        found = found.strip()
        return found or None
    return None if isinstance(found, dict | list) else found


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
    return compile_rule(rule)(rec, values)


def compile_rule(rule: object) -> Callable[[Rec, Mapping[str, object]], object]:
    """A map rule as a function of (record, row values): the same answer as ``resolve``,
    with the table read once rather than per record."""
    if not isinstance(rule, dict):
        return lambda rec, values: rule
    getters = [_getter(entry) for entry in rule.get("from", ())]
    mapping, keywords, default = rule.get("map") or {}, rule.get("keywords"), rule.get("default")
    if len(getters) == 1 and not keywords and default is None:  # the usual rule: one place
        get = getters[0]
        if not mapping:
            return get

        def mapped(rec: Rec, values: Mapping[str, object]) -> object:
            found = get(rec, values)
            return None if found is None else mapping.get(str(found), found)
        return mapped

    def run(rec: Rec, values: Mapping[str, object]) -> object:
        for get in getters:
            found = get(rec, values)
            if found is None:
                continue
            if keywords:
                found = _keyword(str(found), keywords)
                if found is None:
                    continue
            return mapping.get(str(found), found) if mapping else found
        return default
    return run


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
        compiled = self.mapper.compiled(key or column, time)
        value = compiled(self.rec, self.values) if compiled is not None else None
        if value is None:
            value = fallback
        if value is None:
            self.values[column] = None
            self.problems[column] = no_value(column, self.mapper.key(key or column))
            return None
        if time and type(value) is not datetime:
            return self.time(column, value, epoch)
        self.values[column] = value
        return value

    def row(self) -> Row:
        return Row(self.kind, self.values, self.rec.file, self.rec.line, self.record,
                   self.problems)


class Plan:
    """A kind's map rules compiled once per import: ``plan.fill(ev)`` sets each column as
    ``ev.rule(column, key, time=time)`` would, in one call instead of one per column.

        plan = mapper.plan(("team", None, False), ("onset_at", "incident.onset_at", True))
    """

    __slots__ = ("steps",)

    def __init__(self, mapper: Mapper, steps: tuple[tuple[str, str | None, bool], ...]) -> None:
        self.steps = [(column, mapper.compiled(key or column, time), time,
                       no_value(column, mapper.key(key or column)))
                      for column, key, time in steps]

    def fill(self, ev: Event) -> None:
        rec, values, problems = ev.rec, ev.values, ev.problems
        for column, compiled, time, missing in self.steps:
            value = None if compiled is None else compiled(rec, values)
            if value is None:
                values[column] = None
                problems[column] = missing
            elif time and type(value) is not datetime:
                ev.time(column, value)
            else:
                values[column] = value


class Mapper:
    """The map as one source sees it: its rules, vocabularies and key names."""

    def __init__(self, import_map: ImportMap, keys: Mapping[str, Key],
                 options: Mapping[str, object] | None = None) -> None:
        self.map = import_map
        self.keys = keys
        self.options = dict(options or {})  # a source's own command-line options
        self._compiled: dict[tuple[str, bool], Callable | None] = {}
        self._once: dict[object, object] = {}

    def compiled(self, name: str, time: bool = False) -> Callable | None:
        """The map's rule ``name`` compiled once (None when the map has none); for a time
        rule a bare string names the field: ``onset_at = "detected_at"``."""
        try:
            return self._compiled[name, time]
        except KeyError:
            pass
        rule = self.map.get(name)
        if time and isinstance(rule, str):
            rule = {"from": [rule]}
        found = self._compiled[name, time] = None if rule is None else compile_rule(rule)
        return found

    def plan(self, *steps: tuple[str, str | None, bool]) -> Plan:
        """The ``Plan`` of these (column, map key or None, is a time) steps, built once."""
        return self.once(("plan", steps), lambda: Plan(self, steps))

    def once(self, name: object, build: Callable[[], object]) -> Any:
        """``build()``'s value, built on the first call for ``name`` in this import (the
        map is fixed for the import): compiled plans, a source's parsed map tables."""
        try:
            return self._once[name]
        except KeyError:
            found = self._once[name] = build()
            return found

    def key(self, name: str) -> Key:
        return self.keys.get(name) or Key(name, "rule", "")

    def event(self, kind: str, rec: Rec, record_id: str) -> Event:
        return Event(kind, rec, self, record_id)
