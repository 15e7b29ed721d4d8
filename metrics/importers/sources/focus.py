"""FOCUS 1.0-1.2 cost and usage exports (CSV or Parquet, from any cloud) → cost.

One cost row per (UTC day of ChargePeriodStart, team, service, category): hourly rows are
summed and credits (negative costs) net against charges; a net below zero is a row error
naming the day. The cost is EffectiveCost unless [focus] cost_column names another (e.g.
BilledCost). A BillingCurrency other than USD is a row error unless [focus] usd_rates gives
its rate. ChargePeriodStart without an offset is UTC, as FOCUS requires of its date/times
(the map's timezone overrides). A monthly row counts on the day its charge period starts.

The category is [focus] category looked up by ServiceName, then ServiceSubcategory, then
ServiceCategory (Storage is storage by default, other categories other); "AI and Machine
Learning" says neither inference nor training, so it must be mapped. On inference lines,
ConsumedQuantity counts as inferences where ConsumedUnit is [focus] inferences' unit.
Team comes from [team] (tag:NAME reads Tags, whose keys vary by provider: compared trimmed
and ignoring case); the service from [focus] service, else ResourceName, else ServiceName.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from datetime import datetime

from metrics.importers import keys
from metrics.importers.base import Doc, Rec, Row, ShapeError
from metrics.importers.mapfile import Key
from metrics.importers.rules import Mapper
from metrics.importers.times import TimeProblem, parse_time

NAME = "focus"
WRITES = ("cost",)
READS = "a FOCUS 1.0-1.2 cost and usage export, CSV or Parquet, from any cloud"
EXAMPLE = "aws s3 cp s3://billing/focus/2026-03/export-0001.parquet ."

COST_COLUMN = Key("focus.cost_column", "text", "the cost column (default EffectiveCost)")
CATEGORY = Key("focus.category", "table", "ServiceName / ServiceSubcategory / "
               "ServiceCategory → inference, training, storage or other")
INFERENCES = Key("focus.inferences", "table",
                 'which usage counts as inferences, e.g. { unit = "Requests" }')
SERVICE = Key("focus.service", "rule", "the endpoint, model or cluster a cost belongs to "
              "(default ResourceName, else ServiceName)")
USD_RATES = Key("focus.usd_rates", "table", "USD per unit of other billing currencies, "
                "e.g. { EUR = 1.08 }")
MAP_KEYS = (keys.TEAM, keys.TIMEZONE, SERVICE, COST_COLUMN, CATEGORY, INFERENCES, USD_RATES)

REQUIRED = ("ChargePeriodStart", "BillingCurrency", "ServiceCategory", "ServiceName")
DEFAULT_CATEGORY = {"storage": "storage", "ai and machine learning": None}
CATEGORIES = ("inference", "training", "storage", "other")


def read(name: str, data: bytes) -> Iterator[Doc]:
    """One document per row of the export (CSV or Parquet)."""
    from metrics.importers.focus_read import grouped_rows

    yield from grouped_rows(name, data)


def records(doc: Doc) -> Iterator[Rec]:
    row = doc.data
    if not isinstance(row, dict) or "ChargePeriodStart" not in row:
        raise ShapeError("this is not a FOCUS export")
    tags, problem = parse_tags(row.get("Tags"))
    data = {**row, "_tags_error": problem}
    yield Rec(data, doc.file, doc.line, tags=tags, fields=dict(row))


def events(recs: Iterable[Rec], mapper: Mapper) -> Iterator[Row]:
    groups: dict[tuple, dict] = {}
    for rec in recs:
        ev = mapper.event("cost", rec, "")
        day = _day(rec, mapper, ev.problems)
        team = ev.rule("team")
        service = ev.rule("service", "focus.service",
                          fallback=rec.fields.get("ResourceName") or rec.fields.get(
                              "ServiceName"))
        category = _category(rec, mapper, ev.problems)
        usd = _usd(rec, mapper, ev.problems)
        if rec.data.get("_tags_error"):
            ev.problems["team"] = f"team: Tags is not JSON ({rec.data['_tags_error']})"
        key = (day, team, service, category)
        if ev.problems or None in key:
            ev.set("date", day)
            ev.set("category", category)
            ev.set("cost_usd", usd)
            yield ev.row()
            continue
        group = groups.setdefault(key, {"cost": 0.0, "inferences": None, "rec": rec})
        group["cost"] += usd
        if category == "inference" and _counts_inferences(rec, mapper):
            group["inferences"] = (group["inferences"] or 0) + (
                _number(rec.data.get("ConsumedQuantity")) or 0.0)
    for (day, team, service, category), group in groups.items():
        ev = mapper.event("cost", group["rec"], f"{day} {team} {service} {category}")
        for column, value in (("date", day), ("team", team), ("service", service),
                              ("category", category)):
            ev.set(column, value)
        cost = round(group["cost"], 6)
        if cost < 0:
            ev.problems["cost_usd"] = (f"cost_usd: credits exceed charges on {day} "
                                       f"(net {cost:.2f} USD for {team}/{service}/{category})")
        ev.set("cost_usd", None if cost < 0 else cost)
        if group["inferences"] is not None:
            ev.set("inferences", round(group["inferences"]))
        yield ev.row()


def _day(rec: Rec, mapper: Mapper, problems: dict) -> str | None:
    raw = rec.data.get("ChargePeriodStart")
    if isinstance(raw, datetime):  # Parquet: a timestamp; naive ones are UTC, as FOCUS says
        raw = raw.isoformat()
    try:
        return parse_time(raw, mapper.map.timezone or "UTC").date().isoformat()
    except TimeProblem as exc:
        problems["date"] = f"date: ChargePeriodStart {exc}"
        return None


def _category(rec: Rec, mapper: Mapper, problems: dict) -> str | None:
    table = {str(k).strip().lower(): str(v).strip().lower()
             for k, v in (mapper.map.get("focus.category") or {}).items()}
    names = [rec.data.get(c) for c in ("ServiceName", "ServiceSubcategory", "ServiceCategory")]
    for name in names:
        if name and str(name).strip().lower() in table:
            found = table[str(name).strip().lower()]
            if found in CATEGORIES:
                return found
            problems["category"] = (f"category: [focus] category maps {name!r} to {found!r}; "
                                    f"use one of {', '.join(CATEGORIES)}")
            return None
    category = str(rec.data.get("ServiceCategory") or "").strip()
    if category.lower() in DEFAULT_CATEGORY:
        found = DEFAULT_CATEGORY[category.lower()]
        if found:
            return found
        problems["category"] = (f"category: {category!r} does not say inference or training; "
                                f"set [focus] category in the map, e.g. {{ \"{category}\" = "
                                "\"inference\" }")
        return None
    return "other"


def _usd(rec: Rec, mapper: Mapper, problems: dict) -> float | None:
    column = str(mapper.map.get("focus.cost_column", "EffectiveCost"))
    if column not in rec.data:
        problems["cost_usd"] = (f"cost_usd: the export has no column {column}; set "
                                "[focus] cost_column in the map")
        return None
    cost = _number(rec.data[column]) if rec.data[column] is not None else None
    if cost is None:
        problems["cost_usd"] = f"cost_usd: {column} {rec.data[column]!r} is not a number"
        return None
    currency = str(rec.data.get("BillingCurrency") or "").strip().upper()
    if currency == "USD":
        return float(cost or 0.0)
    rates = {str(k).strip().upper(): v for k, v in
             (mapper.map.get("focus.usd_rates") or {}).items()}
    rate = rates.get(currency)
    if not isinstance(rate, int | float) or isinstance(rate, bool) or rate <= 0:
        problems["cost_usd"] = (f"cost_usd: the billing currency is {currency or 'missing'}, "
                                f"not USD; set [focus] usd_rates = {{ {currency or 'EUR'} = "
                                "… } in the map")
        return None
    return float(cost or 0.0) * float(rate)


def _counts_inferences(rec: Rec, mapper: Mapper) -> bool:
    rule = mapper.map.get("focus.inferences") or {}
    unit = rule.get("unit") if isinstance(rule, dict) else None
    return bool(unit) and str(rec.data.get("ConsumedUnit") or "").strip().lower() == str(
        unit).strip().lower()


def _number(value: object) -> float | None:
    if value is None:
        return 0.0
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_tags(raw: object) -> tuple[dict | None, str | None]:
    """FOCUS ``Tags`` (JSON text, or a map from Parquet) → a dict, or why not."""
    if raw is None or (isinstance(raw, str) and raw.strip() in ("", "NULL")):
        return None, None
    if isinstance(raw, dict):
        return raw, None
    if isinstance(raw, list):  # a Parquet MAP read as [(key, value), …] or [{key, value}]
        try:
            return {(p["key"] if isinstance(p, dict) else p[0]):
                    (p["value"] if isinstance(p, dict) else p[1]) for p in raw}, None
        except (KeyError, IndexError, TypeError):
            return None, "a list that is not key/value pairs"
    try:
        tags = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        return None, exc.msg
    return (tags, None) if isinstance(tags, dict) else (None, "not a JSON object")

