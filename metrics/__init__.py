"""mlkpi's engine: events in, KPIs and SLOs against targets out. Never imports the UI.

The public API, imported on first use so that ``import metrics`` stays instant::

    from metrics import kpi_report, parse_period
    report = kpi_report(Path("mlkpi.duckdb"), parse_period("2026Q3"), team="search")

Each flow has its folder: ``store/`` (the DuckDB file, snapshots, health, notes),
``ingest/`` (files → validated rows), ``kpi/`` (catalog KPIs, one formula module per
family), ``slo/`` (objectives, burn rates, alerts), ``sql/`` (compiled query templates),
``sample/`` (the demo's events) and ``cli/`` (the ``mlkpi`` command). The shared core
stays flat: ``events`` (the contract), ``periods``, ``catalog``, ``config``, ``errors``,
``settings``.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "KINDS": "metrics.events",
    "MlkpiError": "metrics.errors",
    "Period": "metrics.periods",
    "parse_period": "metrics.periods",
    "load_catalog": "metrics.catalog",
    "load_config": "metrics.config",
    "ingest_files": "metrics.ingest",
    "kpi_report": "metrics.kpi.report",
    "kpi_series": "metrics.kpi.report",
    "kpi_events": "metrics.kpi.report",
    "slo_report": "metrics.slo.report",
    "status_report": "metrics.store.health",
    "data_freshness": "metrics.store.health",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'metrics' has no attribute '{name}'")
    return getattr(importlib.import_module(_HOMES[name]), name)
