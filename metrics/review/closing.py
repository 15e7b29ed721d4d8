"""Closed quarters in reports: the hook that decorates a ``kpi_report`` with its closed
figures, and the close / reopen actions (spec: review.md, "Closing a quarter").

    report = with_closed(kpi_report(db, q3), db)
    report["kpis"][0]["closed"]    # {"value": 8.67, "status": "ahead", "at": "2026-10-05…"}
    report["kpis"][0]["restated"]  # True when the figure moved since the close
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

from metrics.catalog import load_catalog
from metrics.errors import MlkpiError
from metrics.periods import Period, parse_period
from metrics.review import wording
from metrics.store import closes
from metrics.store.closes import Closure


class CloseError(MlkpiError, ValueError):
    """A quarter that cannot be closed or reopened, said in one sentence."""


def with_closed(report: dict, db: Path) -> dict:
    """`report` (a kpi_report), with ``closed``/``restated`` per KPI when its quarter and
    scope is closed; unchanged otherwise (months, weeks, open quarters)."""
    period = parse_period(report["period"])
    if period.grain != "quarter":
        return report
    team, tier = report["scope"]["team"], report["scope"]["tier"]
    closed = closes.closure(db, period.label, team, tier)
    if closed is None:
        return report
    kinds = sorted({kind for kpi in load_catalog().values() for kind in kpi.sources})
    late = closes.late_events(db, closed, period, team, tier, kinds)
    return mark_closed(report, closed, late)


def mark_closed(report: dict, closed: Closure, late: dict[str, int]) -> dict:
    """Pure: add ``closed``, ``restated`` and, when restated, ``restated_reason`` per KPI;
    ``closed_at``/``closed_by`` at the top."""
    catalog = load_catalog()
    kpis = []
    for kpi in report["kpis"]:
        frozen = closed.figures.get(kpi["id"])
        if frozen is None:  # a KPI added to the catalog after the close
            kpis.append(kpi)
            continue
        entry = {**kpi, "closed": {"value": frozen["value"], "status": frozen["status"],
                                   "sample_size": frozen["sample_size"],
                                   "target": frozen["target"], "at": closed.at_iso}}
        entry["restated"] = moved(frozen, kpi)
        if entry["restated"]:
            sources = catalog[kpi["id"]].sources if kpi["id"] in catalog else ()
            entry["restated_reason"] = reason({k: late[k] for k in sources if k in late})
        kpis.append(entry)
    return {**report, "closed_at": closed.at_iso, "closed_by": closed.by, "kpis": kpis}


def moved(frozen: dict, now: dict) -> bool:
    """Whether the recomputed figure differs from the frozen one (value or sample size)."""
    a, b = frozen.get("value"), now.get("value")
    if (a is None) != (b is None):
        return True
    if a is not None and not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
        return True
    return (frozen.get("sample_size") or 0) != (now.get("sample_size") or 0)


def reason(late: dict[str, int]) -> str:
    """'late events: 4 deployments ingested after close' (several kinds joined by ', ')."""
    if not late:
        return "recomputed since the close without late events (a changed configuration?)"
    parts = [wording.plural(n, kind.replace("_", " ")) for kind, n in sorted(late.items())]
    return f"late events: {', '.join(parts)} ingested after close"


def close(db: Path, report: dict, notes: list[dict], by: str,
          at: datetime | None = None) -> bool:
    """Freeze a complete quarter's `report` (kpi_report) and `notes`; False when the
    quarter and scope was already closed."""
    period = closable(report["period"])
    if not report.get("complete", True):
        raise CloseError(f"{period.label} is still running; close it once it has ended.")
    figures = [{"id": k["id"], "value": k["value"], "sample_size": k["sample_size"],
                "target": k["target"], "status": k["status"]} for k in report["kpis"]]
    kept = [{key: n.get(key) for key in ("kpi", "text", "author", "written_at")}
            for n in notes]
    scope = report["scope"]
    return closes.close_quarter(db, period.label, scope["team"], scope["tier"], by=by,
                                figures=figures, notes=kept, at=at)


def reopen(db: Path, period: str, team: str | None, tier: int | None, by: str,
           at: datetime | None = None) -> bool:
    """Record that a closed quarter is open again; False when it was not closed."""
    return closes.reopen_quarter(db, closable(period).label, team, tier, by=by, at=at)


def closable(label: str) -> Period:
    period = parse_period(label)
    if period.grain != "quarter":
        raise CloseError(f"only a quarter can be closed, not the {period.grain} "
                         f"{period.label}; use a quarter like 2026Q3.")
    return period
