"""After an ingest: compute the views people open first, and compile the queries they ask for.

``mlkpi ingest`` calls ``prepare`` once the batch is stored. Two things are kept:

* **answers** (``metrics.sql.answers``), for the new content: the KPI report and the
  8-quarter series of the default quarter (``metrics.periods.default_period``: what the
  dashboard and ``mlkpi kpis`` show first), and the SLO report, each for the whole
  organisation. The dashboard's first page after a start, and the first ``mlkpi kpis``,
  then read rows instead of scanning the store (the "to date" and stale flags are still
  applied at the moment of asking).
* **templates** (``metrics.sql.templates``): a query shape's first run imports ibis and
  compiles its SQL, ~1 s on top of the query itself. The same reports are also compiled
  for the quarter holding today, the quarter before it and the quarter holding the
  newest event, so that those run from templates.

Once a report has run its queries from templates for a code version, a config and a set
of kinds holding data (whether a kind is empty can change a query's shape), a marker in
the template cache says so and later ingests skip it, unless it is one whose answers are
kept: those run after every ingest, since the content changed. A skipped step costs
nothing; with ``MLKPI_ANSWERS=0`` only templates are prepared.

Preparing never changes what was stored and never fails an ingest: a problem here only
costs the next command its time (it is logged at INFO, so it prints nothing).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from pathlib import Path

from metrics import settings
from metrics.config import OrgConfig
from metrics.periods import Period, default_period, period_containing
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
    """Run (and so compile, and keep the answers of) the reports above on ``db``; returns
    those that ran queries, e.g. ``['kpis 2026Q3', 'series 2026Q3', 'kpis 2026Q4',
    'series 2026Q4', 'slo']`` (a report already answered for this content, or compiled and
    not kept, is not run again). Never raises: a failure is logged and the remaining
    reports are still prepared."""
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
    default = default_period(span[0], span[1], now)
    quarters = [default, *(q for q in quarters_to_prepare(now, span[1]) if q != default)]
    jobs = [(f"{what} {q.label}", what, q) for q in quarters
            for what in ("kpis", "series")] + [("slo", "slo", None)]
    answered = {"slo", f"kpis {default.label}", f"series {default.label}"}
    keep = settings.answers()
    # the reports (and ibis: 0.5 s) are imported only when one is to be run
    jobs = [(name, what, q, _marker(config, kinds, name)) for name, what, q in jobs]
    jobs = [job for job in jobs if (keep and job[0] in answered) or not job[3].exists()]
    for name, what, quarter, marker in jobs:
        before = fetch_count()
        try:
            _run(db, what, quarter, config)
        except Exception:  # noqa: BLE001 - same: the command that needs it compiles it
            log.info("could not prepare the %s query", name, exc_info=True)
            continue
        if fetch_count() > before:  # it ran queries: compiled now, and answered if kept
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
    elif what == "series":  # the rows the frame is made of: no pandas here
        from metrics.kpi.report import series_rows
        series_rows(db, quarter, n=8, config=config, grain="quarter")
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
