"""How the review pack words numbers, targets, statuses and changes for people: the one
small place to swap for a shared formatter.

    number(99.934, "%")              # '99.93 %'
    target({"kind": "absolute", "op": ">=", "value": 80, "stretch": 95}, "%")
                                     # '≥ 80 % (stretch 95 %)'
    change(2.25, "%")                # '+2.2 pp'  (a percentage moves in points)
    change(-0.0364, "minutes")       # '−0.04 %'
    status("off_track")              # 'Off track'
"""

from __future__ import annotations

import math
from datetime import datetime

from metrics.kpi.targets import STATUS_LABELS

DASH = "–"
OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
_SYMBOLS = {"ahead": "▲", "on_track": "✓", "off_track": "✗", "no_data": DASH,
            "no_baseline": "○"}


def missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def plain(value: float) -> str:
    """41.5 → '41.5'; 1234.5 → '1,234'; 0.01767 → '0.0177'; 8.6666 → '8.67'."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if 0 < abs(value) < 1:
        return f"{value:.3g}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def number(value: float | None, unit: str = "") -> str:
    """A value with its unit: '99.93 %', '42 minutes', '4.1 score (1–5)'; '–' for none."""
    if missing(value):
        return DASH
    text = plain(float(value))
    if not unit:
        return text
    if unit.startswith("%"):
        return f"{text} {unit}"
    if unit == "USD":
        return f"${text}"
    return f"{text} {unit}"


def target(spec: dict | None, unit: str) -> str:
    """'≥ 80 % (stretch 95 %)'; a relative target: 'change ≤ −20 % vs 4 periods earlier'."""
    if not spec or missing(spec.get("value")):
        return "no target"
    op = OPS.get(spec.get("op") or "", spec.get("op") or "")
    relative = spec.get("kind") == "relative"
    shown_unit = "%" if relative else unit
    text = f"{'change ' if relative else ''}{op} {number(spec['value'], shown_unit)}"
    if not missing(spec.get("stretch")):
        text += f" (stretch {number(spec['stretch'], shown_unit)})"
    return text


def change(delta: float | None, unit: str) -> str:
    """A change against an earlier period: points for a percentage KPI, % otherwise, to one
    decimal (two below 1): '+3.0 pp', '−25.0 %', '−0.04 %'; 'no change' when it rounds to
    zero; '–' when there is nothing to compare."""
    if missing(delta):
        return DASH
    size = abs(float(delta))
    text = f"{size:,.1f}" if size >= 1 else f"{size:.2f}"
    if float(text.replace(",", "")) == 0:
        return "no change"
    suffix = "pp" if unit.startswith("%") else "%"
    return f"{'+' if delta > 0 else '−'}{text} {suffix}"


def status(word: str | None) -> str:
    """'On track', 'Off track', 'No data'."""
    return STATUS_LABELS.get(word or "no_data", word or "no data")


def status_mark(word: str | None) -> str:
    """'✓ On track' — never colour alone."""
    return f"{_SYMBOLS.get(word or 'no_data', '?')} {status(word)}"


def stale(flag: bool) -> str:
    return "stale" if flag else "fresh"


def when(iso: str | datetime | None) -> str:
    """'2026-11-24T22:00:00Z' → '2026-11-24 22:00 UTC'."""
    if iso is None:
        return DASH
    ts = iso if isinstance(iso, datetime) else datetime.fromisoformat(
        str(iso).replace("Z", "+00:00"))
    return ts.strftime("%Y-%m-%d %H:%M UTC")


def plural(n: int, word: str) -> str:
    """plural(1, 'deployment') → '1 deployment'; plural(4, 'deployment') → '4 deployments';
    plural(2, 'model inventory') → '2 model inventories'."""
    if n == 1:
        return f"1 {word}"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return f"{n} {word[:-1]}ies"
    return f"{n} {word}s"
