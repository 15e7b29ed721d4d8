"""What a KPI computation reads, without importing ibis: the engine, the scope, the
catalog (formula params) and the organisation's config. The ibis backend is made only
when a formula is built (a query not compiled yet, see ``metrics.sql.templates``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from metrics.catalog import Catalog
from metrics.config import OrgConfig
from metrics.sql.engine import Engine, as_engine


@dataclass(frozen=True)
class Scope:
    """Scope(team=None, tier=None) is the whole org; Scope("search", 1) search's tier 1."""

    team: str | None = None
    tier: int | None = None


@dataclass(frozen=True)
class Result:
    """A KPI's value in one period and what it stands on; value None = no data."""

    value: float | None
    sample_size: int


NO_DATA = Result(None, 0)


@dataclass
class Ctx:
    """What a formula may read: the engine (or a store connection, wrapped in one), the
    scope, the catalog (params), the config."""

    engine: Engine | duckdb.DuckDBPyConnection
    scope: Scope
    catalog: Catalog
    config: OrgConfig
    memo: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.engine = as_engine(self.engine)

    @property
    def backend(self) -> Any:
        """The engine's ibis backend, made on first use."""
        return self.engine.backend

    def table(self, kind: str):
        """The kind's ibis table, its schema read once per context."""
        if kind not in self.memo:
            self.memo[kind] = self.engine.table(kind)
        return self.memo[kind]

    def param(self, kpi_id: str, name: str, default: float) -> float:
        return float(self.catalog[kpi_id].params.get(name, default))
