"""The organisation's configuration file (spec: config.md): target and SLO overrides.

A config is validated whole before use; the first problem is refused with one sentence
naming the table and the key, e.g. ``kpi.cicd_coverage.stretch must be a number``.

    [kpi.cicd_coverage]            # up to 2026Q2: >= 85, stretch 95 (the catalog's)
    target = 85
    [[kpi.cicd_coverage.change]]   # 2026Q3, 2026-08, 2026-W40 ...: >= 90, stretch 95
    from = "2026Q3"
    target = 90
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from metrics import settings
from metrics.catalog import KPI, OPS, OPS_FOR, Catalog, load_catalog, stretch_beyond
from metrics.errors import MlkpiError
from metrics.events import TIERS, TIERS_TEXT
from metrics.periods import Period, PeriodError, parse_period

ENV_VAR = "MLKPI_CONFIG"
_KPI_KEYS = ("target", "stretch", "op", "change")
_CHANGE_KEYS = ("from", "target", "stretch", "op")
_SLO_KEYS = ("availability", "latency_p95_ms", "window_days")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class ConfigError(MlkpiError, ValueError):
    """The organisation's config cannot be used; the message is one sentence."""


@dataclass(frozen=True)
class TargetLayer:
    """What one level of the config sets; None = left out. remove_stretch: `stretch = false`."""

    target: float | None = None
    stretch: float | None = None
    remove_stretch: bool = False
    op: str | None = None

    @property
    def is_empty(self) -> bool:
        """True when the level sets nothing."""
        return self == TargetLayer()


@dataclass(frozen=True)
class TargetChange:
    """A `[[kpi.<id>.change]]` entry: applies to periods starting on or after `from_period`."""

    from_period: Period
    layer: TargetLayer


@dataclass(frozen=True)
class KpiTargets:
    """The organisation's `[kpi.<id>]` table: its own level and its changes, oldest first."""

    base: TargetLayer = TargetLayer()
    changes: tuple[TargetChange, ...] = ()


@dataclass(frozen=True)
class SloOverride:
    """A `[slo.tier.N]` or `[slo.endpoint."name"]` table; None = left out."""

    availability: float | None = None
    latency_p95_ms: float | None = None
    window_days: int | None = None


@dataclass(frozen=True)
class OrgConfig:
    """A validated organisation config; `OrgConfig()` is the empty one (all defaults)."""

    path: Path | None = None
    kpis: Mapping[str, KpiTargets] = field(default_factory=dict, hash=False)
    slo_tiers: Mapping[int, SloOverride] = field(default_factory=dict, hash=False)
    slo_endpoints: Mapping[str, SloOverride] = field(default_factory=dict, hash=False)
    dashboard_url: str | None = None  # [dashboard] url: links in SLO notifications
    access: Any = None  # metrics.access.Access when the config has an [access] table

    @property
    def public_url(self) -> str | None:
        """Where people open the dashboard, for links sent to them: ``[dashboard] url``,
        else the sign-in's ``[access] url``."""
        return self.dashboard_url or getattr(self.access, "url", None)


def config_path_from_env(cli_value: str | Path | None,
                         environ: Mapping[str, str] | None = None) -> Path | None:
    """The --config value, else $MLKPI_CONFIG, else None (no config)."""
    value = cli_value or settings.config(environ)
    return Path(value) if value else None


def load_config(path: str | Path | None, catalog: Catalog | None = None) -> OrgConfig:
    """Read and validate the organisation's TOML; None gives the empty config."""
    if path is None:
        return OrgConfig()
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; fix --config or "
                          f"${ENV_VAR}.") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read ({exc.strerror}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}.") from None
    return _parse(data, path, catalog or load_catalog())


def _parse(data: dict[str, Any], path: Path, catalog: Catalog) -> OrgConfig:
    for key in data:
        if key not in ("kpi", "slo", "dashboard", "access"):
            raise ConfigError(f"unknown key {key} (a config has only kpi, slo, dashboard and "
                              "access tables)")
    kpis = {kpi_id: _parse_kpi(kpi_id, table, catalog)
            for kpi_id, table in _table(data, "kpi").items()}
    slo = _table(data, "slo")
    for key in slo:
        if key not in ("tier", "endpoint"):
            raise ConfigError(f"unknown key slo.{key} (use slo.tier or slo.endpoint)")
    tiers = {_tier_number(key): _parse_slo(f"slo.tier.{key}", value)
             for key, value in _table(slo, "tier", "slo.").items()}
    endpoints = {name: _parse_slo(f"slo.endpoint.{_quote(name)}", value)
                 for name, value in _table(slo, "endpoint", "slo.").items()}
    access = None
    if "access" in data:
        from metrics.access import parse_access  # it imports ConfigError from here
        access = parse_access(data["access"])
    return OrgConfig(path=path, kpis=kpis, slo_tiers=tiers, slo_endpoints=endpoints,
                     dashboard_url=_parse_dashboard(_table(data, "dashboard")), access=access)


def _parse_dashboard(table: dict[str, Any]) -> str | None:
    """``[dashboard] url = "https://kpi.example.org"``: where people open the dashboard."""
    _refuse_unknown("dashboard", table, ("url",))
    url = table.get("url")
    if url is not None and not (isinstance(url, str)
                                and re.fullmatch(r"https?://[^\s/]+(/\S*)?", url)):
        raise ConfigError("dashboard.url must be an http:// or https:// address such as "
                          "https://kpi.example.org")
    return url


def _table(data: dict[str, Any], key: str, prefix: str = "") -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{prefix}{key} must be a table")
    return value


def _quote(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else f'"{name}"'


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _parse_kpi(kpi_id: str, table: Any, catalog: Catalog) -> KpiTargets:
    name = f"kpi.{_quote(kpi_id)}"
    if kpi_id not in catalog:
        raise ConfigError(f"{name} is not a KPI of the catalog")
    if not isinstance(table, dict):
        raise ConfigError(f"{name} must be a table")
    _refuse_unknown(name, table, _KPI_KEYS)
    base = _parse_layer(name, table)
    changes = _parse_changes(name, table.get("change", []))
    _check_levels(name, catalog[kpi_id], KpiTargets(base=base, changes=changes))
    return KpiTargets(base=base, changes=_sorted_changes(name, changes))


def _refuse_unknown(name: str, table: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"unknown key {name}.{_quote(key)}")


def _parse_layer(name: str, table: dict[str, Any]) -> TargetLayer:
    layer = TargetLayer()
    if "target" in table:
        if not _is_number(table["target"]):
            raise ConfigError(f"{name}.target must be a number")
        layer = replace(layer, target=table["target"])
    if "stretch" in table:
        stretch = table["stretch"]
        if stretch is False:
            layer = replace(layer, remove_stretch=True)
        elif _is_number(stretch):
            layer = replace(layer, stretch=stretch)
        else:
            raise ConfigError(f"{name}.stretch must be a number (or false to remove it)")
    if "op" in table:
        if table["op"] not in OPS:
            raise ConfigError(f"{name}.op must be one of '>=', '<=', '<', '>'")
        layer = replace(layer, op=table["op"])
    return layer


def _parse_changes(name: str, entries: Any) -> tuple[TargetChange, ...]:
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{name}.change must be an array of tables ([[{name}.change]])")
    changes: list[TargetChange] = []
    for number, entry in enumerate(entries, start=1):
        label = f"{name}.change[{number}]"
        _refuse_unknown(label, entry, _CHANGE_KEYS)
        changes.append(TargetChange(_parse_from(label, entry), _parse_layer(label, entry)))
    return tuple(changes)


def _sorted_changes(name: str, changes: tuple[TargetChange, ...]) -> tuple[TargetChange, ...]:
    ordered = sorted(changes, key=lambda change: change.from_period.start)
    for earlier, later in itertools.pairwise(ordered):
        if earlier.from_period.start == later.from_period.start:
            raise ConfigError(f"{name}.change has two entries starting at "
                              f"{later.from_period.start_iso}; keep one")
    return tuple(ordered)


def _parse_from(label: str, entry: dict[str, Any]) -> Period:
    if "from" not in entry:
        raise ConfigError(f"{label}.from is missing; give the first period it applies to, "
                          f"e.g. from = \"2026Q3\"")
    try:
        return parse_period(entry["from"] if isinstance(entry["from"], str) else "?")
    except PeriodError:
        raise ConfigError(f"{label}.from must be a period such as 2026Q3, 2026-08 or "
                          f"2026-W32") from None


def apply_layer(level: tuple[str, float, float | None], layer: TargetLayer
           ) -> tuple[str, float, float | None]:
    """(op, value, stretch) of the level below, with what `layer` sets on top."""
    op, value, stretch = level
    if layer.remove_stretch:
        stretch = None
    elif layer.stretch is not None:
        stretch = layer.stretch
    return (layer.op or op,
            value if layer.target is None else layer.target,
            stretch)


def _check_levels(name: str, kpi: KPI, targets: KpiTargets) -> None:
    default = (kpi.target.op, kpi.target.value, kpi.target.stretch)
    base = apply_layer(default, targets.base)
    _check_level(name, kpi, base)
    for number, change in enumerate(targets.changes, start=1):
        _check_level(f"{name}.change[{number}]", kpi, apply_layer(base, change.layer))


def _check_level(name: str, kpi: KPI, level: tuple[str, float, float | None]) -> None:
    op, value, stretch = level
    if op not in OPS_FOR[kpi.direction]:
        allowed = " or ".join(f"'{o}'" for o in OPS_FOR[kpi.direction])
        raise ConfigError(f"{name}.op must be {allowed} because {kpi.direction} is better "
                          f"for {kpi.id}")
    if stretch is not None and not stretch_beyond(op, value, stretch):
        side = "above" if op in (">=", ">") else "below"
        raise ConfigError(f"{name}.stretch {stretch:g} must be {side} the target {value:g} "
                          f"for op '{op}' (or set stretch = false)")


def _tier_number(key: str) -> int:
    if key not in {str(t) for t in TIERS}:
        raise ConfigError(f"slo.tier.{_quote(key)} is not a tier; use slo.tier.{TIERS_TEXT}")
    return int(key)


def _parse_slo(name: str, table: Any) -> SloOverride:
    if not isinstance(table, dict):
        raise ConfigError(f"{name} must be a table")
    _refuse_unknown(name, table, _SLO_KEYS)
    availability = table.get("availability")
    if availability is not None and not (_is_number(availability) and 0 < availability < 100):
        raise ConfigError(f"{name}.availability must be between 0 and 100 (exclusive)")
    latency = table.get("latency_p95_ms")
    if latency is not None and not (_is_number(latency) and latency > 0):
        raise ConfigError(f"{name}.latency_p95_ms must be a number greater than 0")
    days = table.get("window_days")
    if days is not None and not (type(days) is int and 1 <= days <= 90):
        raise ConfigError(f"{name}.window_days must be a whole number of days from 1 to 90")
    return SloOverride(availability=availability, latency_p95_ms=latency, window_days=days)
