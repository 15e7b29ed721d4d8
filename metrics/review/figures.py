"""The figures of a quarterly review pack, gathered once for every renderer.

    pack = build_pack(db, parse_period("2026Q3"))
    pack.rows[0].value, pack.rows[0].qoq      # 8.67, +1.2 (points for a % KPI, % otherwise)
    pack.trends["cicd_coverage"]              # 8 quarters: label, value, target, stretch ...

``build_pack`` reads the store (the KPI report, the quarterly series, the notes, the close);
``rows`` and everything after it are pure functions of what it read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from metrics.config import OrgConfig
from metrics.errors import MlkpiError
from metrics.periods import Period
from metrics.review.closing import with_closed

TREND_QUARTERS = 8
YEAR = 4  # quarters


class ReviewError(MlkpiError, ValueError):
    """A review that cannot be made, said in one sentence."""


@dataclass(frozen=True)
class Row:
    """One KPI of the review: the quarter's figure (the closed one when the quarter is
    closed), the earlier quarters it is compared with, and its restatement if any."""

    id: str
    name: str
    family: str
    unit: str
    value: float | None
    target: dict | None
    status: str
    sample_size: int
    stale: bool
    provisional: bool
    pace: bool
    org_wide: bool
    previous_value: float | None
    previous_status: str | None
    year_value: float | None
    qoq: float | None
    yoy: float | None
    recomputed: float | None = None
    restated: bool = False
    reason: str | None = None

    @property
    def changed(self) -> bool:
        """A change of status since the previous quarter; never a provisional one."""
        return (not self.provisional and self.previous_status is not None
                and self.previous_status != self.status)


@dataclass(frozen=True)
class Pack:
    period: Period
    scope: dict
    complete: bool
    as_of: str
    elapsed: float
    rows: list[Row]
    trends: dict[str, list[dict]]
    notes: list[dict]
    closed_at: str | None = None
    closed_by: str | None = None
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"))

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def previous(self) -> str:
        return self.period.shift(-1).label

    @property
    def year_before(self) -> str:
        return self.period.shift(-YEAR).label

    @property
    def scope_text(self) -> str:
        """'whole organisation', 'team search', 'team search, tier 1'."""
        parts = []
        if self.scope.get("team"):
            parts.append(f"team {self.scope['team']}")
        if self.scope.get("tier") is not None:
            parts.append(f"tier {self.scope['tier']}")
        return ", ".join(parts) or "whole organisation"

    @property
    def restated(self) -> list[Row]:
        return [row for row in self.rows if row.restated]


def quarter(period: Period) -> Period:
    if period.grain != "quarter":
        raise ReviewError(f"the review covers a whole quarter, not the {period.grain} "
                          f"{period.label}; use a quarter like 2026Q3, or latest.")
    return period


def build_pack(db: Path, period: Period, team: str | None = None, tier: int | None = None,
               config: OrgConfig | None = None, now: datetime | None = None,
               backend: str | None = None) -> Pack:
    """Everything a review of `period` (a quarter) and scope shows: the figures computed by
    ``backend`` (an engine URL; None: the store), the notes and any close from the store."""
    from metrics.kpi.report import kpi_report, kpi_series

    period = quarter(period)
    now = now or datetime.now(UTC)
    report = with_closed(kpi_report(db, period, team, tier, config, now=now,
                                    backend=backend), db)
    series = kpi_series(db, period, n=TREND_QUARTERS, team=team, tier=tier, config=config,
                        grain="quarter", now=now, backend=backend)
    trends = trend_points(series.to_dict("records"))
    notes = report_notes(db, report, team, tier)
    return Pack(period, report["scope"], report["complete"], report["as_of"],
                report["elapsed"], rows(report, trends, period), trends, notes,
                report.get("closed_at"), report.get("closed_by"))


def report_notes(db: Path, report: dict, team: str | None, tier: int | None) -> list[dict]:
    """The notes of the quarter: as they stood at the close for a closed quarter, else the
    latest version of each (kpi, text, author, written_at). The one read of the notes."""
    from metrics.store import closes
    from metrics.store.notes import notes_for, notes_path

    if report.get("closed_at"):
        closed = closes.closure(db, report["period"], team, tier)
        if closed is not None:
            return closed.notes
    return notes_for(notes_path(db), report["period"], team, tier)


def trend_points(records: list[dict]) -> dict[str, list[dict]]:
    """kpi_series records → {kpi: [{label, value, target, stretch, change, status,
    provisional}, …]} oldest first, NaN turned to None."""
    out: dict[str, list[dict]] = {}
    for r in records:
        out.setdefault(r["kpi"], []).append({
            "label": str(r["period"]), "value": _num(r["value"]), "target": _num(r["target"]),
            "stretch": _num(r["stretch"]), "change": _num(r["change"]),
            "status": r["status"], "provisional": bool(r["provisional"])})
    return out


def rows(report: dict, trends: dict[str, list[dict]], period: Period) -> list[Row]:
    """Pure: one Row per KPI of `report`, in catalog order."""
    previous, year = period.shift(-1).label, period.shift(-YEAR).label
    out = []
    for kpi in report["kpis"]:
        points = {p["label"]: p for p in trends.get(kpi["id"], [])}
        before, last_year = points.get(previous, {}), points.get(year, {})
        closed = kpi.get("closed")
        figure = closed or kpi
        value = figure["value"]
        out.append(Row(
            id=kpi["id"], name=kpi["name"], family=kpi.get("family", ""), unit=kpi["unit"],
            value=value, target=figure.get("target") or kpi.get("target"),
            status=figure["status"], sample_size=int(figure.get("sample_size") or 0),
            stale=bool((kpi.get("freshness") or {}).get("stale")),
            provisional=bool(kpi.get("provisional")), pace=bool(kpi.get("pace")),
            org_wide=_org_wide(report, kpi),
            previous_value=before.get("value"), previous_status=before.get("status"),
            year_value=last_year.get("value"),
            qoq=change(value, before.get("value"), kpi["unit"]),
            yoy=change(value, last_year.get("value"), kpi["unit"]),
            recomputed=kpi["value"] if closed else None,
            restated=bool(kpi.get("restated")), reason=kpi.get("restated_reason")))
    return out


def change(value: float | None, before: float | None, unit: str) -> float | None:
    """The change against an earlier value: in points for a percentage KPI (81 % after
    78 %: +3), in % otherwise (45 h after 60 h: −25); None without both or from zero."""
    if value is None or before is None:
        return None
    if unit.startswith("%"):
        return value - before
    if before == 0:
        return None
    return 100.0 * (value - before) / abs(before)


def _org_wide(report: dict, kpi: dict) -> bool:
    scope = report["scope"]
    return ((scope.get("team") is not None and not kpi.get("team_filter_applied"))
            or (scope.get("tier") is not None and not kpi.get("tier_filter_applied")))


def _num(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if number != number else number
