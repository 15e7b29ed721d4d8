"""The shared filters (period, team, tier), drawn once in the entrypoint and bound to the URL.

`/slo?team=search&tier=1` opened cold shows the same view; a bad value
(`period=2026Q9`, `tier=';--'`) gets a short notice and the default. Values are only
ever picked from allow-lists built from the store, so nothing else reaches an engine.

    period_options(oldest, newest, now)   # (['2026Q4', '2026Q3', ..., '2026-11', ...], '2026Q3')

The period's text from the URL is parsed here, once (``draw``), and "all" becomes None
here, once: every page and ``data`` get a ``Scope`` holding a ``Period``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime

import streamlit as st

from metrics import events
from metrics.periods import Period, latest_complete_period, parse_period, period_containing

ALL = "all"
TIERS = (ALL, *map(str, events.TIERS))
_SHOWABLE = re.compile(r"[\w.\- ]{1,40}")  # echo a bad value only when it is harmless text


@dataclass(frozen=True)
class Scope:
    """What every page shows: one period, and the whole org or a team and/or a tier."""

    period: Period
    team: str | None = None
    tier: int | None = None

    @property
    def grain(self) -> str:
        return self.period.grain

    @property
    def words(self) -> str:
        """'search, tier 1' or 'whole organisation'."""
        parts = [self.team or "", f"tier {self.tier}" if self.tier else ""]
        return ", ".join(p for p in parts if p) or "whole organisation"


def _periods(oldest: datetime, newest: datetime, grain: str) -> list[Period]:
    """Every `grain` period from the one holding `oldest` to the one holding `newest`."""
    first, last = period_containing(oldest, grain), period_containing(newest, grain)
    out, p = [], last
    while p.start >= first.start:
        out.append(p)
        p = p.shift(-1)
    return out  # newest first


@functools.lru_cache(maxsize=8)
def _labels(oldest: datetime, newest: datetime) -> tuple[str, ...]:
    """Quarter, month and week labels holding data, newest first within each grain (the
    same for every run on one snapshot, so computed once per span)."""
    return tuple(p.label for grain in ("quarter", "month", "week")
                 for p in _periods(oldest, newest, grain))


def default_period(oldest: datetime, newest: datetime, now: datetime) -> Period:
    """The latest complete quarter that has data (else the quarter holding the newest event).

    Data 2025-04-01 .. 2026-11-21, now 2026-11-22 -> 2026Q3.
    """
    complete = latest_complete_period(now, "quarter")
    holding_newest = period_containing(newest, "quarter")
    default = complete if complete.start <= holding_newest.start else holding_newest
    return default if default.label in _labels(oldest, newest) else holding_newest


def period_options(oldest: datetime, newest: datetime, now: datetime) -> tuple[list[str], str]:
    """Quarters, months, then ISO weeks that hold data (newest first), and the default's
    label (``default_period``)."""
    return list(_labels(oldest, newest)), default_period(oldest, newest, now).label


def _notice(name: str, options: list[str], what: str) -> None:
    """Warn once when the URL asks for a value that is not offered (the widget drops it)."""
    raw = st.query_params.get(name)
    if raw is None or raw in options:
        return
    shown = f"'{raw}'" if _SHOWABLE.fullmatch(raw) else f"the {name} in the link"
    st.warning(f"{shown} is not {what}; showing the default instead.", icon="⚠️")


def draw(period_choices: list[str], default_period: str, team_choices: list[str]) -> Scope:
    """Draw the three filters in the sidebar and return the scope they select."""
    teams = [ALL, *team_choices]
    _notice("period", period_choices, "a period with data (e.g. 2026Q3, 2026-08, 2026-W32)")
    _notice("team", teams, "a known team")
    _notice("tier", list(TIERS), f"a tier ({events.TIERS_TEXT})")
    with st.sidebar:
        st.caption("Scope — shared by every page and kept in the link")
        period = st.selectbox("Period", period_choices,
                              index=period_choices.index(default_period), key="period",
                              bind="query-params",
                              help="Quarters, months (2026-08) and ISO weeks (2026-W32).")
        team = st.selectbox("Team", teams, key="team", bind="query-params",
                            format_func=_all("All teams"))
        tier = st.selectbox("Tier", list(TIERS), key="tier", bind="query-params",
                            format_func=_all("All tiers"),
                            help="1 = most critical. Kinds without a tier ignore it.")
    return Scope(period=parse_period(period), team=None if team == ALL else team,
                 tier=None if tier == ALL else int(tier))


def _all(text: str):
    return lambda value: text if value == ALL else value


def current() -> Scope:
    """The scope drawn by the entrypoint this run (pages call this)."""
    return st.session_state["_scope"]
