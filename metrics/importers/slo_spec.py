"""Sloth and OpenSLO documents → the ``[slo]`` section of the organisation config.

    Sloth prometheus/v1:  service: ranker, slos: [{name: avail, objective: 99.9}]
    OpenSLO v1:           spec: {service: ranker, timeWindow: [{duration: 28d,
                          isRolling: true}], objectives: [{target: 0.999}]}
    → [slo.endpoint."ranker"]  availability = 99.9  (window_days = 28)

Sloth objectives are percents, OpenSLO targets fractions (``targetPercent`` is a
percent). An OpenSLO threshold objective ``{op: lte, value: V, target: 0.95}`` is a p95
latency objective, in the unit ``--latency-unit`` names. Whatever mlkpi cannot express
(calendar windows, time-slice budgeting of availability, a share of fast requests that is
not a p95, windows beyond 90 days) is named in one sentence, never approximated.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

_DURATION = re.compile(r"^(\d+)([mhdw])$")
_DAYS = {"d": 1, "w": 7}
_UNIT_DAYS = {"day": 1, "week": 7}


class SpecError(ValueError):
    """A document that is not a Sloth or OpenSLO SLO document (one sentence)."""


@dataclass
class SloSection:
    """The objectives found per endpoint and the sentences of what could not be kept."""

    endpoints: dict[str, dict] = field(default_factory=dict)
    origins: dict[str, list[str]] = field(default_factory=dict)
    unsupported: list[str] = field(default_factory=list)

    def put(self, endpoint: str, key: str, value: object, origin: str) -> None:
        table = self.endpoints.setdefault(endpoint, {})
        if key in table and table[key] != value:
            self.unsupported.append(
                f"{origin}: {endpoint} already has {key} = {table[key]} from another SLO; "
                f"{value} was not kept (mlkpi holds one {key} per endpoint).")
            return
        table[key] = value
        if not any(o.startswith(origin) for o in self.origins.setdefault(endpoint, [])):
            self.origins[endpoint].append(origin)


def read_documents(docs: list[object], name: str, section: SloSection,
                   latency_unit: str | None) -> None:
    """Add the objectives of every document of file ``name`` to ``section``."""
    for n, doc in enumerate(docs, start=1):
        if doc is None:
            continue
        where = name if len(docs) == 1 else f"{name} (document {n})"
        if not isinstance(doc, dict):
            raise SpecError(f"{where} is not a Sloth or OpenSLO document")
        if doc.get("version") == "prometheus/v1":
            sloth(doc, where, section)
        elif str(doc.get("apiVersion", "")).startswith("openslo/"):
            if doc.get("kind") == "SLO":
                openslo(doc, where, section, latency_unit)
        else:
            raise SpecError(f"{where} is neither Sloth (version: prometheus/v1) nor OpenSLO "
                            "(apiVersion: openslo/v1 or openslo/v1alpha)")


def sloth(doc: dict, where: str, section: SloSection) -> None:
    service = _text(doc.get("service"), f"{where}: service")
    for slo in doc.get("slos") or []:
        name = str(slo.get("name", "?"))
        origin = f"{where}: SLO {name!r}"
        objective = _number(slo.get("objective"), f"{origin}: objective")
        if _is_latency_sloth(slo):
            section.unsupported.append(
                f"{origin}: an objective on the share of fast requests ({objective} %) is "
                "not a p95 latency objective; set latency_p95_ms by hand.")
            continue
        _availability(section, service, objective, origin)


def _is_latency_sloth(slo: dict) -> bool:
    sli = slo.get("sli") or {}
    text = " ".join(str(x) for x in (slo.get("name"), (sli.get("events") or {}).get(
        "error_query"), sli.get("latency"), (sli.get("plugin") or {}).get("id")))
    return "latency" in text.lower() or 'le="' in text or "_bucket" in text


def openslo(doc: dict, where: str, section: SloSection, latency_unit: str | None) -> None:
    spec = doc.get("spec") or {}
    name = str((doc.get("metadata") or {}).get("name", "?"))
    origin = f"{where}: SLO {name!r}"
    service = _text(spec.get("service"), f"{origin}: spec.service")
    days = _window_days(spec, origin, section)
    timeslices = str(spec.get("budgetingMethod", "Occurrences")).lower() != "occurrences"
    kept = False
    for obj in spec.get("objectives") or []:
        label = f"{origin} objective {obj.get('displayName') or obj.get('name') or '?'!r}"
        target = _target(obj, label)
        if obj.get("op") is not None or obj.get("value") is not None:
            kept |= _latency(section, service, obj, target, label, latency_unit)
        elif timeslices:
            section.unsupported.append(
                f"{label}: availability budgeted by time slices is not expressible; mlkpi "
                "counts requests (Occurrences).")
        else:
            kept |= _availability(section, service, target, label)
    if kept and days is not None:
        section.put(service, "window_days", days, origin)


def _latency(section: SloSection, service: str, obj: dict, target: float, label: str,
             unit: str | None) -> bool:
    op = str(obj.get("op", "")).lower()
    if op not in ("lt", "lte") or not math.isclose(target, 95.0):
        section.unsupported.append(
            f"{label}: a threshold objective with op {op or '?'} and target {target} % is "
            "not a p95 latency ceiling (op lte, target 0.95), which is all mlkpi holds.")
        return False
    if unit is None:
        section.unsupported.append(
            f"{label}: the latency threshold {obj.get('value')} has no unit mlkpi can read; "
            "give --latency-unit s or ms.")
        return False
    value = _number(obj.get("value"), f"{label}: value") * (1000 if unit == "s" else 1)
    if value <= 0:
        section.unsupported.append(f"{label}: a latency threshold must be above zero.")
        return False
    section.put(service, "latency_p95_ms", round(value, 6), label)
    return True


def _availability(section: SloSection, service: str, percent: float, origin: str) -> bool:
    if not 0 < percent < 100:
        section.unsupported.append(f"{origin}: an availability of {percent} % is not between "
                                   "0 and 100 (exclusive).")
        return False
    section.put(service, "availability", round(percent, 9), origin)
    return True


def _target(obj: dict, label: str) -> float:
    if obj.get("targetPercent") is not None:
        return _number(obj["targetPercent"], f"{label}: targetPercent")
    return 100 * _number(obj.get("target"), f"{label}: target")


def _window_days(spec: dict, origin: str, section: SloSection) -> int | None:
    windows = spec.get("timeWindow") or spec.get("timeWindows") or []
    if not windows:
        return None
    w = windows[0]
    if w.get("calendar") or w.get("isRolling") is False:
        section.unsupported.append(f"{origin}: a calendar window is not expressible; mlkpi's "
                                   "compliance windows roll.")
        return None
    days = None
    if "duration" in w:
        m = _DURATION.match(str(w["duration"]).strip())
        if m and m.group(2) in _DAYS:
            days = int(m.group(1)) * _DAYS[m.group(2)]
    elif "count" in w:
        unit = str(w.get("unit", "")).lower()
        if unit in _UNIT_DAYS:
            days = int(w["count"]) * _UNIT_DAYS[unit]
    if days is None or not 1 <= days <= 90:
        shown = w.get("duration") or f"{w.get('count')} {w.get('unit')}"
        section.unsupported.append(f"{origin}: a window of {shown} is not expressible; "
                                   "window_days is a whole number of days from 1 to 90.")
        return None
    return days


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SpecError(f"{what} must be a number")
    try:
        number = float(value)
    except ValueError:
        raise SpecError(f"{what} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise SpecError(f"{what} must be a finite number")
    return number


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"{what} is missing; mlkpi names the endpoint after it")
    return value.strip()


def to_toml(section: SloSection) -> str:
    """The ``[slo.endpoint."…"]`` tables, with where each came from and what was not kept."""
    lines = ["# SLO objectives imported by 'mlkpi import slo-spec'"]
    for sentence in section.unsupported:
        lines.append(f"# not kept: {sentence}")
    for endpoint in sorted(section.endpoints):
        lines.append("")
        for origin in section.origins.get(endpoint, []):
            lines.append(f"# from {origin}")
        lines.append(f"[slo.endpoint.{_quoted(endpoint)}]")
        for key in ("availability", "latency_p95_ms", "window_days"):
            if key in section.endpoints[endpoint]:
                lines.append(f"{key} = {section.endpoints[endpoint][key]}")
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
