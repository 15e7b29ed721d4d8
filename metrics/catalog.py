"""Load and validate the KPI catalog (catalog.toml; spec: kpis.md).

Every problem is reported at once, each naming the KPI and the key:

    CatalogError: kpi 'cicd_coverage': unit is missing; kpi 'x': direction must be
    'higher' or 'lower'
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from metrics.errors import MlkpiError
from metrics.events import KINDS

DEFAULT_PATH = Path(__file__).with_name("catalog.toml")

# The kinds of the event contract, and those with a `tier` column (the tier filter's reach).
KNOWN_KINDS = frozenset(KINDS)
TIER_KINDS = frozenset(name for name, kind in KINDS.items() if kind.has_column("tier"))

# Families in the blueprint's order, with their display names.
FAMILY_NAMES = {
    "delivery_throughput": "Delivery throughput",
    "business_outcomes": "Business outcomes",
    "operational_excellence": "Operational excellence",
    "quality_risk": "Quality & risk",
    "organisational_health": "Organisational health",
}
CADENCES = ("weekly", "monthly", "quarterly")
DIRECTIONS = ("higher", "lower")
UNITS = ("releases/team/quarter", "hours", "%", "minutes", "USD", "score (1–5)",
         "% per year", "days")
OPS = (">=", "<=", "<", ">")
OPS_FOR = {"higher": (">=", ">"), "lower": ("<=", "<")}
BASELINES = ("year", "previous")

_TEXT_KEYS = ("id", "name", "what", "why", "blueprint_target", "frequency", "anchor",
              "formula")
_REQUIRED = (*_TEXT_KEYS, "cadence", "family", "unit", "direction", "sources",
             "tier_filter", "target")
_OPTIONAL = ("target_note", "params", "pace")
_TARGET_REQUIRED = ("kind", "op", "value")
_TARGET_OPTIONAL = ("stretch", "baseline")


class CatalogError(MlkpiError, ValueError):
    """The catalog is broken; `problems` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Target:
    """A default target: absolute `value op target`, or relative `change op target` (%)."""

    kind: str
    op: str
    value: float
    stretch: float | None = None
    baseline: str | None = None


@dataclass(frozen=True)
class KPI:
    """One catalog KPI; `name`, `blueprint_target` and `frequency` are the blueprint's."""

    id: str
    name: str
    what: str
    why: str
    blueprint_target: str
    frequency: str
    cadence: str
    family: str
    unit: str
    direction: str
    anchor: str
    formula: str
    sources: tuple[str, ...]
    tier_filter: bool
    target: Target
    target_note: str | None = None
    params: Mapping[str, float] = field(default_factory=dict, hash=False)
    pace: bool = False  # a count scaled to a whole period: a running period shows its pace

    @property
    def family_name(self) -> str:
        """Display name of the family, e.g. 'Quality & risk'."""
        return FAMILY_NAMES[self.family]


class Catalog(Mapping[str, KPI]):
    """The KPIs by id, in catalog order."""

    def __init__(self, kpis: list[KPI]) -> None:
        self._kpis = {kpi.id: kpi for kpi in kpis}

    def __getitem__(self, kpi_id: str) -> KPI:
        return self._kpis[kpi_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kpis)

    def __len__(self) -> int:
        return len(self._kpis)

    def families(self) -> dict[str, list[KPI]]:
        """Family id -> its KPIs in catalog order, families in blueprint order."""
        grouped: dict[str, list[KPI]] = {family: [] for family in FAMILY_NAMES}
        for kpi in self._kpis.values():
            grouped[kpi.family].append(kpi)
        return {family: kpis for family, kpis in grouped.items() if kpis}


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read and validate a catalog; the default one (catalog.toml) is read once and cached."""
    if path is None:
        return _default_catalog()
    return _load(Path(path))


@lru_cache(maxsize=1)
def _default_catalog() -> Catalog:
    return _load(DEFAULT_PATH)


def _load(path: Path) -> Catalog:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise CatalogError([f"cannot read catalog {path}: {exc.strerror}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError([f"catalog {path} is not valid TOML: {exc}"]) from None
    problems = [f"unknown top-level key '{key}'" for key in data if key != "kpi"]
    blocks = data.get("kpi")
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise CatalogError([*problems, "the catalog needs [[kpi]] blocks"])
    kpis = []
    seen: set[str] = set()
    for number, block in enumerate(blocks, start=1):
        label = f"kpi '{block['id']}'" if isinstance(block.get("id"), str) else f"kpi #{number}"
        found = _check_block(block)
        if block.get("id") in seen:
            found.append("id is a duplicate of an earlier kpi")
        seen.add(block.get("id"))
        problems.extend(f"{label}: {problem}" for problem in found)
        if not found:
            kpis.append(_build(block))
    if problems:
        raise CatalogError(problems)
    return Catalog(kpis)


def _check_block(block: dict[str, Any]) -> list[str]:
    """Every problem of one [[kpi]] block, as 'key ...' phrases."""
    problems = [f"{key} is missing" for key in _REQUIRED if key not in block]
    problems += [f"unknown key '{key}'" for key in block if key not in (*_REQUIRED, *_OPTIONAL)]
    for key in (*_TEXT_KEYS, "target_note"):
        if key in block and not (isinstance(block[key], str) and block[key].strip()):
            problems.append(f"{key} must be a non-empty string")
    problems += _check_enum(block, "cadence", CADENCES)
    problems += _check_enum(block, "family", tuple(FAMILY_NAMES))
    problems += _check_enum(block, "unit", UNITS)
    problems += _check_enum(block, "direction", DIRECTIONS)
    problems += _check_sources(block)
    if "params" in block and not _is_number_table(block["params"]):
        problems.append("params must be a table of numbers")
    if "pace" in block and not isinstance(block["pace"], bool):
        problems.append("pace must be true or false")
    if "target" in block:
        problems += _check_target(block["target"], block.get("direction"))
    return problems


def _check_enum(block: dict[str, Any], key: str, allowed: tuple[str, ...]) -> list[str]:
    if key not in block or block[key] in allowed:
        return []
    choices = ", ".join(f"'{value}'" for value in allowed[:-1])
    return [f"{key} must be {choices} or '{allowed[-1]}'"]


def _check_sources(block: dict[str, Any]) -> list[str]:
    sources = block.get("sources")
    if sources is None:
        return []
    if not isinstance(sources, list) or not sources or not all(
            isinstance(s, str) for s in sources):
        return ["sources must be a non-empty list of event kinds"]
    problems = [f"sources: unknown event kind '{s}'" for s in sources if s not in KNOWN_KINDS]
    tier_filter = block.get("tier_filter")
    if not isinstance(tier_filter, bool):
        return problems + (["tier_filter must be true or false"] if "tier_filter" in block
                           else [])
    if tier_filter != any(s in TIER_KINDS for s in sources):
        want = "true" if not tier_filter else "false"
        problems.append(f"tier_filter must be {want} for sources {', '.join(sources)}")
    return problems


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_number_table(value: Any) -> bool:
    return isinstance(value, dict) and all(_is_number(v) for v in value.values())


def _check_target(target: Any, direction: Any) -> list[str]:
    if not isinstance(target, dict):
        return ["target must be a table"]
    problems = [f"target.{key} is missing" for key in _TARGET_REQUIRED if key not in target]
    problems += [f"unknown key 'target.{key}'" for key in target
                 if key not in (*_TARGET_REQUIRED, *_TARGET_OPTIONAL)]
    problems += [f"target.{p}" for p in _check_enum(target, "kind", ("absolute", "relative"))]
    problems += [f"target.{p}" for p in _check_enum(target, "op", OPS)]
    for key in ("value", "stretch"):
        if key in target and not _is_number(target[key]):
            problems.append(f"target.{key} must be a number")
    problems += _check_baseline(target)
    op = target.get("op")
    if direction in OPS_FOR and op in OPS and op not in OPS_FOR[direction]:
        allowed = " or ".join(f"'{o}'" for o in OPS_FOR[direction])
        problems.append(f"target.op must be {allowed} because {direction} is better")
    numbers = _is_number(target.get("value")) and _is_number(target.get("stretch"))
    if op in OPS and numbers and not stretch_beyond(op, target["value"], target["stretch"]):
        side = "above" if op in (">=", ">") else "below"
        problems.append(f"target.stretch must be {side} the target value")
    return problems


def _check_baseline(target: dict[str, Any]) -> list[str]:
    kind, baseline = target.get("kind"), target.get("baseline")
    if kind == "relative" and baseline is None:
        return ["target.baseline is missing (a relative target needs 'year' or 'previous')"]
    if kind == "absolute" and baseline is not None:
        return ["target.baseline is only for relative targets"]
    if baseline is not None and baseline not in BASELINES:
        return ["target.baseline must be 'year' or 'previous'"]
    return []


def stretch_beyond(op: str, value: float, stretch: float) -> bool:
    """True when the stretch is on the ambitious side: ('>=', 80, 95) yes, ('<=', 8, 9) no."""
    return stretch > value if op in (">=", ">") else stretch < value


def _build(block: dict[str, Any]) -> KPI:
    raw = block["target"]
    target = Target(kind=raw["kind"], op=raw["op"], value=raw["value"],
                    stretch=raw.get("stretch"), baseline=raw.get("baseline"))
    fields = {key: block[key] for key in _REQUIRED if key not in ("sources", "target")}
    return KPI(**fields, sources=tuple(block["sources"]), target=target,
               target_note=block.get("target_note"), params=dict(block.get("params", {})),
               pace=block.get("pace", False))
