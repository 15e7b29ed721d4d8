"""Status of a KPI value against its resolved target (spec: kpis.md, "Targets and status").

Status, in this order: no_data, no_baseline, ahead (stretch met), on_track (target met),
off_track. A relative target compares the change in percent against the baseline:

    >>> target = ResolvedTarget("relative", "<=", -20, -40, "year", 4, "default", None)
    >>> evaluate(45.0, target, 60.0)       # change = 100 × (45 − 60) ÷ 60 = −25
    Evaluation(status='on_track', change=-25.0)
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

from metrics.catalog import KPI
from metrics.config import KpiTargets, OrgConfig, apply_layer
from metrics.periods import Period, baseline_periods

STATUSES = ("ahead", "on_track", "off_track", "no_data", "no_baseline")  # words: present.py
_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
# Floating-point slack so that 100 × (0.8 − 1.0) ÷ 1.0 = −19.999999999999996 meets "<= −20".
_RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ResolvedTarget:
    """The target that applies to one KPI in one period."""

    kind: str
    op: str
    value: float
    stretch: float | None
    baseline: str | None
    baseline_periods: int | None
    source: str
    from_period: str | None

    def to_json(self) -> dict[str, Any]:
        """{"kind": "relative", "op": "<=", "value": -20, "stretch": -40,
        "baseline_periods": 4, "source": "default", "from": None}"""
        return {"kind": self.kind, "op": self.op, "value": self.value,
                "stretch": self.stretch, "baseline_periods": self.baseline_periods,
                "source": self.source, "from": self.from_period}


def resolve_target(kpi: KPI, period: Period, config: OrgConfig) -> ResolvedTarget:
    """The target of `kpi` for `period`: the newest change started on or before the
    period's start, over the organisation's own level, over the catalog default.

    With ``target = 80`` and a change ``from = "2026Q3", target = 90``: 2026Q2 -> 80,
    2026-08 -> 90 (from "2026Q3").
    """
    org = config.kpis.get(kpi.id, KpiTargets())
    level = apply_layer((kpi.target.op, kpi.target.value, kpi.target.stretch), org.base)
    applied = [c for c in org.changes if c.from_period.start <= period.start]
    change = applied[-1] if applied else None
    if change is not None:
        level = apply_layer(level, change.layer)
    op, value, stretch = level
    baseline = kpi.target.baseline
    return ResolvedTarget(
        kind=kpi.target.kind, op=op, value=value, stretch=stretch, baseline=baseline,
        baseline_periods=baseline_periods(period.grain, baseline) if baseline else None,
        source="organisation" if change or not org.base.is_empty else "default",
        from_period=change.from_period.label if change else None)



@dataclass(frozen=True)
class Evaluation:
    """A status word of STATUSES, and the change in % (relative targets with a baseline)."""

    status: str
    change: float | None = None


def meets(x: float, op: str, threshold: float) -> bool:
    """`x op threshold`, with a tiny float tolerance: meets(99.9, '>=', 99.9) is True,
    meets(0.0, '<', 0) is False."""
    slack = _RELATIVE_TOLERANCE * max(1.0, abs(threshold))
    if op in (">=", "<="):
        nearly_equal = abs(x - threshold) <= slack
        return nearly_equal or _OPS[op](x, threshold)
    if op in (">", "<"):
        return abs(x - threshold) > slack and _OPS[op](x, threshold)
    raise ValueError(f"'{op}' is not an operator; use '>=', '<=', '<' or '>'.")


def change_percent(value: float, baseline: float) -> float:
    """100 × (value − baseline) ÷ baseline: (45, 60) -> −25.0."""
    return 100 * (value - baseline) / baseline


def evaluate(value: float | None, target: ResolvedTarget,
             baseline_value: float | None) -> Evaluation:
    """Status of `value` against `target`; `baseline_value` is used by relative targets only."""
    if value is None:
        return Evaluation("no_data")
    if target.kind == "relative":
        if baseline_value is None or baseline_value == 0:
            return Evaluation("no_baseline")
        change = change_percent(value, baseline_value)
        return Evaluation(_status(change, target), change)
    return Evaluation(_status(value, target))


def _status(x: float, target: ResolvedTarget) -> str:
    if target.stretch is not None and meets(x, target.op, target.stretch):
        return "ahead"
    return "on_track" if meets(x, target.op, target.value) else "off_track"
