"""Alert arithmetic of slo.md, pure: no store, no queries, only numbers in and out.

The multiwindow, multi-burn-rate rules of the SRE Workbook are data (``ALERT_RULES``);
each threshold scales with the compliance window as budget share × window ÷ long
look-back, so the same rules serve 7, 28, 30 or 90 days:

    page 1h/5m, 2 % of the budget:  30 days → 2 % × 720 h ÷ 1 h = 14.4
                                    28 days → 2 % × 672 h ÷ 1 h = 13.44
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# the look-backs reported, in seconds (slo.md "Look-backs reported")
LOOKBACKS: dict[str, int] = {"5m": 300, "30m": 1800, "1h": 3600, "2h": 7200,
                             "6h": 21600, "1d": 86400, "3d": 259200}
# alert states, most severe first (the report sorts by this)
SEVERITY = {"page": 0, "ticket": 1, "ok": 2, "no_data": 3}
# Floating point: 0.0144 ÷ (1 − 0.999) is 14.399999999999986. A rate within one part in
# 10^9 of its threshold counts as *at* the threshold, so it does not fire.
FIRE_TOLERANCE = 1e-9

Burns = Mapping[str, float | None]  # look-back name → burn rate (None: no requests)


@dataclass(frozen=True)
class AlertRule:
    """One row of slo.md's alert table: fires when both look-backs burn above threshold."""

    severity: str
    long: str
    short: str
    budget_percent: int  # the share of the whole budget spent over `long` at the threshold

    @property
    def name(self) -> str:
        """'1h/5m': the row's name in the report's ``fired`` list."""
        return f"{self.long}/{self.short}"

    def threshold(self, window_days: int) -> float:
        """Budget share × window ÷ long look-back: 2 % × 720 h ÷ 1 h = 14.4 (30 days),
        10 % × 672 h ÷ 72 h = 0.9333… (28 days). One division of integers: no drift."""
        return self.budget_percent * window_days * 86400 / (100 * LOOKBACKS[self.long])

    def fires(self, burn: Burns, window_days: int) -> bool:
        """Both the long and the short burn rate strictly above the threshold."""
        limit = self.threshold(window_days) * (1 + FIRE_TOLERANCE)
        long, short = burn.get(self.long), burn.get(self.short)
        return long is not None and short is not None and long > limit and short > limit


# slo.md's alert table, most severe first (Google's 30-day windows, scaled by threshold())
ALERT_RULES = (AlertRule("page", "1h", "5m", 2), AlertRule("page", "6h", "30m", 5),
               AlertRule("ticket", "1d", "2h", 10), AlertRule("ticket", "3d", "6h", 10))
PAGE_RULE = ALERT_RULES[0]  # the fastest page: the one an objective may never reach


def thresholds(window_days: int) -> dict[str, float]:
    """{'1h/5m': 14.4, '6h/30m': 6.0, '1d/2h': 3.0, '3d/6h': 1.0} for 30 days."""
    return {rule.name: rule.threshold(window_days) for rule in ALERT_RULES}


def fired_rules(burn: Burns, window_days: int) -> list[AlertRule]:
    """The rows of the alert table that fire, most severe first."""
    return [rule for rule in ALERT_RULES if rule.fires(burn, window_days)]


def alert_state(burn: Burns, window_days: int, has_requests: bool
                ) -> tuple[str, list[AlertRule]]:
    """(state, rows fired): the most severe row that fires, else 'ok'; 'no_data' (nothing
    fired) when the endpoint has no requests in the 1h look-back and the 3d alike."""
    if not has_requests:
        return "no_data", []
    fired = fired_rules(burn, window_days)
    return (fired[0].severity if fired else "ok"), fired


def burning(burn_1h: float | None) -> bool:
    """A burn episode is under way: the 1h burn rate is above 1."""
    return burn_1h is not None and burn_1h > 1 + FIRE_TOLERANCE


def hours_to_exhaustion(remaining: float | None, burn_1d: float | None,
                        window_days: int) -> float | None:
    """Hours until the budget is spent at the 1d burn rate: at burn b the whole budget
    lasts window ÷ b, so 50 % left at burn 2 over 30 days → 0.5 × 720 h ÷ 2 = 180 h.
    0 when nothing is left; None when unknown or not burning at all."""
    if remaining is None:
        return None
    if remaining <= 0:
        return 0.0
    if burn_1d is None or burn_1d <= 0:
        return None
    return remaining / 100 * window_days * 24 / burn_1d


def max_burn_rate(objective_percent: float) -> float:
    """The burn rate of a 100 % error ratio: 1 ÷ (1 − objective). 99.9 % → 1000."""
    budget = 1 - objective_percent / 100
    return float("inf") if budget <= 0 else 1 / budget


def page_alert_unreachable(objective_percent: float, window_days: int) -> bool:
    """True when even a 100 % error ratio cannot burn above the 1h/5m page threshold.

    30 days: threshold 14.4, and 93 % burns at most 1 ÷ 0.07 = 14.29 → unreachable.
    7 days: threshold 2 % × 168 h ÷ 1 h = 3.36, so 93 % can page (14.29 > 3.36)."""
    return max_burn_rate(objective_percent) <= PAGE_RULE.threshold(window_days)


def unreachable_sentence(endpoint: str, objective_percent: float, window_days: int) -> str:
    """The report's warning for an objective that can never page on the 1h/5m row."""
    return (f"{endpoint}'s objective of {objective_percent:g} % can never page on the "
            f"{PAGE_RULE.name} row: even a 100 % error ratio burns at "
            f"{max_burn_rate(objective_percent):.4g}, not above "
            f"{PAGE_RULE.threshold(window_days):.4g}; tighten the objective or rely on "
            f"the other rows.")
