"""The shared filters (period, team, tier), drawn once in the entrypoint and bound to the URL.

`/slo?team=search&tier=1` opened cold shows the same view; a bad value
(`period=2026Q9`, `tier=';--'`) gets a short notice and the default. Values are only
ever picked from allow-lists built from the store, so nothing else reaches an engine.

The period picker is grouped: a kind (quarter, month, week) and then a period of that
kind. Its first choice is the live ``latest`` (the latest complete quarter: the URL says
``period=latest`` or nothing); choosing any period writes it (``period=2026Q3``), even the
one ``latest`` means today, so a link keeps showing that quarter next year. A period still
running is labelled "to date" in the picker and in every title (``period_words``).

    period_options(oldest, newest, now)   # (['2026Q4', '2026Q3', ..., '2026-11', ...], '2026Q3')
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from html import escape
from urllib.parse import urlencode

import streamlit as st

from metrics import events, present
from metrics.periods import (
    LATEST,
    Period,
    PeriodError,
    default_period,
    latest_complete_period,
    parse_period,
    period_containing,
)

ALL = "all"
TIERS = (ALL, *map(str, events.TIERS))
GRAINS = {"quarter": "Quarter", "month": "Month", "week": "Week"}
_SHOWABLE = re.compile(r"[\w.\- ]{1,40}")  # echo a bad value only when it is harmless text
URL_KEYS = ("period", "team", "tier", "endpoint", "kpi")  # in the order a link lists them


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

    @property
    def running(self) -> bool:
        return self.period.running(datetime.now(UTC))

    @property
    def period_text(self) -> str:
        """'2026Q3', or '2026Q4 to date' for a period still running."""
        return period_words(self.period)

    def caption(self, report: dict | None = None) -> str:
        """'2026Q3 (1 July to 30 September 2026) · search'; a running period says 'to date',
        the instant its figures stand at and the share elapsed. The period named is the
        report's (the quarterly review shows the quarter holding a chosen month)."""
        if not report or not report.get("period_start"):
            return f"{self.period_text} · {self.words}"
        text = present.period_span(report["period"], report["period_start"],
                                   report["period_end"])
        if report.get("complete") is False:
            text += (f" — to date, figures as of {present.instant(report.get('as_of'))}, "
                     f"{present.number(100 * float(report.get('elapsed') or 0))} % of the "
                     "period elapsed; every status is provisional")
        return f"{text} · {self.words}"


def period_words(period: Period, now: datetime | None = None) -> str:
    """A period's label, with 'to date' while it runs.

    >>> period_words(parse_period("2026Q4"), datetime(2026, 11, 25, tzinfo=UTC))
    '2026Q4 to date'
    """
    running = period.running(now or datetime.now(UTC))
    return f"{period.label} to date" if running else period.label


def _periods(oldest: datetime, newest: datetime, grain: str) -> list[Period]:
    """Every `grain` period from the one holding `oldest` to the one holding `newest`."""
    first, last = period_containing(oldest, grain), period_containing(newest, grain)
    out, p = [], last
    while p.start >= first.start:
        out.append(p)
        p = p.shift(-1)
    return out  # newest first


@functools.lru_cache(maxsize=8)
def _labels(oldest: datetime, newest: datetime, grain: str | None = None) -> tuple[str, ...]:
    """Quarter, month and week labels holding data, newest first within each grain (the
    same for every run on one snapshot, so computed once per span)."""
    grains = [grain] if grain else list(GRAINS)
    return tuple(p.label for g in grains for p in _periods(oldest, newest, g))


def period_options(oldest: datetime, newest: datetime, now: datetime) -> tuple[list[str], str]:
    """Quarters, months, then ISO weeks that hold data (newest first), and the default's
    label (``default_period``)."""
    return list(_labels(oldest, newest)), default_period(oldest, newest, now).label


def canonical_period(raw: str | None, choices: list[str]) -> str | None:
    """The choice a URL's period names, case aside ('2026q3' -> '2026Q3', 'LATEST' ->
    'latest'); None when it names none.

    >>> canonical_period("2026q3", ["2026Q3"]), canonical_period("2026-w05", ["2026-W05"])
    ('2026Q3', '2026-W05')
    """
    if raw is None:
        return None
    text = raw.strip()
    if text.lower() == LATEST:
        return LATEST
    try:
        label = parse_period(text).label
    except PeriodError:
        return None
    return label if label in choices else None


def _notice(name: str, options: list[str], what: str) -> None:
    """Warn once when the URL asks for a value that is not offered (the widget drops it)."""
    raw = st.query_params.get(name)
    if raw is None or raw in options:
        return
    shown = f"'{raw}'" if _SHOWABLE.fullmatch(raw) else f"the {name} in the link"
    st.warning(f"{shown} is not {what}; showing the default instead.", icon="⚠️")


def _seed_period(choices: list[str]) -> None:
    """On a session's first run, take the period from the URL (any case); a bad one gets a
    notice and ``latest``."""
    if "period" in st.session_state:
        return
    raw = st.query_params.get("period")
    chosen = canonical_period(raw, choices)
    if raw is not None and chosen is None:
        shown = f"'{raw}'" if _SHOWABLE.fullmatch(raw) else "the period in the link"
        st.warning(f"{shown} is not a period with data (e.g. 2026Q3, 2026-08, 2026-W32); "
                   "showing the default, the latest complete quarter, instead.", icon="⚠️")
    chosen = chosen or LATEST
    st.session_state["period"] = chosen
    st.session_state["period-kind"] = "quarter" if chosen == LATEST else \
        parse_period(chosen).grain


def _draw_period(choices: list[str], default: str, now: datetime) -> Period:
    """The grouped picker: a kind, then a period of that kind; returns the chosen period."""
    _seed_period(choices)
    by_grain = {g: list(labels) for g, labels in _by_grain(tuple(choices)).items()}

    def kind_changed() -> None:  # a new kind starts at its latest complete period
        grain = st.session_state["period-kind"]
        if grain == "quarter":
            st.session_state["period"] = LATEST
            return
        done = latest_complete_period(now, grain).label
        offered = by_grain[grain]
        st.session_state["period"] = done if done in offered else offered[0]

    kinds = [g for g in GRAINS if by_grain[g]]
    st.segmented_control("Period kind", kinds, key="period-kind", format_func=GRAINS.get,
                         on_change=kind_changed, label_visibility="collapsed")
    grain = st.session_state.get("period-kind") or "quarter"
    options = ([LATEST] if grain == "quarter" else []) + by_grain.get(grain, [])
    if st.session_state.get("period") not in options:
        st.session_state["period"] = options[0]

    def label(value: str) -> str:
        if value == LATEST:
            return f"Latest complete quarter: {default}"
        return _words(value, now.astimezone(UTC).date())

    chosen = st.selectbox("Period", options, key="period", format_func=label,
                          help="The latest complete quarter follows the calendar; a chosen "
                               "period stays in the link. A period still running shows "
                               "its figures to date.")
    return parse_period(default) if chosen == LATEST else parse_period(chosen)


@functools.lru_cache(maxsize=4096)  # each run words every option of the picker
def _words(label: str, day: date) -> str:
    """``period_words`` on the UTC day ``day``: periods start and end at UTC midnight, so
    whether one is running is the same all day."""
    return period_words(parse_period(label), datetime.combine(day, time(12), UTC))


@functools.lru_cache(maxsize=64)  # the same choices every run on one snapshot: ~350 parses
def _by_grain(choices: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {g: tuple(c for c in choices if parse_period(c).grain == g) for g in GRAINS}


def draw(period_choices: list[str], default_period: str, team_choices: list[str],
         tier_choices: list[str] | None = None, now: datetime | None = None) -> Scope:
    """Draw the three filters in the sidebar and return the scope they select."""
    now = now or datetime.now(UTC)
    teams = [ALL, *team_choices]
    tiers = [ALL, *(tier_choices if tier_choices is not None else TIERS[1:])]
    _notice("team", teams, "a known team (no stored event mentions it)")
    _notice("tier", tiers, "a tier any stored event has")
    with st.sidebar:
        period = _draw_period(period_choices, default_period, now)
        team = st.selectbox("Team", teams, key="team", bind="query-params",
                            format_func=_all("All teams"))
        tier = st.selectbox("Tier", tiers, key="tier", bind="query-params",
                            format_func=_all("All tiers"),
                            help="1 = most critical. Kinds without a tier ignore it.")
    keep_in_url("period", st.session_state["period"], LATEST)
    return Scope(period=period, team=None if team == ALL else team,
                 tier=None if tier == ALL else int(tier))


def keep_in_url(key: str, value: str | None, default: str | None = None) -> None:
    """Write a choice to the address bar (removed when it is the default)."""
    if value is None or value == default:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def url_choice(key: str, options: list[str], label: str, **kwargs) -> str:
    """A selectbox whose choice lives in the URL as the option itself (``endpoint=ranker-v2``,
    ``kpi=cicd_coverage``), whatever ``format_func`` shows; seeded from the URL on a
    session's first run (a value not offered gets a notice and the first option). The
    first option, never chosen, stays out of the URL: it follows the data, like 'latest'."""
    state = f"url-{key}"
    raw = st.query_params.get(key)
    if st.session_state.get(f"{state}-seen") != raw or state not in st.session_state:
        if raw is not None and raw not in options:
            shown = f"'{raw}'" if _SHOWABLE.fullmatch(raw) else f"the {key} in the link"
            st.warning(f"{shown} is not offered here; showing {options[0]} instead.",
                       icon="⚠️")
        st.session_state[state] = raw if raw in options else options[0]
    if st.session_state[state] not in options:
        st.session_state[state] = options[0]
    chosen = st.selectbox(label, options, key=state, **kwargs)
    if raw is not None or chosen != options[0]:  # the first (worst, say) stays live
        keep_in_url(key, chosen)
        raw = chosen
    st.session_state[f"{state}-seen"] = raw  # the URL as this run leaves it
    return chosen


def copy_link() -> None:
    """The view's link, in a read-only box with a Copy button, under a line saying that
    the scope is shared by every page and kept in the link (one element). Not ``st.code``,
    whose copy button brought the code highlighter (1.5 MB of script, 0.4-0.8 s of the
    browser's time) into every page."""
    base = st.context.url or ""
    base = base.split("?")[0]
    params = {k: st.query_params[k] for k in URL_KEYS if k in st.query_params}
    if "period" not in params:  # the live 'latest' made explicit for the reader
        params = {"period": LATEST, **params}
    link = base + ("?" + urlencode(params) if params else "")
    with st.sidebar:
        st.html(COPY_LINK.replace("{link}", escape(link, quote=True)),
                unsafe_allow_javascript=True)


# The script is ours and fixed; the link (from the page's URL) is only ever an attribute
# value, escaped. Where the clipboard is not offered (plain HTTP to another host than
# localhost), the box's text is selected for Ctrl+C and the button says so.
COPY_LINK = """<div class="mk-link"><div class="mk-link-label"
 style="font-size:.8rem;opacity:.7;margin-bottom:.25rem">Link to this view: the scope above
 is shared by every page and kept in the link</div>
<div style="display:flex;gap:.4rem"><input class="mk-link-text" readonly value="{link}"
 aria-label="Link to this view" style="flex:1;min-width:0;font:inherit;font-size:.8rem;
 padding:.3rem .4rem;border:1px solid rgba(128,128,128,.45);border-radius:.4rem;
 background:transparent;color:inherit" onfocus="this.select()">
<button type="button" class="mk-copy" style="font:inherit;font-size:.8rem;padding:.3rem
 .6rem;border:1px solid rgba(128,128,128,.45);border-radius:.4rem;background:transparent;
 color:inherit;cursor:pointer">Copy</button></div></div>
<script>
if (!window.mkCopyLink) {
  window.mkCopyLink = true;
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest(".mk-copy");
    if (!button) return;
    const box = button.parentElement.querySelector(".mk-link-text");
    const said = (text) => { button.textContent = text;
      setTimeout(() => { button.textContent = "Copy"; }, 2000); };
    const select = () => { box.focus(); box.select(); said("Press Ctrl+C"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(() => said("Copied"), select);
    } else { select(); }
  });
}
</script>"""


def _all(text: str):
    return lambda value: text if value == ALL else value


def current() -> Scope:
    """The scope drawn by the entrypoint this run (pages call this)."""
    return st.session_state["_scope"]
