"""What deployment sources share: production environments, rollbacks, the common columns."""

from __future__ import annotations

from datetime import datetime
from fnmatch import fnmatchcase
from functools import lru_cache

from metrics.importers.base import Rec, Row, path_get
from metrics.importers.rules import Mapper

DEFAULT_PRODUCTION = ("prod*",)


def production_patterns(mapper: Mapper) -> tuple[str, ...]:
    """The map's ``[deployment] production`` patterns (default ``prod*``), lower-cased."""
    given = mapper.map.get("deployment.production")
    patterns = (given,) if isinstance(given, str) else tuple(given or DEFAULT_PRODUCTION)
    return tuple(p.strip().lower() for p in patterns)


def is_production(environment: object, patterns: tuple[str, ...]) -> bool:
    """``is_production("Production", ("prod*",))`` → True; case is ignored."""
    return isinstance(environment, str) and _matches(environment, patterns)


@lru_cache(maxsize=4096)  # a few environment names, asked once per status
def _matches(environment: str, patterns: tuple[str, ...]) -> bool:
    env = environment.strip().lower()
    return bool(env) and any(fnmatchcase(env, p) for p in patterns)


def is_rollback(rec: Rec, mapper: Mapper) -> bool:
    """True when a field the map's ``[deployment] rollback`` names has the value it gives
    (a shell pattern, case ignored): ``rollback = { task = "deploy:rollback" }`` or
    ``{ commit_title = "Revert*" }``. Without that table, no deployment is a rollback."""
    for name, wanted in mapper.once("rollback", lambda: _rollback_conditions(mapper)):
        found = rec.fields.get(name, path_get(rec.data, name))
        if found is not None and _like(str(found), wanted):
            return True
    return False


def _rollback_conditions(mapper: Mapper) -> tuple[tuple[str, str], ...]:
    conditions = mapper.map.get("deployment.rollback") or {}
    return tuple((name, str(wanted)) for name, wanted in conditions.items())


@lru_cache(maxsize=4096)  # a few task names and titles' patterns, asked per deployment
def _like(value: str, pattern: str) -> bool:
    return fnmatchcase(value.strip().lower(), pattern.strip().lower())


_DEPLOYMENT_RULES = (("team", None, False), ("model", None, False), ("tier", None, False),
                     ("spec_approved_at", "deployment.spec_approved_at", True),
                     ("automated", "deployment.automated", False))


def deployment_row(rec: Rec, mapper: Mapper, deployment_id: str,
                   deployed_at: datetime) -> Row:
    """A deployment row: the source gives the id and time; the map gives the rest."""
    ev = mapper.event("deployment", rec, deployment_id)
    ev.values["deployment_id"] = deployment_id
    mapper.plan(*_DEPLOYMENT_RULES).fill(ev)
    ev.values["deployed_at"] = deployed_at
    ev.values["rollback"] = is_rollback(rec, mapper)
    return ev.row()
