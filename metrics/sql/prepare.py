"""After an ingest: compile the queries people ask for first, while the data is new.

A query shape's first run imports ibis and compiles its SQL (``metrics.sql.templates``), ~1 s
on top of the query itself; later runs of the same shape bind their values into the kept
template and need no ibis. ``mlkpi ingest`` calls ``prepare`` once the batch is stored,
so that the first ``mlkpi kpis`` and ``mlkpi slo`` after it (and the same reports in the
dashboard) start from templates:

* the KPI report of the quarter holding today, of the quarter before it (the dashboard's
  default view) and, for a store whose newest event is older, of the quarter holding
  that event, each for the whole organisation, and the 8 quarters up to each (the series
  behind the scorecard's tiles and the quarterly review's table);
* the SLO report at the newest SLI window, for the whole organisation.

Once a report has run its queries from templates for a code version, a config and a set
of kinds holding data (whether a kind is empty can change a query's shape), a marker in
the template cache says so and later ingests skip it (a report that ran no compiled query
is not marked). A skipped step costs two small reads of the store. Templates are shapes,
not answers: the figures are computed afresh on each call.

Preparing never changes what was stored and never fails an ingest: a problem here only
costs the next command its compile time (it is logged at INFO, so it prints nothing).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from pathlib import Path

from metrics.config import OrgConfig
from metrics.periods import Period, period_containing
from metrics.sql.templates import cache_dir, code_version, fetch_count

log = logging.getLogger("mlkpi.prepare")


def quarters_to_prepare(now: datetime, newest: datetime | None) -> list[Period]:
    """The quarter holding ``now``, the one before, and the one holding ``newest`` (the
    newest event), without repeats; newest first."""
    current = period_containing(now, "quarter")
    out = [current, current.shift(-1)]
    if newest is not None:
        holding = period_containing(newest, "quarter")
        if holding not in out:
            out.append(holding)
    return out


def prepare(db: Path, config: OrgConfig | None = None, now: datetime | None = None
            ) -> list[str]:
    """Run (and so compile) the reports above on ``db``; returns what was prepared, e.g.
    ``['kpis 2026Q4', 'series 2026Q4', 'kpis 2026Q3', 'series 2026Q3', 'slo']``. Never
    raises: a failure is logged and the remaining reports are still prepared."""
    from metrics.store.health import event_span, stored_kinds

    config = config or OrgConfig()
    now = now or datetime.now(UTC)
    done: list[str] = []
    try:
        span, kinds = event_span(db), stored_kinds(db)
    except Exception:  # noqa: BLE001 - preparing is an optimisation, never an ingest failure
        log.info("could not read the store to prepare its queries", exc_info=True)
        return done
    if span is None:
        return done
    jobs = [(f"{what} {q.label}", what, q) for q in quarters_to_prepare(now, span[1])
            for what in ("kpis", "series")] + [("slo", "slo", None)]
    # the reports (and ibis, and pandas: 0.45 s) are imported only when one is not prepared
    jobs = [(name, what, q, marker) for name, what, q in jobs
            if not (marker := _marker(config, kinds, name)).exists()]
    for name, what, quarter, marker in jobs:
        before = fetch_count()
        try:
            _run(db, what, quarter, config)
        except Exception:  # noqa: BLE001 - same: the command that needs it compiles it
            log.info("could not prepare the %s query", name, exc_info=True)
            continue
        if fetch_count() > before:
            _touch(marker)
        done.append(name)
    return done


def _run(db: Path, what: str, quarter: Period | None, config: OrgConfig) -> None:
    """One report for the whole organisation: ``kpis`` (the quarter's KPI report),
    ``series`` (the 8 quarters up to it, as the scorecard's tiles and the quarterly review
    ask for them) or ``slo``."""
    if what == "slo":
        from metrics.slo.report import slo_report
        slo_report(db, config=config)
    elif what == "series":
        from metrics.kpi.report import kpi_series
        kpi_series(db, quarter, n=8, config=config, grain="quarter")
    else:
        from metrics.kpi.report import kpi_report
        kpi_report(db, quarter, config=config)


def _marker(config: OrgConfig, kinds: list[str], job: str) -> Path:
    key = repr((code_version(), repr(config), kinds, job))
    return cache_dir() / "prepared" / hashlib.sha256(key.encode()).hexdigest()[:32]


def _touch(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError:  # an unwritable cache only means preparing again next time
        pass
