"""How the review pack words figures for people: ``metrics.present`` (the one formatter
of the CLI, the dashboard and the reports), plus what only the review says — a change
against an earlier quarter in points or %, the data's freshness, counted nouns.

    number(99.934, "%")              # '99.934 %'   (present.quantity)
    change(2.25, "%")                # '+2.2 pp'    (a percentage moves in points)
    change(-0.0364, "minutes")       # '−0.04 %'
    status("off_track")              # 'Off track'
"""

from __future__ import annotations

from metrics import present

DASH = present.MISSING
OPS = present.OP_SYMBOLS
missing = present.missing
plain = present.number        # 8.666 → '8.67'; the unit only picks the rounding
number = present.quantity     # 8.666, 'hours' → '8.67 hours'
status_mark = present.status_text  # '✓ On track': never colour alone
when = present.instant        # '2026-11-24 22:00 UTC'


def target(spec: dict | None, unit: str) -> str:
    """'≥ 80 % (stretch 95 %)'; 'change ≤ -20 % vs a year earlier (stretch -40 %)'."""
    return present.kpi_target(spec, unit)


def status(word: str | None) -> str:
    """'On track', 'Off track', 'No data'."""
    return present.STATUS_LABELS.get(word or "no_data", word or "no data")


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


def stale(flag: bool) -> str:
    return "stale" if flag else "fresh"


def plural(n: int, word: str) -> str:
    """plural(1, 'deployment') → '1 deployment'; plural(4, 'deployment') → '4 deployments';
    plural(2, 'model inventory') → '2 model inventories'."""
    if n == 1:
        return f"1 {word}"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return f"{n} {word[:-1]}ies"
    return f"{n} {word}s"
